"""Read artists' own elevation maps and colour images; every failure is one UserError naming the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mesa.errors import UserError

ELEVATION_SUFFIXES = (".npy", ".tif", ".tiff", ".exr", ".png")


def read_elevation(path: str | Path, min_m: float | None = None, max_m: float | None = None) -> np.ndarray:
    """(H, W) float64 elevation in metres from .npy, float TIFF, EXR or 16-bit PNG.

    Integer files (16-bit PNG or TIFF) carry no scale, so they need `min_m` and `max_m`
    (value 0 -> min_m, 65535 -> max_m); float files are already metres and must not get them.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"elevation file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix not in ELEVATION_SUFFIXES:
        raise UserError(f"cannot read elevation {path.name}: use one of {', '.join(ELEVATION_SUFFIXES)}")
    try:
        values = _READERS[suffix](path)
    except UserError:
        raise
    except Exception as error:  # any decoder failure means the file is unreadable
        raise UserError(f"cannot read elevation file {path}: {error}") from None
    if values.ndim == 3 and values.shape[2] == 1:
        values = values[:, :, 0]
    if np.issubdtype(values.dtype, np.integer):
        return _scale_integers(values, path, min_m, max_m)
    if min_m is not None or max_m is not None:
        raise UserError(f"{path.name} already holds metres; --min-m/--max-m are only for 16-bit PNG or TIFF")
    return values.astype(np.float64)


def read_rgb(path: str | Path) -> np.ndarray:
    """(H, W, 3) uint8 colour image from any file Pillow reads (alpha dropped, greyscale expanded)."""
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise UserError(f"colour image {path} does not exist")
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"))
    except Exception as error:
        raise UserError(f"cannot read colour image {path}: {error}") from None


def _scale_integers(values: np.ndarray, path: Path, min_m: float | None, max_m: float | None) -> np.ndarray:
    """Map uint16 0..65535 linearly onto min_m..max_m."""
    if values.dtype != np.uint16:
        raise UserError(f"{path.name} is {values.dtype}; integer elevation must be 16-bit (8-bit loses the relief)")
    if min_m is None or max_m is None:
        raise UserError(f"{path.name} is a 16-bit heightmap without scale: give --min-m and --max-m in metres")
    if not max_m >= min_m:
        raise UserError(f"--max-m ({max_m}) must be >= --min-m ({min_m})")
    return min_m + values.astype(np.float64) * ((max_m - min_m) / 65535.0)


def _read_npy(path: Path) -> np.ndarray:
    return np.load(path, allow_pickle=False)


def _read_tiff(path: Path) -> np.ndarray:
    import tifffile

    return tifffile.imread(path)


def _read_exr(path: Path) -> np.ndarray:
    import OpenEXR

    with OpenEXR.File(str(path)) as exr:
        channels = exr.channels()
    for name in ("R", "Y", "Z"):
        if name in channels:
            return np.asarray(channels[name].pixels)
    if len(channels) == 1:
        return np.asarray(next(iter(channels.values())).pixels)
    raise UserError(f"{path.name} has channels {', '.join(channels)}; expected a height channel R, Y or Z")


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        if image.mode in ("I;16", "I;16B", "I;16L"):
            return np.asarray(image).astype(np.uint16)
        if image.mode == "I":
            values = np.asarray(image)
            if values.min() < 0 or values.max() > 65535:
                raise UserError(f"{path.name} holds values outside 0..65535; expected a 16-bit PNG")
            return values.astype(np.uint16)
        raise UserError(f"{path.name} is an {image.mode} PNG; elevation must be 16-bit grayscale")


_READERS = {".npy": _read_npy, ".tif": _read_tiff, ".tiff": _read_tiff, ".exr": _read_exr, ".png": _read_png}
