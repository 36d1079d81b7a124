"""Memorisation: is a generated tile a copy of a training tile?

Descriptor of a tile: its elevation in metres averaged over a coarse grid (32 x 32 blocks by
default, so a copy decoded through a blurring autoencoder still matches), minus its mean (a copy
lifted by a constant is still a copy). Distance from a query tile q to a training tile t:

    d(q, t) = RMS(q - t) / std(q)

0 for an exact copy, about sqrt(2) for an unrelated tile of the same roughness, 1 against a flat
tile; dividing by the query's own spread makes plains and mountains comparable. Each tile's
nearest-training distance is its minimum over the training pool.

What a fresh tile scores is measured, not assumed: the held-out reference tiles (never trained
on, drawn like the training tiles) give the nearest-training distances of novel terrain. A
generated tile is a near-copy when its distance is below NEAR_COPY_FRACTION of the 5th percentile
of the held-out tiles' distances; the share of near-copies (0 for a model that does not copy) is
reported beside the same share for the held-out tiles themselves, with the ratio of medians.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mesa.evaluation.coupling import COARSE_GRID, block_means
from mesa.terrain import Terrain

NEAR_COPY_FRACTION = 0.5
HELD_OUT_PERCENTILE = 5.0


def descriptor(elevation_m: np.ndarray, grid: int = COARSE_GRID) -> np.ndarray:
    """(grid * grid,) float32 block-mean elevation minus its mean, metres."""
    coarse = block_means(elevation_m, grid).ravel()
    return (coarse - coarse.mean()).astype(np.float32)


def descriptors(terrains: Sequence[Terrain], grid: int = COARSE_GRID) -> np.ndarray:
    """(N, grid * grid) float32 descriptors of a set of tiles."""
    return np.stack([descriptor(t.elevation_m, grid) for t in terrains])


def nearest_distances(queries: np.ndarray, pool: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distance (N,), index (N,)) of each query's nearest pool descriptor (see the module
    docstring); queries (N, D) and pool (M, D) descriptors, M >= 1."""
    queries, pool = np.asarray(queries, np.float64), np.asarray(pool, np.float64)
    squared = ((queries**2).sum(1)[:, None] + (pool**2).sum(1)[None, :] - 2.0 * queries @ pool.T)
    mean_squared = np.maximum(squared, 0.0) / queries.shape[1]
    nearest = np.argmin(mean_squared, axis=1)
    spread = np.maximum(queries.std(axis=1), 1e-6)
    return np.sqrt(mean_squared[np.arange(len(queries)), nearest]) / spread, nearest


@dataclass(frozen=True)
class MemorisationResult:
    """Nearest-training distances of generated and held-out tiles.

    Attributes:
        generated_median, held_out_median: median nearest-training distance (unitless).
        median_ratio: generated / held-out medians (well below 1: copying).
        threshold: near-copy distance (NEAR_COPY_FRACTION x the held-out 5th percentile).
        near_copy_share: share of generated tiles below the threshold (copies: a failure).
        held_out_near_copy_share: the same share among held-out tiles (the baseline).
        pool_size: training tiles searched.
    """

    generated_median: float
    held_out_median: float
    median_ratio: float
    threshold: float
    near_copy_share: float
    held_out_near_copy_share: float
    pool_size: int


def memorisation(generated: np.ndarray, held_out: np.ndarray, pool: np.ndarray) -> MemorisationResult:
    """Compare the descriptors of generated (N, D) and held-out (R, D) tiles with a training pool (M, D)."""
    if not len(generated) or not len(held_out) or not len(pool):
        raise ValueError("memorisation needs generated tiles, held-out tiles and a training pool")
    generated_distances, _ = nearest_distances(generated, pool)
    held_out_distances, _ = nearest_distances(held_out, pool)
    threshold = NEAR_COPY_FRACTION * float(np.percentile(held_out_distances, HELD_OUT_PERCENTILE))
    generated_median, held_out_median = float(np.median(generated_distances)), float(np.median(held_out_distances))
    return MemorisationResult(generated_median, held_out_median, generated_median / max(held_out_median, 1e-12),
                              threshold, float(np.mean(generated_distances < threshold)),
                              float(np.mean(held_out_distances < threshold)), len(pool))
