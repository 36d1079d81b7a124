"""Shadow correction (MESA section 4.3): give L1C pixels the colour statistics of L2A.

The L2A atmospheric/terrain correction leaves artefacts in mountain shadows (over-corrected,
noisy or false-coloured dark slopes), while L1C top-of-atmosphere colour has none but is hazier
and bluer. We keep L1C's pixels and match, per channel, their histogram to the L2A histogram of
the same acquisition (classic quantile mapping, computed on pixels valid in both), so training
images look like L2A without its shadow artefacts.
"""

from __future__ import annotations

import numpy as np


def match_channel(source: np.ndarray, reference: np.ndarray, levels: int = 4096) -> np.ndarray:
    """Map 1-D `source` colours in [0, 1] so their distribution follows 1-D `reference` (quantile mapping).

    Both are binned into `levels` equal bins over [0, 1] (error <= 1/levels, far below 8-bit
    display precision; O(N) instead of sorting); each source bin goes to the reference colour at
    the same mid-rank quantile, so matching a sample to itself is (nearly) the identity.
    Returns float32 values, same length as `source`.
    """
    source_bins = np.clip((source * levels).astype(np.int64), 0, levels - 1)
    reference_bins = np.clip((reference * levels).astype(np.int64), 0, levels - 1)
    source_counts = np.bincount(source_bins, minlength=levels)
    source_quantiles = (np.cumsum(source_counts) - 0.5 * source_counts) / source.size
    reference_counts = np.bincount(reference_bins, minlength=levels)
    reference_quantiles = (np.cumsum(reference_counts) - 0.5 * reference_counts) / reference.size
    present = np.flatnonzero(reference_counts)
    mapped = np.interp(source_quantiles, reference_quantiles[present], (present + 0.5) / levels)
    return mapped[source_bins].astype(np.float32)


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
