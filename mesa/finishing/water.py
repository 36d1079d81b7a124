"""Water on any elevation map: D8 flow direction, flow accumulation, depression filling, lakes,
rivers and an optional sea, in metres, cells and square kilometres.

Depression filling uses the drainage tree of `mesa.geometry.hydrology.route_flow` (the one
implementation in MESA Studio): the minimum spanning tree of the 8-connected grid plus an
"outside" node on the border, with edge weight max(z_u, z_v). Growing that tree from the outside
with Prim's algorithm is exactly Priority-Flood (Barnes, Lehman & Mulla 2014), so the highest
point on a cell's tree path out is its Priority-Flood level. Flow directions are D8 steepest
descent on that filled surface, across flats along the tree (`drainage.py`), so every cell drains
to the border and rivers continue through lakes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from mesa.geometry.hydrology import route_flow
from mesa.errors import UserError
from mesa.finishing.checks import check_range
from mesa.finishing.drainage import OUTSIDE, accumulate, steepest_receivers
from mesa.limits import check_memory
from mesa.validation import check_elevation, check_positive

BYTES_PER_CELL = 420
"""Peak memory of `analyse_water` per grid cell (routing graph, tree, labels): 326 B measured at 1009^2."""
DEPRESSION_TOLERANCE_M = 0.01
"""A cell lies in a closed depression when filling raises it by more than this, metres."""
D8_CODES: dict[tuple[int, int], int] = {
    (0, 1): 1, (1, 1): 2, (1, 0): 4, (1, -1): 8, (0, -1): 16, (-1, -1): 32, (-1, 0): 64, (-1, 1): 128,
}  # fmt: skip
"""(d_row, d_col) of the receiver -> flow direction code (the ESRI / ArcGIS convention: 1 east,
then clockwise; rows grow southward). 0 marks a border cell that drains straight out of the tile."""


@dataclass(frozen=True)
class WaterMaps:
    """Where water goes and stands on one (H, W) grid.

    Attributes:
        flow_direction: (H, W) uint8 D8 code of the neighbour each cell drains into (D8_CODES),
            0 for border cells that drain out of the tile.
        accumulation_cells: (H, W) float32 cells draining through each cell, itself included.
        filled_m: (H, W) float32 depression-filled elevation (the Priority-Flood level), metres.
        depression_depth_m: (H, W) float32 filled minus original elevation, metres (>= 0).
        sea: (H, W) bool, connected to the tile border below `sea_level_m` (all False without one).
        lake: (H, W) bool, in a filled depression whose deepest point is >= `lake_min_depth_m`.
        river: (H, W) bool, accumulation above the river thresholds, outside sea and lakes.
        water_depth_m: (H, W) float32 depth of standing water (sea and lakes), metres.
        meters_per_pixel: ground spacing, metres.
        sea_level_m: the sea level used, metres, or None.
        closed_depressions: number of separate closed depressions (8-connected groups of cells
            that filling raises by more than DEPRESSION_TOLERANCE_M).
    """

    flow_direction: np.ndarray
    accumulation_cells: np.ndarray
    filled_m: np.ndarray
    depression_depth_m: np.ndarray
    sea: np.ndarray
    lake: np.ndarray
    river: np.ndarray
    water_depth_m: np.ndarray
    meters_per_pixel: float
    sea_level_m: float | None
    closed_depressions: int

    @property
    def accumulation_km2(self) -> np.ndarray:
        """(H, W) float32 upstream area of each cell, km^2."""
        return self.accumulation_cells * np.float32((self.meters_per_pixel / 1000.0) ** 2)

    @property
    def standing(self) -> np.ndarray:
        """(H, W) bool: sea or lake."""
        return self.sea | self.lake


def analyse_water(
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    sea_level_m: float | None = None,
    lake_min_depth_m: float = 1.0,
    river_min_km2: float | None = 0.5,
    river_min_cells: int | None = None,
) -> WaterMaps:
    """Flow direction, accumulation, filled depressions, lakes, rivers and sea of a terrain.

    Args:
        elevation_m: (H, W) finite elevation, metres, row 0 north; H, W >= 3.
        meters_per_pixel: ground spacing, metres.
        sea_level_m: cells connected to the border below this level are sea; None: no sea.
        lake_min_depth_m: a filled depression holds a lake when its deepest point is at least
            this deep, metres (shallower ones are flats).
        river_min_km2, river_min_cells: a cell carries a river when its upstream area reaches
            every threshold given (km^2 and/or cells); at least one is required.
    """
    elevation = check_elevation(elevation_m)
    meters_per_pixel = check_positive("meters_per_pixel", meters_per_pixel)
    _check_thresholds(elevation.shape, lake_min_depth_m, river_min_km2, river_min_cells, sea_level_m)
    check_memory(BYTES_PER_CELL * elevation.size, f"water analysis of {elevation.shape[1]} x {elevation.shape[0]} px",
                 "use a smaller elevation map")
    drainage = route_flow(elevation)
    receiver = steepest_receivers(drainage.filled_m, drainage.receiver)
    area_cells = accumulate(receiver).reshape(elevation.shape)
    depth_m = np.maximum(drainage.filled_m - elevation, 0.0).astype(np.float32)
    _, count = ndimage.label(depth_m > DEPRESSION_TOLERANCE_M, structure=np.ones((3, 3)))
    sea = drainage.filled_m <= sea_level_m if sea_level_m is not None else np.zeros(elevation.shape, bool)
    lake = _deep_basins(depth_m, lake_min_depth_m) & ~sea
    river = np.ones(elevation.shape, bool)
    if river_min_cells is not None:
        river &= area_cells >= river_min_cells
    if river_min_km2 is not None:
        river &= area_cells * (meters_per_pixel / 1000.0) ** 2 >= river_min_km2
    surface_m = np.where(sea, sea_level_m if sea_level_m is not None else 0.0, drainage.filled_m)
    standing = sea | lake
    return WaterMaps(
        flow_direction=flow_direction_codes(receiver, elevation.shape),
        accumulation_cells=area_cells.astype(np.float32),
        filled_m=drainage.filled_m,
        depression_depth_m=depth_m,
        sea=sea,
        lake=lake,
        river=river & ~standing,
        water_depth_m=np.where(standing, np.maximum(surface_m - elevation, 0.0), 0.0).astype(np.float32),
        meters_per_pixel=meters_per_pixel,
        sea_level_m=None if sea_level_m is None else float(sea_level_m),
        closed_depressions=int(count),
    )


def count_closed_depressions(elevation_m: np.ndarray) -> int:
    """Number of separate closed depressions of an (H, W) elevation map in metres (see WaterMaps)."""
    elevation = check_elevation(elevation_m)
    depth_m = route_flow(elevation).filled_m - elevation
    return int(ndimage.label(depth_m > DEPRESSION_TOLERANCE_M, structure=np.ones((3, 3)))[1])


def flow_direction_codes(receiver: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) uint8 D8 codes from flat receiver indices (H * W,), OUTSIDE -> 0."""
    height, width = shape
    cells = np.arange(height * width)
    inside = receiver != OUTSIDE
    d_row = np.where(inside, receiver // width - cells // width, 0)
    d_col = np.where(inside, receiver % width - cells % width, 0)
    lookup = np.zeros((3, 3), np.uint8)
    for (row, col), code in D8_CODES.items():
        lookup[row + 1, col + 1] = code
    return lookup[d_row + 1, d_col + 1].reshape(shape)


def _deep_basins(depth_m: np.ndarray, min_depth_m: float) -> np.ndarray:
    """(H, W) bool: cells of 8-connected flooded groups whose deepest cell is >= min_depth_m."""
    labels, count = ndimage.label(depth_m > 0, structure=np.ones((3, 3)))
    if count == 0:
        return np.zeros(depth_m.shape, bool)
    deepest = ndimage.maximum(depth_m, labels, index=np.arange(1, count + 1))
    keep = np.concatenate([[False], deepest >= min_depth_m])
    return keep[labels]


def _check_thresholds(
    shape: tuple[int, int],
    lake_min_depth_m: float,
    river_min_km2: float | None,
    river_min_cells: int | None,
    sea_level_m: float | None,
) -> None:
    """UserError for a grid too small to route or thresholds that are not positive numbers."""
    if min(shape) < 3:
        raise UserError(f"water analysis needs at least 3 x 3 px, got {shape[1]} x {shape[0]}")
    check_positive("lake_min_depth_m", lake_min_depth_m)
    if river_min_km2 is None and river_min_cells is None:
        raise UserError("give a river threshold: river_min_km2 and/or river_min_cells")
    if river_min_km2 is not None:
        check_positive("river_min_km2", river_min_km2)
    if river_min_cells is not None:
        check_positive("river_min_cells", river_min_cells)
    if sea_level_m is not None:
        check_range("sea_level_m", sea_level_m, -12_000.0, 9_000.0)
