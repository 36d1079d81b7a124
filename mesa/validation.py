"""Boundary checks for the arrays, numbers and files users hand to MESA Studio; each failure is one
clear UserError that says what was wrong and what is accepted.

Numbers are checked after the float32 cast that the exporters and the preview actually use, so a
value that passes can never turn into an infinity (or a zero) later on.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mesa.errors import UserError

FLOAT32_MAX = float(np.finfo(np.float32).max)
ELEVATION_LIMIT_M = 100_000.0  # |elevation| accepted by exports: Earth spans -11 km .. +9 km


def check_elevation(elevation_m: np.ndarray, limit_m: float | None = None) -> np.ndarray:
    """Return `elevation_m` as (H, W) float64 after checking it is 2-D, at least 2 x 2, real and finite
    (also in float32), and within +-`limit_m` metres when a limit is given. Float64 input is not copied."""
    elevation = np.asarray(elevation_m)
    if elevation.ndim != 2:
        raise UserError(f"elevation must be a 2-D (height, width) array, got shape {elevation.shape}")
    if min(elevation.shape) < 2:
        raise UserError(f"elevation must be at least 2 x 2 pixels, got {elevation.shape[1]} x {elevation.shape[0]}")
    check_real_dtype(elevation.dtype, "elevation")
    elevation = np.asarray(elevation, dtype=np.float64)
    bad = ~np.isfinite(elevation)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise UserError(
            f"elevation has {int(bad.sum())} NaN or infinite value(s), first at row {row}, column {column}; "
            "fill the holes before exporting"
        )
    del bad
    low, high = float(elevation.min()), float(elevation.max())
    limit = FLOAT32_MAX if limit_m is None else limit_m
    if max(-low, high) > limit:
        raise UserError(f"elevation spans {low:.6g} .. {high:.6g} m; accepted: within +-{limit:,.0f} m "
                        "(is the file in metres?)")
    return elevation


def check_real_dtype(dtype: np.dtype, what: str) -> None:
    """UserError unless `dtype` holds real numbers (integers or floats): no complex, bool, object,
    string or structured data."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "iuf":
        kinds = {"c": "complex numbers (the imaginary part would be lost)", "b": "booleans",
                 "O": "Python objects", "V": "structured records", "U": "text", "S": "bytes", "M": "dates",
                 "m": "time spans"}
        raise UserError(f"{what} holds {kinds.get(dtype.kind, dtype.kind)} (dtype {dtype}); "
                        "accepted: real numbers (integer or float)")


def check_rgb(rgb: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray | None:
    """Return `rgb` as (H, W, 3) uint8 after checking it matches the elevation's (H, W)."""
    if rgb is None:
        return None
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise UserError(f"rgb must be a (height, width, 3) uint8 image, got {rgb.shape} {rgb.dtype}")
    if rgb.shape[:2] != shape:
        raise UserError(
            f"rgb is {rgb.shape[1]} x {rgb.shape[0]} px but the elevation is {shape[1]} x {shape[0]} px; "
            "they must be the same size"
        )
    return rgb


def check_positive(name: str, value: float) -> float:
    """Return `value` as float after checking it is finite (also in float32) and > 0."""
    return check_number(name, value, low=0.0, high=FLOAT32_MAX, low_inclusive=False)


def check_number(name: str, value: float, low: float, high: float, low_inclusive: bool = True,
                 unit: str = "") -> float:
    """Return `value` as float after checking it is a finite number in [low, high] (or (low, high])
    whose float32 cast stays finite and, unless `value` is 0, non-zero."""
    number = as_number(name, value)
    single = float(np.float32(number)) if abs(number) <= FLOAT32_MAX else math.inf
    opening = "[" if low_inclusive else "("
    accepted = f"a finite number in {opening}{low:g}, {high:g}]{unit}"
    if not math.isfinite(number) or not math.isfinite(single) or (number != 0 and single == 0):
        raise UserError(f"{name} must be {accepted}, got {value!r}")
    if number > high or number < low or (number == low and not low_inclusive):
        raise UserError(f"{name} must be {accepted}, got {value!r}")
    return number


def check_integer(name: str, value: int, low: int, high: int) -> int:
    """Return `value` as int after checking it is an integer (not a bool, not a float) in [low, high]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise UserError(f"{name} must be an integer from {low:,} to {high:,}, got {value!r}")
    if not low <= int(value) <= high:
        raise UserError(f"{name} must be an integer from {low:,} to {high:,}, got {value:,}")
    return int(value)


def check_whole_number(name: str, value: float, low: int, high: int) -> int:
    """Return `value` as int from `low` to `high`, accepting 3.0 (number boxes send floats) but
    never rounding: 2.7, NaN and infinity are refused."""
    number = as_number(name, value)
    if not (math.isfinite(number) and number == math.floor(number) and low <= number <= high):
        raise UserError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}")
    return int(number)


def as_number(name: str, value: object) -> float:
    """`value` as a Python float; UserError for None, booleans, text, complex and overflowing ints."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise UserError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except OverflowError:
        raise UserError(f"{name} is far too large, got {value!r}") from None


@dataclass(frozen=True)
class NpyHeader:
    """What a .npy file holds, from its header alone.

    Attributes:
        shape: array shape.
        dtype: element type (checked to be real numbers).
        fortran_order: column-major storage.
        data_offset: byte offset of the first element.
    """

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    data_offset: int

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


def read_npy_header(path: str | os.PathLike, what: str) -> NpyHeader:
    """The header of the .npy file at `path`, without reading its data; UserError (naming `what` and
    the path) for an empty or truncated file, a non-.npy file, or data that are not real numbers."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            if size == 0:
                raise UserError(f"{what} {path} is empty (0 bytes); expected a .npy array")
            version = np.lib.format.read_magic(handle)
            reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran_order, dtype = reader(handle, max_header_size=100_000)
            offset = handle.tell()
    except UserError:
        raise
    except OSError as error:
        raise user_error_from_os(error, f"cannot read {what}", path) from None
    except Exception as error:  # any header that numpy cannot parse
        raise UserError(f"{what} {path} is not a readable .npy file ({type(error).__name__}: {error})") from None
    header = NpyHeader(tuple(int(n) for n in shape), np.dtype(dtype), bool(fortran_order), offset)
    if header.dtype.hasobject:
        raise UserError(f"{what} {path} holds Python objects; accepted: a .npy array of real numbers "
                        "(nothing read from disk may run code)")
    check_real_dtype(header.dtype, f"{what} {path}")
    if size < offset + header.nbytes:
        raise UserError(f"{what} {path} is truncated: its header announces {header.nbytes:,} bytes of data, "
                        f"the file holds {max(size - offset, 0):,}")
    return header


def load_npy(path: str | os.PathLike, header: NpyHeader, dtype: np.dtype = np.float64) -> np.ndarray:
    """The array of a .npy file whose header was checked, cast to `dtype`; memory-mapped while
    casting, so the file's own copy never sits in memory beside the result."""
    path = Path(path)
    try:
        if header.nbytes == 0:
            return np.zeros(header.shape, dtype=dtype)
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
        return np.array(mapped, dtype=dtype)
    except OSError as error:
        raise user_error_from_os(error, "cannot read", path) from None
    except ValueError as error:
        raise UserError(f"{path} is not a readable .npy file ({error})") from None


def user_error_from_os(error: OSError, action: str, path: str | os.PathLike | None = None) -> UserError:
    """One line for an OS error: the action, the path the system named (or `path`) and the reason."""
    named = error.filename if error.filename is not None else path
    reason = error.strerror or str(error) or type(error).__name__
    where = f" {named}" if named is not None else ""
    return UserError(f"{action}{where}: {reason}")


@contextlib.contextmanager
def os_errors_as_user_errors(action: str, path: str | os.PathLike | None = None) -> Iterator[None]:
    """Turn any OSError raised in the block into one `UserError` line naming the path (see
    `user_error_from_os`); `path` names the place when the system did not say which file failed."""
    try:
        yield
    except OSError as error:
        raise user_error_from_os(error, action, path) from None
