"""Where a tile holds water: sea, lakes in closed lows, rivers along high flow accumulation, wet ground."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import label, maximum

from mesa.geometry.hydrology import Drainage
from mesa.data.synthetic.palettes import BiomePalette
from mesa.geometry.shading import slope_deg

SEA_LEVEL_M = 0.0
MIN_LAKE_DEPTH_M = 1.0
RIVER_WIDTH_M_PER_SQRT_KM2 = 12.0
"""Bankfull river width, metres, per square root of upstream area in km² (Leopold & Maddock style)."""


@dataclass
class WaterBodies:
    """Water of one tile; all arrays (H, W).

    Attributes:
        sea: bool, connected to the tile border below sea level.
        lake: bool, a closed low at least MIN_LAKE_DEPTH_M deep at its spill point (dry salt pan
            where the palette has no lakes: see `salt_pan`).
        salt_pan: bool, a closed low in an arid biome.
        river: float32 0..1, fraction of the pixel a river covers.
        wetness: float32 0..1, waterlogged ground from the topographic wetness index.
        depth_m: float32 water depth of sea and lakes, metres (0 elsewhere).
        surface_m: float32 elevation with sea and lakes replaced by their flat water surface, metres.
    """

    sea: np.ndarray
    lake: np.ndarray
    salt_pan: np.ndarray
    river: np.ndarray
    wetness: np.ndarray
    depth_m: np.ndarray
    surface_m: np.ndarray


def wetness_index(drainage: Drainage, elevation_m: np.ndarray, meters_per_pixel: float) -> np.ndarray:
    """Topographic wetness index ln(a / tan b) (Beven & Kirkby 1979), a in metres.

    Returns:
        (H, W) float32; flat valley floors with large upstream area score highest.
    """
    specific_area_m = drainage.accumulation_px * meters_per_pixel
    tan_slope = np.tan(np.radians(slope_deg(elevation_m, meters_per_pixel)))
    return np.log(specific_area_m / np.maximum(tan_slope, 1e-3)).astype(np.float32)


def _basin_max(depth_m: np.ndarray, filled_m: np.ndarray) -> np.ndarray:
    """(H, W) deepest depth of the closed low each flooded cell belongs to (0 on dry ground).

    Cells of one filled low share its spill level; labelling connected flooded cells and taking
    the maximum per label gives the basin's depth.
    """
    flooded = depth_m > 0
    labels, count = label(flooded, structure=np.ones((3, 3)))
    if count == 0:
        return np.zeros_like(depth_m)
    deepest = maximum(depth_m, labels, index=np.arange(1, count + 1))
    return np.where(flooded, np.concatenate([[0.0], deepest])[labels], 0.0).astype(np.float32)


def find_water(
    elevation_m: np.ndarray, drainage: Drainage, meters_per_pixel: float, palette: BiomePalette, relief_m: float
) -> WaterBodies:
    """Sea, lakes, salt pans, rivers and wet ground of a tile.

    Every closed low is filled to its spill point: deep ones (MIN_LAKE_DEPTH_M + the palette's
    lake_depth_fraction * relief_m) hold a lake (or a salt pan in arid biomes), the rest become
    flat silted-up ground, so the returned surface drains everywhere.

    Args:
        elevation_m: (H, W) metres, the grid `drainage` was routed on.
        relief_m: the tile's relief, metres.
    """
    sea = drainage.filled_m <= SEA_LEVEL_M
    depth_m = drainage.depression_depth_m(elevation_m)
    basin_depth_m = _basin_max(depth_m, drainage.filled_m)
    closed = (basin_depth_m >= MIN_LAKE_DEPTH_M + palette.lake_depth_fraction * relief_m) & (depth_m > 0) & ~sea
    lake = closed if palette.lakes else np.zeros_like(closed)
    area_km2 = drainage.accumulation_px * (meters_per_pixel / 1000.0) ** 2
    width_m = RIVER_WIDTH_M_PER_SQRT_KM2 * np.sqrt(area_km2)
    river = np.where(area_km2 >= palette.river_km2, np.clip(width_m / meters_per_pixel, 0.35, 1.0), 0.0)
    twi = wetness_index(drainage, elevation_m, meters_per_pixel)
    wetness = np.clip((twi - palette.wet_twi) / 2.0, 0.0, 1.0) if np.isfinite(palette.wet_twi) else np.zeros_like(twi)
    standing = sea | lake
    surface_m = np.where(sea, SEA_LEVEL_M, drainage.filled_m)
    return WaterBodies(
        sea=sea,
        lake=lake,
        salt_pan=closed & ~lake,
        river=np.where(standing, 0.0, river).astype(np.float32),
        wetness=wetness.astype(np.float32),
        depth_m=np.where(standing, surface_m - elevation_m, 0.0).astype(np.float32),
        surface_m=surface_m.astype(np.float32),
    )
