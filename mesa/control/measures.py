"""How well a controlled terrain did what it was asked: pure functions over arrays, used by the
tests and `benchmarks/bench_control.py`.

    lowpass_correlation   Pearson correlation of two elevation maps after a Gaussian low-pass of
                          GUIDE_SCALE of the shorter side (the scale a guide controls)
    line_iou              ridge or valley agreement: the result's most ridge-like (valley-like)
                          pixels, as many as the sketch's line band holds, against that band
    border_ratio          mean gradient magnitude on a mask's border over the mean elsewhere
    max_change_outside    largest absolute change outside a mask
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from mesa.control.follow import GUIDE_SCALE

LINE_TOLERANCE = 1 / 32
"""Lines count as agreeing within this share of the shorter side (4 px at 128 px), each way."""


def lowpass(values: np.ndarray, scale: float = GUIDE_SCALE) -> np.ndarray:
    """(H, W) float64 Gaussian low-pass with sigma = `scale` * shorter side."""
    return ndimage.gaussian_filter(np.asarray(values, np.float64), scale * min(values.shape), mode="nearest")


def lowpass_correlation(elevation_m: np.ndarray, guide: np.ndarray, scale: float = GUIDE_SCALE) -> float:
    """Pearson correlation of the low-passed maps (units cancel; 0 when either is flat)."""
    first, second = lowpass(elevation_m, scale).ravel(), lowpass(guide, scale).ravel()
    if first.std() < 1e-9 or second.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(first, second)[0, 1])


def line_band(lines: np.ndarray, tolerance: float = LINE_TOLERANCE) -> np.ndarray:
    """(H, W) bool: pixels within `tolerance` * shorter side of a line pixel."""
    radius_px = tolerance * min(lines.shape)
    return ndimage.distance_transform_edt(~lines) <= radius_px


def line_iou(elevation_m: np.ndarray, lines: np.ndarray, kind: str, tolerance: float = LINE_TOLERANCE) -> float:
    """IoU of the sketch's line band with the result's as many most ridge-like ("ridge") or
    valley-like ("valley") pixels, by the Laplacian of the elevation at the guide's scale
    (negative on ridges, positive in valleys). A result unrelated to the sketch scores about the
    band's share of the tile / (2 - that share); an exact match 1."""
    if kind not in ("ridge", "valley"):
        raise ValueError(f"kind must be 'ridge' or 'valley', got {kind!r}")
    band = line_band(lines, tolerance)
    count = int(band.sum())
    if count == 0:
        return float("nan")
    curvature = ndimage.gaussian_laplace(np.asarray(elevation_m, np.float64), GUIDE_SCALE * min(lines.shape) / 2,
                                         mode="nearest")
    score = -curvature if kind == "ridge" else curvature
    chosen = np.zeros(band.size, dtype=bool)
    chosen[np.argsort(score, axis=None)[-count:]] = True
    chosen = chosen.reshape(band.shape)
    return float((chosen & band).sum() / (chosen | band).sum())


def gradient_magnitude(values: np.ndarray) -> np.ndarray:
    """(H, W) |gradient| per pixel of a map, or of the mean of a (H, W, C) image's channels."""
    values = np.asarray(values, np.float64)
    if values.ndim == 3:
        values = values.mean(-1)
    d_rows, d_columns = np.gradient(values)
    return np.hypot(d_rows, d_columns)


def border_ratio(values: np.ndarray, mask: np.ndarray, width_px: int = 1) -> float:
    """Mean gradient magnitude on the mask's border (pixels within `width_px` of the edge, both
    sides) over the mean everywhere else: about 1 for a seamless edit, well above for a seam."""
    inside = ndimage.binary_erosion(mask, iterations=width_px, border_value=1)
    outside = ndimage.binary_dilation(mask, iterations=width_px)
    border = outside & ~inside
    magnitude = gradient_magnitude(values)
    return float(magnitude[border].mean() / magnitude[~border].mean())


def max_change_outside(before: np.ndarray, after: np.ndarray, mask: np.ndarray) -> float:
    """Largest absolute difference between two arrays outside `mask` (any trailing channels)."""
    difference = np.abs(np.asarray(after, np.float64) - np.asarray(before, np.float64))
    if difference.ndim == 3:
        difference = difference.max(-1)
    return float(difference[~mask].max()) if (~mask).any() else 0.0
