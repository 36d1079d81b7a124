"""Erosion, vectorised: thermal (talus) relaxation and flow-accumulation stream carving."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import distance_transform_edt

from mesa.geometry.hydrology import Drainage

_NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def thermal_erosion(
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    talus_deg: float = 35.0,
    iterations: int = 8,
    rate: float = 0.2,
) -> np.ndarray:
    """Slopes steeper than the talus angle shed material to their lower 4-neighbours.

    Each iteration moves `rate` of the height in excess of the talus slope from a cell to each
    lower neighbour (mass is conserved; the tile border is a wall).

    Args:
        elevation_m: (H, W) metres.
    Returns:
        (H, W) float32 metres.
    """
    z = elevation_m.astype(np.float32).copy()
    talus_height = np.float32(np.tan(np.radians(talus_deg)) * meters_per_pixel)
    share = np.float32(rate / len(_NEIGHBOURS))
    for _ in range(iterations):
        padded = np.pad(z, 1, mode="edge")
        change = np.zeros_like(z)
        for dr, dc in _NEIGHBOURS:
            neighbour = padded[1 + dr : 1 + dr + z.shape[0], 1 + dc : 1 + dc + z.shape[1]]
            moved = np.maximum(z - neighbour - talus_height, 0.0) * share
            change -= moved
            change += _shift(moved, dr, dc)
        z += change
    return z


def _shift(field: np.ndarray, dr: int, dc: int) -> np.ndarray:
    """Move every value one cell by (dr, dc); what leaves the grid is dropped, zeros come in."""
    out = np.zeros_like(field)
    h, w = field.shape
    out[max(dr, 0) : h + min(dr, 0), max(dc, 0) : w + min(dc, 0)] = field[
        max(-dr, 0) : h + min(-dr, 0), max(-dc, 0) : w + min(-dc, 0)
    ]
    return out


def carve_streams(
    elevation_m: np.ndarray,
    drainage: Drainage,
    meters_per_pixel: float,
    max_incision_m: float,
    min_area_km2: float = 0.15,
    side_slope_deg: float = 20.0,
    exponent: float = 0.4,
    n_levels: int = 8,
) -> np.ndarray:
    """Cut V-shaped valleys along the drainage network.

    A cell whose upstream area A exceeds `min_area_km2` is a channel, incised by
    `max_incision_m * (A / tile area) ** exponent`. Around the channels the cut falls off with
    distance at tan(side_slope): the carve at a cell is the largest `incision_c - distance_c *
    tan(side_slope)` over channels c, evaluated for `n_levels` geometric incision levels with one
    Euclidean distance transform each, so valleys widen downstream and ridges form where the
    sides of neighbouring valleys meet.

    Args:
        elevation_m: (H, W) metres, the grid `drainage` was routed on.
    Returns:
        (H, W) float32 metres.
    """
    cell_km2 = (meters_per_pixel / 1000.0) ** 2
    area_km2 = drainage.accumulation_px * cell_km2
    channel = area_km2 >= min_area_km2
    if not channel.any() or max_incision_m <= 0:
        return elevation_m.astype(np.float32)
    incision = np.where(channel, max_incision_m * (area_km2 / (elevation_m.size * cell_km2)) ** exponent, 0.0)
    drop_per_px = meters_per_pixel * np.tan(np.radians(side_slope_deg))
    carve = incision
    for level in np.geomspace(incision[channel].min(), incision.max(), n_levels):
        distance_px = distance_transform_edt(incision < level)
        carve = np.maximum(carve, level - distance_px * drop_per_px)
    return (elevation_m - carve).astype(np.float32)
