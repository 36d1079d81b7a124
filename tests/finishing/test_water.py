"""Water analysis: D8 directions, accumulation, Priority-Flood filling, lakes, rivers, sea."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.finishing import analyse_water, count_closed_depressions
from tests.finishing.conftest import MPP, tilted_plane


def test_a_plane_tilted_east_drains_east_and_accumulates_along_rows():
    plane = tilted_plane(12, 10, slope_east=-0.1)
    water = analyse_water(plane, MPP, river_min_cells=1)
    assert np.all(water.flow_direction[1:-1, :-1] == 1)  # 1 = east (ESRI D8)
    assert np.all(water.flow_direction[:, -1] == 0)  # the east edge drains out of the tile
    np.testing.assert_array_equal(water.accumulation_cells[5], np.arange(1, 11))
    assert water.accumulation_km2[5, -1] == pytest.approx(10 * (MPP / 1000.0) ** 2)
    assert water.closed_depressions == 0 and not water.lake.any() and not water.sea.any()


def test_flow_direction_codes_follow_the_compass():
    rows, columns = np.mgrid[0:9, 0:9]
    cone = 100.0 + np.hypot(rows - 4, columns - 4) * 5.0  # drains inward: a pit at the centre
    peak = 100.0 - np.hypot(rows - 4, columns - 4) * 5.0
    codes = analyse_water(peak, MPP, river_min_cells=1).flow_direction
    assert codes[4, 6] == 1 and codes[6, 4] == 4 and codes[4, 2] == 16 and codes[2, 4] == 64
    assert codes[6, 6] == 2 and codes[2, 2] == 32 and codes[2, 6] == 128 and codes[6, 2] == 8
    assert analyse_water(cone, MPP, river_min_cells=1).closed_depressions == 1


def test_priority_flood_fills_a_pit_to_its_spill_point_and_deep_pits_hold_lakes():
    terrain = tilted_plane(20, 20, slope_east=-0.05)
    terrain[8:12, 8:12] -= 12.0  # a 12 m deep pit; its lowest rim cell is on its east side
    water = analyse_water(terrain, MPP, lake_min_depth_m=5.0, river_min_cells=1)
    spill = terrain[8:12, 12].max()  # the rim it overflows through, east of the pit
    assert water.filled_m[9, 9] == pytest.approx(min(spill, terrain[7:13, 7:13].max()), abs=1e-3)
    assert water.depression_depth_m[9, 9] == pytest.approx(water.filled_m[9, 9] - terrain[9, 9], abs=1e-3)
    assert water.lake[8:12, 8:12].all() and water.lake.sum() == 16
    assert water.water_depth_m[9, 9] == pytest.approx(water.depression_depth_m[9, 9], abs=1e-3)
    shallow = analyse_water(terrain, MPP, lake_min_depth_m=20.0, river_min_cells=1)
    assert not shallow.lake.any() and shallow.closed_depressions == 1


def test_rivers_need_every_threshold_given_and_never_run_in_lakes():
    plane = tilted_plane(12, 40, slope_east=-0.1)
    cell_km2 = (MPP / 1000.0) ** 2
    by_cells = analyse_water(plane, MPP, river_min_km2=None, river_min_cells=25)
    np.testing.assert_array_equal(by_cells.river[5], np.arange(1, 41) >= 25)
    by_area = analyse_water(plane, MPP, river_min_km2=30 * cell_km2)
    np.testing.assert_array_equal(by_area.river[5], np.arange(1, 41) >= 30)
    both = analyse_water(plane, MPP, river_min_km2=30 * cell_km2, river_min_cells=25)
    np.testing.assert_array_equal(both.river, by_area.river)


def test_sea_is_what_the_border_reaches_below_sea_level_and_an_inland_low_is_not():
    terrain = tilted_plane(20, 30, slope_east=-0.5)  # 500 m in the west down to 65 m in the east
    terrain -= 200.0  # the eastern third is below 0 m
    terrain[8:12, 3:6] = -50.0  # a closed hollow below sea level in the high west
    water = analyse_water(terrain, MPP, sea_level_m=0.0, lake_min_depth_m=1.0, river_min_cells=1)
    np.testing.assert_array_equal(water.sea, (terrain <= 0.0) & (np.arange(30) >= 20))
    assert not water.sea[8:12, 3:6].any() and water.lake[8:12, 3:6].all()
    assert water.water_depth_m[10, 29] == pytest.approx(-terrain[10, 29], abs=1e-3)
    assert not (water.river & water.standing).any()


def test_counting_closed_depressions_separates_them():
    terrain = tilted_plane(20, 20, slope_east=-0.05)
    terrain[4:6, 4:6] -= 5.0
    terrain[13:15, 12:15] -= 5.0
    assert count_closed_depressions(terrain) == 2


def test_water_analysis_errors_are_clear():
    plane = tilted_plane(8, 8)
    with pytest.raises(UserError, match="river threshold"):
        analyse_water(plane, MPP, river_min_km2=None)
    with pytest.raises(UserError, match="3 x 3"):
        analyse_water(plane[:2], MPP)
    with pytest.raises(UserError, match="sea_level_m"):
        analyse_water(plane, MPP, sea_level_m=float("nan"))
    with pytest.raises(UserError, match="lake_min_depth_m"):
        analyse_water(plane, MPP, lake_min_depth_m=0.0)
