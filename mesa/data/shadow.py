"""Shadow correction (MESA section 4.3): give L1C pixels the colour statistics of L2A.

The L2A atmospheric/terrain correction leaves artefacts in mountain shadows (over-corrected,
noisy or false-coloured dark slopes), while L1C top-of-atmosphere colour has none but is hazier
and bluer. We keep L1C's pixels and match, per channel, their histogram to the L2A histogram of
the same acquisition (classic quantile mapping, computed on pixels valid in both), so training
images look like L2A without its shadow artefacts.
"""

from __future__ import annotations

import numpy as np


def match_channel(source: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Map 1-D `source` values so their distribution follows 1-D `reference` (quantile mapping).

    Each source value goes to the reference value at the same mid-rank quantile, so matching a
    sample to itself is the identity.
    Returns float32 values, same length as `source`.
    """
    _, source_index, source_counts = np.unique(source, return_inverse=True, return_counts=True)
    source_quantiles = (np.cumsum(source_counts) - 0.5 * source_counts) / source.size
    reference_sorted = np.sort(reference)
    reference_quantiles = (np.arange(reference.size) + 0.5) / reference.size
    mapped = np.interp(source_quantiles, reference_quantiles, reference_sorted)
    return mapped[source_index].astype(np.float32)


def match_histograms(source_rgb: np.ndarray, reference_rgb: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per-channel histogram matching of (H, W, C) `source_rgb` to `reference_rgb` over `valid`.

    Both images are (H, W, C) float on the same grid; `valid` is (H, W) bool. Invalid pixels
    keep their source value. Returns (H, W, C) float32. With no valid pixel, returns the source.
    """
    if source_rgb.shape != reference_rgb.shape or valid.shape != source_rgb.shape[:2]:
        raise ValueError(f"shapes differ: source {source_rgb.shape}, reference {reference_rgb.shape}, mask {valid.shape}")
    result = source_rgb.astype(np.float32, copy=True)
    if not valid.any():
        return result
    for channel in range(source_rgb.shape[-1]):
        result[..., channel][valid] = match_channel(source_rgb[..., channel][valid], reference_rgb[..., channel][valid])
    return result
