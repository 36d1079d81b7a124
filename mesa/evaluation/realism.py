"""Realism against a noise floor: per-tile statistics of generated and reference tiles, compared as
distributions, beside the same comparison between two halves of the reference.

Protocol (after Talus' docs/EVALUATION.md: generated-vs-held-out beside held-out-vs-held-out at
the same set size). The reference holds 2n held-out tiles R, and tile i of the generated set G
was generated from the caption of R[i]. One partition splits the indices at random into halves
S and C of n each and measures

    distance    = (D(G[S], R[C]) + D(G[C], R[S])) / 2     generated from one half vs the other half
    noise floor =  D(R[S], R[C])                          the reference's two halves

with the same halves, the same n and the same D, so the finite-sample bias of D (two samples of
one distribution are never at distance 0) is the same in both. A model whose tiles follow the
reference's distribution given the caption has the floor's expected distance: G[S] is then a
sample of the same places' distribution as R[S], and independent of R[C] as R[S] is. Both are
averaged over many random partitions (their spread over partitions is reported too).

D is the mean over statistics of the 1-D Wasserstein-1 distance between the two sets' values of
that statistic, divided by the reference's standard deviation of it. Wasserstein-1 compares whole
distributions, not only means (a model that puts every tile at the average relief is far from a
reference of plains and mountains), is in the statistic's own units, and does not need bins;
dividing by the reference spread makes every term unitless and comparable (1 = a shift by one
reference standard deviation), and does not depend on the model; the plain mean weighs every
statistic equally, and the per-statistic terms show which one is off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mesa.evaluation.elevation_statistics import (
    ELEVATION_STATISTICS,
    elevation_statistics,
)
from mesa.evaluation.image_statistics import IMAGE_STATISTICS, image_statistics
from mesa.terrain import Terrain

STATISTICS = ELEVATION_STATISTICS + IMAGE_STATISTICS
GROUPS = {"elevation": ELEVATION_STATISTICS, "image": IMAGE_STATISTICS}
DEFAULT_PARTITIONS = 200


def tile_statistics(terrain: Terrain) -> dict[str, float]:
    """Every statistic of STATISTICS for one terrain (elevation in metres, colour image)."""
    return {**elevation_statistics(terrain.elevation_m, terrain.meters_per_pixel), **image_statistics(terrain.rgb)}


def statistics_table(terrains: Sequence[Terrain]) -> np.ndarray:
    """(N, len(STATISTICS)) float64: row i holds the statistics of terrains[i] (NaN where undefined)."""
    rows = [tile_statistics(terrain) for terrain in terrains]
    return np.array([[row[name] for name in STATISTICS] for row in rows], dtype=np.float64).reshape(
        len(terrains), len(STATISTICS))


def wasserstein_1d(first: np.ndarray, second: np.ndarray) -> float:
    """Wasserstein-1 distance between two 1-D samples (NaNs dropped; NaN if either is then empty):
    the area between their empirical cumulative distribution functions."""
    first, second = np.asarray(first, np.float64), np.asarray(second, np.float64)
    first, second = np.sort(first[np.isfinite(first)]), np.sort(second[np.isfinite(second)])
    if not first.size or not second.size:
        return float("nan")
    if first.size == second.size:
        return float(np.mean(np.abs(first - second)))
    support = np.concatenate([first, second])
    support.sort()
    cdf_first = np.searchsorted(first, support[:-1], side="right") / first.size
    cdf_second = np.searchsorted(second, support[:-1], side="right") / second.size
    return float(np.sum(np.abs(cdf_first - cdf_second) * np.diff(support)))


@dataclass(frozen=True)
class RealismTerm:
    """One statistic's share of the realism distance.

    Attributes:
        statistic: its name (STATISTICS).
        distance, noise_floor: mean over partitions of W1 / scale (unitless).
        scale: the reference's standard deviation of the statistic, its own units.
        generated_mean, reference_mean: mean over the whole sets, its own units.
    """

    statistic: str
    distance: float
    noise_floor: float
    scale: float
    generated_mean: float
    reference_mean: float


@dataclass(frozen=True)
class RealismResult:
    """Realism distance and noise floor (unitless, lower is better; see the module docstring).

    Attributes:
        distance, noise_floor: mean over partitions of the combined distances.
        distance_spread, noise_floor_spread: their standard deviation over partitions.
        groups: "elevation" / "image" -> (distance, noise_floor) over that group's statistics.
        terms: per statistic, in STATISTICS order.
        set_size: tiles per half (n).
        partitions: random partitions averaged.
    """

    distance: float
    noise_floor: float
    distance_spread: float
    noise_floor_spread: float
    groups: dict[str, tuple[float, float]]
    terms: tuple[RealismTerm, ...]
    set_size: int
    partitions: int

    @property
    def ratio(self) -> float:
        """distance / noise_floor: 1 is as close as held-out data is to itself."""
        return self.distance / self.noise_floor if self.noise_floor > 0 else float("inf")


def reference_scales(reference: np.ndarray, generated: np.ndarray) -> np.ndarray:
    """(S,) scale per statistic: the reference's standard deviation; where the reference does not
    vary, the pooled standard deviation of both sets; where neither varies, 1 (every W1 is 0)."""
    scales = np.nanstd(reference, axis=0, ddof=1)
    pooled = np.nanstd(np.concatenate([reference, generated]), axis=0, ddof=1)
    scales = np.where(scales > 0, scales, pooled)
    return np.where(scales > 0, scales, 1.0)


def realism(generated: np.ndarray, reference: np.ndarray, names: Sequence[str] = STATISTICS,
            partitions: int = DEFAULT_PARTITIONS, seed: int = 0) -> RealismResult:
    """Distance of `generated` (N, S) from `reference` (N, S) beside the reference's noise floor.

    Row i of `generated` was generated from the caption of reference row i. N >= 4; the halves
    hold N // 2 rows each (one row left out of each partition when N is odd).
    """
    generated, reference = np.asarray(generated, np.float64), np.asarray(reference, np.float64)
    if generated.shape != reference.shape or generated.ndim != 2 or generated.shape[1] != len(names):
        raise ValueError(f"generated {generated.shape} and reference {reference.shape} must both be "
                         f"(N, {len(names)})")
    count = len(reference)
    if count < 4:
        raise ValueError(f"realism needs at least 4 reference tiles (two halves of 2), got {count}")
    if partitions < 1:
        raise ValueError(f"partitions must be >= 1, got {partitions}")
    scales, half = reference_scales(reference, generated), count // 2
    rng = np.random.default_rng(seed)
    model_terms = np.zeros((partitions, len(names)))
    floor_terms = np.zeros((partitions, len(names)))
    for k in range(partitions):
        order = rng.permutation(count)
        first, second = order[:half], order[half:2 * half]
        for s in range(len(names)):
            model_terms[k, s] = (wasserstein_1d(generated[first, s], reference[second, s])
                                 + wasserstein_1d(generated[second, s], reference[first, s])) / 2 / scales[s]
            floor_terms[k, s] = wasserstein_1d(reference[first, s], reference[second, s]) / scales[s]
    return _summarise(model_terms, floor_terms, scales, generated, reference, names, half)


def _summarise(model_terms, floor_terms, scales, generated, reference, names, half) -> RealismResult:
    model_combined, floor_combined = np.nanmean(model_terms, axis=1), np.nanmean(floor_terms, axis=1)
    terms = tuple(RealismTerm(name, float(np.nanmean(model_terms[:, s])), float(np.nanmean(floor_terms[:, s])),
                              float(scales[s]), float(np.nanmean(generated[:, s])),
                              float(np.nanmean(reference[:, s])))
                  for s, name in enumerate(names))
    groups = {}
    for group, members in GROUPS.items():
        columns = [s for s, name in enumerate(names) if name in members]
        if columns:
            groups[group] = (float(np.mean(np.nanmean(model_terms[:, columns], axis=1))),
                             float(np.mean(np.nanmean(floor_terms[:, columns], axis=1))))
    return RealismResult(float(model_combined.mean()), float(floor_combined.mean()), float(model_combined.std()),
                         float(floor_combined.std()), groups, terms, half, len(model_terms))
