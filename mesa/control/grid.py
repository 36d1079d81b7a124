"""The pixel grid a control run samples on, and resampling between it and the user's grid.

The model samples sizes that are multiples of its size factor (16 px for mesa-tiny, 64 px for the
published model). A user's heightmap or terrain of another size (Unreal's 1009 or 2017 px, say) is
resampled to the nearest accepted size for sampling only; what the model makes there is resampled
back, and the user's own arrays are returned untouched. Rows run north to south.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from mesa.geometry.resample import resample_bilinear

MIN_SIDE_PX = 8
"""Smallest guide, mask or heightmap side accepted, pixels."""


def working_size(height: int, width: int, size_factor: int) -> tuple[int, int]:
    """The nearest (height, width) the model accepts: each side rounded to a multiple of
    `size_factor` (at least one factor)."""
    return tuple(max(size_factor, round(side / size_factor) * size_factor) for side in (height, width))


def resample_field(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear, corner-aligned resample of (H, W) or (H, W, C) values to (height, width[, C]) float32.

    Shrinking first blurs with a Gaussian of sigma = factor / 2 px so detail finer than the new
    grid does not alias. Same size: returned as float32, values unchanged.
    """
    values = np.asarray(values, dtype=np.float32)
    if values.shape[:2] == (height, width):
        return values
    stack = values[None] if values.ndim == 2 else np.moveaxis(values, -1, 0)
    factor = max(stack.shape[1] / height, stack.shape[2] / width)
    if factor > 1:
        stack = np.stack([ndimage.gaussian_filter(layer, factor / 2, mode="nearest") for layer in stack])
    out = resample_bilinear(stack, height, width, dtype=np.float32)
    return out[0] if values.ndim == 2 else np.moveaxis(out, 0, -1)


def resample_mask(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W) bool mask to (height, width) bool: a pixel is set when any input pixel under it is
    (so a region never shrinks away on a coarser grid)."""
    if mask.shape == (height, width):
        return mask
    covered = resample_field(mask.astype(np.float32), height, width)
    return covered > 1e-3


def resample_rgb(rgb01: np.ndarray, height: int, width: int) -> np.ndarray:
    """(H, W, 3) float colour in [0, 1] to (height, width, 3) uint8 (bilinear, rounded)."""
    return np.round(np.clip(resample_field(rgb01, height, width), 0.0, 1.0) * 255).astype(np.uint8)
