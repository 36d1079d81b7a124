"""GeoTIFF bytes <-> arrays, as Major TOM stores each band in one parquet cell."""

from __future__ import annotations

import io

import numpy as np
import tifffile


class CorruptRowError(ValueError):
    """A Major TOM row that cannot be read or decoded; the dataset skips it with a warning."""


def decode_geotiff(data: bytes | None, name: str = "band") -> np.ndarray:
    """Decode one single-band GeoTIFF to a 2-D array (its stored dtype).

    Raises CorruptRowError naming the band when the bytes are missing, not a TIFF, or not 2-D.
    """
    if not data:
        raise CorruptRowError(f"{name}: empty GeoTIFF bytes")
    try:
        array = tifffile.imread(io.BytesIO(data))
    except (ValueError, OSError, EOFError) as error:
        raise CorruptRowError(f"{name}: not a readable GeoTIFF ({error})") from error
    array = np.squeeze(array)
    if array.ndim != 2:
        raise CorruptRowError(f"{name}: expected a single-band (H, W) raster, got shape {array.shape}")
    return array


def encode_geotiff(array: np.ndarray, compression: str | None = "zlib") -> bytes:
    """Encode a 2-D array as TIFF bytes (used to write Major TOM-layout datasets locally)."""
    if array.ndim != 2:
        raise ValueError(f"encode_geotiff takes a (H, W) array, got shape {array.shape}")
    buffer = io.BytesIO()
    tifffile.imwrite(buffer, array, compression=compression)
    return buffer.getvalue()
