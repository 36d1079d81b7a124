"""Read artists' own elevation maps and colour images; every failure is one UserError naming the file.

An elevation file is inspected from its header first (`inspect_elevation`: size, element type, the
memory reading it takes), so a caller can refuse what cannot fit before a byte of data is read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mesa.errors import UserError
from mesa.validation import (ELEVATION_LIMIT_M, NpyHeader, check_number, check_real_dtype, load_npy,
                             read_npy_header, user_error_from_os)

ELEVATION_SUFFIXES = (".npy", ".tif", ".tiff", ".exr", ".png")
FLOAT64_BYTES = 8
RGB_READ_BYTES_PER_PIXEL = 11  # decoded (up to 4 channels), converted to RGB, and the array


@dataclass(frozen=True)
class ElevationFile:
    """An elevation file as its header describes it.

    Attributes:
        path: the file.
        shape: (H, W) samples.
        dtype: element type as stored.
        read_bytes: upper bound of the memory that reading it takes (decoded samples and the
            float64 result).
        header: the parsed .npy header (None for other formats).
    """

    path: Path
    shape: tuple[int, int]
    dtype: np.dtype
    read_bytes: int
    header: NpyHeader | None = None


def inspect_elevation(path: str | Path) -> ElevationFile:
    """Size, element type and reading cost of an elevation file, from its header alone."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"elevation file {path} does not exist" if not path.exists() else
                        f"elevation file {path} is not a file")
    suffix = path.suffix.lower()
    if suffix not in ELEVATION_SUFFIXES:
        raise UserError(f"cannot read elevation {path.name}: use one of {', '.join(ELEVATION_SUFFIXES)}")
    try:
        shape, dtype, decoded_per_pixel, header = _HEADERS[suffix](path)
    except UserError:
        raise
    except OSError as error:
        raise user_error_from_os(error, "cannot read elevation file", path) from None
    except Exception as error:  # any decoder failure means the file is unreadable
        raise UserError(f"cannot read elevation file {path}: {error}") from None
    check_real_dtype(dtype, f"elevation file {path}")
    if len(shape) == 3 and shape[2] == 1:
        shape = shape[:2]
    if len(shape) != 2:
        raise UserError(f"elevation file {path} holds an array of shape {shape}; expected (height, width)")
    if min(shape) < 2:
        raise UserError(f"elevation file {path} is {shape[1]} x {shape[0]} px; elevation must be at least 2 x 2")
    pixels = int(shape[0]) * int(shape[1])
    return ElevationFile(path, (int(shape[0]), int(shape[1])), np.dtype(dtype),
                         pixels * (decoded_per_pixel + FLOAT64_BYTES), header)


def read_elevation(path: str | Path | ElevationFile, min_m: float | None = None, max_m: float | None = None) -> np.ndarray:
    """(H, W) float64 elevation in metres from .npy, float TIFF, EXR or 16-bit PNG.

    Integer files (16-bit PNG or TIFF) carry no scale, so they need `min_m` and `max_m`
    (value 0 -> min_m, 65535 -> max_m); float files are already metres and must not get them.
    `path` may be the `ElevationFile` that `inspect_elevation` returned.
    """
    info = path if isinstance(path, ElevationFile) else inspect_elevation(path)
    check_scale_arguments(info, min_m, max_m)
    try:
        values = _READERS[info.path.suffix.lower()](info)
    except UserError:
        raise
    except OSError as error:
        raise user_error_from_os(error, "cannot read elevation file", info.path) from None
    except Exception as error:  # any decoder failure means the file is unreadable
        raise UserError(f"cannot read elevation file {info.path}: {error}") from None
    if values.ndim == 3 and values.shape[2] == 1:
        values = values[:, :, 0]
    if np.issubdtype(values.dtype, np.integer):
        return min_m + values.astype(np.float64) * ((max_m - min_m) / 65535.0)
    return np.asarray(values, dtype=np.float64)


def inspect_rgb(path: str | Path) -> tuple[int, int]:
    """(H, W) of the colour image at `path`, from its header alone."""
    with _reading_rgb(path) as image:
        return image.size[1], image.size[0]


def read_rgb(path: str | Path) -> np.ndarray:
    """(H, W, 3) uint8 colour image from any file Pillow reads (alpha dropped, greyscale expanded)."""
    with _reading_rgb(path) as image:
        return np.asarray(image.convert("RGB"))


@contextlib.contextmanager
def _reading_rgb(path: str | Path) -> Iterator:
    """The opened Pillow image; any failure becomes one UserError naming the file."""
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise UserError(f"colour image {path} does not exist")
    try:
        with Image.open(path) as image:
            yield image
    except OSError as error:  # also Pillow's "cannot identify image file"
        raise user_error_from_os(error, "cannot read colour image", path) from None
    except (ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise UserError(f"cannot read colour image {path}: {error}") from None


def check_scale_arguments(info: ElevationFile, min_m: float | None, max_m: float | None) -> None:
    """Integer files need --min-m/--max-m (finite metres, max >= min); float files must not get them."""
    if not np.issubdtype(info.dtype, np.integer):
        if min_m is not None or max_m is not None:
            raise UserError(f"{info.path.name} already holds metres; --min-m/--max-m are only for 16-bit PNG or TIFF")
        return
    if info.dtype != np.uint16:
        raise UserError(f"{info.path.name} is {info.dtype}; integer elevation must be unsigned 16-bit with --min-m/--max-m "
                        "(8-bit loses the relief; store other integers as float metres)")
    if min_m is None or max_m is None:
        raise UserError(f"{info.path.name} is a 16-bit heightmap without scale: give --min-m and --max-m in metres")
    low = check_number("--min-m", min_m, -ELEVATION_LIMIT_M, ELEVATION_LIMIT_M)
    high = check_number("--max-m", max_m, -ELEVATION_LIMIT_M, ELEVATION_LIMIT_M)
    if not high >= low:
        raise UserError(f"--max-m ({max_m}) must be >= --min-m ({min_m})")


def _npy_header(path: Path) -> tuple[tuple[int, ...], np.dtype, int, NpyHeader]:
    header = read_npy_header(path, "elevation file")
    return header.shape, header.dtype, 0, header  # memory-mapped: only the float64 result is resident


def _tiff_header(path: Path) -> tuple[tuple[int, ...], np.dtype, int, None]:
    import tifffile

    with tifffile.TiffFile(path) as tiff:
        series = tiff.series[0]
        return tuple(series.shape), np.dtype(series.dtype), np.dtype(series.dtype).itemsize, None


def _exr_header(path: Path) -> tuple[tuple[int, ...], np.dtype, int, None]:
    import OpenEXR

    header = OpenEXR.File(str(path), header_only=True).header()
    low, high = header["dataWindow"]
    shape = (int(high[1] - low[1] + 1), int(high[0] - low[0] + 1))
    return shape, np.dtype(np.float32), 4 * len(header["channels"]), None


def _png_header(path: Path) -> tuple[tuple[int, ...], np.dtype, int, None]:
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        if image.mode not in ("I;16", "I;16B", "I;16L", "I"):
            raise UserError(f"{path.name} is an {image.mode} PNG; elevation must be 16-bit grayscale")
    return (height, width), np.dtype(np.uint16), 4 + 2, None  # decoded as 32-bit, then uint16


def _read_npy(info: ElevationFile) -> np.ndarray:
    return load_npy(info.path, info.header)


def _read_tiff(info: ElevationFile) -> np.ndarray:
    import tifffile

    return tifffile.imread(info.path)


def _read_exr(info: ElevationFile) -> np.ndarray:
    import OpenEXR

    with OpenEXR.File(str(info.path), separate_channels=True) as exr:
        channels = exr.channels()
    for name in ("R", "Y", "Z"):
        if name in channels:
            return np.asarray(channels[name].pixels)
    if len(channels) == 1:
        return np.asarray(next(iter(channels.values())).pixels)
    raise UserError(f"{info.path.name} has channels {', '.join(channels)}; expected a height channel R, Y or Z")


def _read_png(info: ElevationFile) -> np.ndarray:
    from PIL import Image

    with Image.open(info.path) as image:
        if image.mode in ("I;16", "I;16B", "I;16L"):
            return np.asarray(image).astype(np.uint16)
        values = np.asarray(image)
    if values.min() < 0 or values.max() > 65535:
        raise UserError(f"{info.path.name} holds values outside 0..65535; expected a 16-bit PNG")
    return values.astype(np.uint16)


_HEADERS = {".npy": _npy_header, ".tif": _tiff_header, ".tiff": _tiff_header, ".exr": _exr_header, ".png": _png_header}
_READERS = {".npy": _read_npy, ".tif": _read_tiff, ".tiff": _read_tiff, ".exr": _read_exr, ".png": _read_png}
