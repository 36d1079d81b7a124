"""Diversity: do different seeds of one prompt give different terrains, and is a generated set as
varied as the reference?

    seed-to-seed    per prompt, for every pair of its seeds: RMS difference of the elevation in
                    metres divided by the pair's mean relief (98th - 2nd percentile), and RMS
                    difference of the colour (0..1); a prompt "collapses" when its closest two
                    seeds differ by less than COLLAPSE_RELIEF_FRACTION of the relief
    set spread      mean over all pairs of a set of the RMS difference of the mean-removed
                    elevation, metres: generated set beside reference set (Talus reports the
                    same "mean pairwise RMSE" for both)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mesa.evaluation.elevation_statistics import relief_m
from mesa.evaluation.image_statistics import as_unit_rgb
from mesa.terrain import Terrain

COLLAPSE_RELIEF_FRACTION = 0.03
_MIN_RELIEF_M = 1.0


def seed_difference(first: Terrain, second: Terrain) -> tuple[float, float]:
    """(elevation RMS difference / mean relief, colour RMS difference on 0..1) of two terrains."""
    elevation = float(np.sqrt(np.mean((first.elevation_m.astype(np.float64) - second.elevation_m) ** 2)))
    relief = max((relief_m(first.elevation_m) + relief_m(second.elevation_m)) / 2, _MIN_RELIEF_M)
    colour = float(np.sqrt(np.mean((as_unit_rgb(first.rgb) - as_unit_rgb(second.rgb)) ** 2)))
    return elevation / relief, colour


def mean_pairwise_rmse_m(terrains: Sequence[Terrain]) -> float:
    """Mean over all pairs of the RMS difference of mean-removed elevation, metres (>= 2 tiles)."""
    centred = [t.elevation_m.astype(np.float64) - t.elevation_m.mean() for t in terrains]
    return float(np.mean([np.sqrt(np.mean((a - b) ** 2)) for a, b in itertools.combinations(centred, 2)]))


@dataclass(frozen=True)
class DiversityResult:
    """Seed-to-seed differences over prompts and the spread of whole sets.

    Attributes:
        median_elevation_difference, min_elevation_difference: over prompts, of each prompt's
            closest seed pair, elevation RMS difference / relief.
        median_colour_difference: over prompts, closest pair's colour RMS difference (0..1).
        collapsed_share: share of prompts whose closest seeds differ by < COLLAPSE_RELIEF_FRACTION.
        prompts: prompts with at least two seeds.
        generated_pairwise_rmse_m, reference_pairwise_rmse_m: set spread (NaN when not given).
    """

    median_elevation_difference: float
    min_elevation_difference: float
    median_colour_difference: float
    collapsed_share: float
    prompts: int
    generated_pairwise_rmse_m: float = float("nan")
    reference_pairwise_rmse_m: float = float("nan")


def diversity(seeds_by_prompt: Mapping[str, Sequence[Terrain]], generated_set: Sequence[Terrain] = (),
              reference_set: Sequence[Terrain] = ()) -> DiversityResult:
    """Seed-to-seed differences of every prompt with >= 2 seeds, and the spread of two sets (>= 2 each)."""
    closest_elevation, closest_colour = [], []
    for terrains in seeds_by_prompt.values():
        pairs = [seed_difference(a, b) for a, b in itertools.combinations(terrains, 2)]
        if pairs:
            closest = min(pairs)
            closest_elevation.append(closest[0])
            closest_colour.append(closest[1])
    if not closest_elevation:
        raise ValueError("diversity needs at least one prompt with two seeds")
    return DiversityResult(float(np.median(closest_elevation)), float(np.min(closest_elevation)),
                           float(np.median(closest_colour)),
                           float(np.mean(np.array(closest_elevation) < COLLAPSE_RELIEF_FRACTION)),
                           len(closest_elevation), _set_spread(generated_set), _set_spread(reference_set))


def _set_spread(terrains: Sequence[Terrain]) -> float:
    return mean_pairwise_rmse_m(terrains) if len(terrains) >= 2 else float("nan")
