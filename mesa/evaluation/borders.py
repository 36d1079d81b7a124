"""Border artefacts of elevation maps: a raised (or sunken) rim along the edges, spikes at corners.

    ring step      mean elevation of the outer ring (the `ring_px` pixels next to the edge)
                   minus the mean of the next ring inwards, metres; also divided by the tile's
                   relief (98th - 2nd percentile)
    corner spike   how far the highest pixel of the four corner blocks (`ring_px` square) rises
                   above the tile's 98th percentile, in reliefs (0 when it does not); a tile
                   "has a corner spike" above CORNER_SPIKE_RELIEFS

A natural tile has no reason to be higher at its edges than just inside them, so over a set the
ring step averages near 0 and corner spikes are rare; both are reported for the reference too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mesa.evaluation.elevation_statistics import relief_m
from mesa.terrain import Terrain

RING_PX = 4
CORNER_SPIKE_RELIEFS = 0.5
_MIN_RELIEF_M = 1.0  # a flatter tile is measured against 1 m of relief


def ring_step_m(elevation_m: np.ndarray, ring_px: int = RING_PX) -> float:
    """Mean of the outer `ring_px`-wide ring minus the mean of the next ring inwards, metres
    (tiles of at least 4 * ring_px + 1 pixels a side)."""
    field = np.asarray(elevation_m, dtype=np.float64)
    if min(field.shape) < 4 * ring_px + 1:
        raise ValueError(f"a {field.shape} tile is too small for two {ring_px} px rings")
    outer = np.ones(field.shape, bool)
    outer[ring_px:-ring_px, ring_px:-ring_px] = False
    inner = np.zeros(field.shape, bool)
    inner[ring_px:-ring_px, ring_px:-ring_px] = True
    inner[2 * ring_px:-2 * ring_px, 2 * ring_px:-2 * ring_px] = False
    return float(field[outer].mean() - field[inner].mean())


def corner_spike_reliefs(elevation_m: np.ndarray, ring_px: int = RING_PX) -> float:
    """Rise of the highest corner-block pixel above the 98th percentile, in reliefs (>= 0)."""
    field = np.asarray(elevation_m, dtype=np.float64)
    k = ring_px
    corners = np.concatenate([field[:k, :k].ravel(), field[:k, -k:].ravel(), field[-k:, :k].ravel(),
                              field[-k:, -k:].ravel()])
    high = float(np.percentile(field, 98))
    return max(0.0, float(corners.max()) - high) / max(relief_m(field), _MIN_RELIEF_M)


@dataclass(frozen=True)
class BorderResult:
    """Border artefacts over a set of tiles.

    Attributes:
        ring_step_m: mean over tiles of the ring step, metres (positive: raised rim).
        ring_step_abs_m: mean absolute ring step, metres (a rim up in one tile and down in
            another does not cancel: the figure to compare with the reference's).
        ring_step_abs_reliefs: mean over tiles of |ring step| / relief.
        corner_spike_reliefs: mean corner spike, reliefs.
        corner_spike_share: share of tiles with a corner spike above CORNER_SPIKE_RELIEFS.
        tiles: tiles measured.
    """

    ring_step_m: float
    ring_step_abs_m: float
    ring_step_abs_reliefs: float
    corner_spike_reliefs: float
    corner_spike_share: float
    tiles: int


def border_artefacts(terrains: Sequence[Terrain], ring_px: int = RING_PX) -> BorderResult:
    """Ring steps and corner spikes of a non-empty set of tiles."""
    if not terrains:
        raise ValueError("border_artefacts needs at least one tile")
    steps = np.array([ring_step_m(t.elevation_m, ring_px) for t in terrains])
    reliefs = np.array([max(relief_m(t.elevation_m), _MIN_RELIEF_M) for t in terrains])
    spikes = np.array([corner_spike_reliefs(t.elevation_m, ring_px) for t in terrains])
    return BorderResult(float(steps.mean()), float(np.abs(steps).mean()), float((np.abs(steps) / reliefs).mean()),
                        float(spikes.mean()), float(np.mean(spikes > CORNER_SPIKE_RELIEFS)), len(terrains))
