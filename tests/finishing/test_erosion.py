"""Hydraulic and thermal erosion: conservation, where material goes, drainage, settings, devices."""

from __future__ import annotations

import math
import threading
from dataclasses import replace

import numpy as np
import pytest
import torch

from mesa.errors import UserError
from mesa.finishing import (
    ErosionCancelled,
    HydraulicErosion,
    ThermalErosion,
    count_closed_depressions,
    erode,
    erosion_settings,
    hydraulic_erosion,
    thermal_erosion,
)
from mesa.geometry.shading import slope_deg
from tests.finishing.conftest import MPP, rough_hills, tilted_plane

SHORT = HydraulicErosion(iterations=40)


def test_hydraulic_erosion_conserves_sediment_and_reports_volumes(hills):
    result = hydraulic_erosion(hills, MPP, SHORT)
    cell_m2 = MPP * MPP
    assert result.elevation_m.shape == hills.shape and result.elevation_m.dtype == np.float32
    assert result.eroded_m3 > 0 and result.deposited_m3 > 0 and result.carried_out_m3 > 0
    # independent of the reported figures: the ground lost exactly what the border tally says left
    assert -result.change_m.astype(np.float64).sum() * cell_m2 == pytest.approx(result.carried_out_m3, rel=1e-3)
    assert result.conservation_error < 1e-4
    assert result.max_change_m == pytest.approx(np.abs(result.elevation_m - hills).max(), abs=1e-3)
    np.testing.assert_allclose(result.wear_m - result.deposit_m, -result.change_m)


def test_a_closed_bowl_keeps_all_its_sediment():
    rows, columns = np.mgrid[0:40, 0:40]
    bowl = 0.02 * ((rows - 19.5) ** 2 + (columns - 19.5) ** 2) * MPP  # rim 24 m above the centre
    result = hydraulic_erosion(bowl, MPP, SHORT)
    assert result.eroded_m3 > 0
    assert result.carried_out_m3 == 0.0  # the ground rises towards the border: nothing flows out
    assert result.deposited_m3 == pytest.approx(result.eroded_m3, rel=1e-4)
    centre, rim = result.change_m[17:23, 17:23].mean(), result.change_m[:, :3].mean()
    assert centre > 0 > rim  # washed off the slopes, laid down in the bottom


def test_flat_ground_does_not_change_and_the_grid_is_never_resampled():
    flat = np.full((16, 20), 250.0)
    result = erode(flat, MPP, "hydraulic+thermal")
    assert result.elevation_m.shape == flat.shape
    np.testing.assert_array_equal(result.change_m, 0.0)
    assert result.eroded_m3 == result.deposited_m3 == result.carried_out_m3 == 0.0


def test_water_gathers_in_the_valley_floor_and_lays_down_what_it_washed_off_the_slopes():
    rows, columns = np.mgrid[0:48, 0:33].astype(np.float64)
    valley = 600.0 - 8.0 * rows + 3.0 * np.abs(columns - 16)  # drains south, V-shaped around column 16
    result = hydraulic_erosion(valley, MPP, SHORT)
    flow_by_column = result.flow_m[24:40].mean(axis=0)
    change_by_column = result.change_m[24:40].mean(axis=0)
    assert np.argmax(flow_by_column) == 16
    assert flow_by_column[16] > 3.0 * flow_by_column[:5].mean()
    assert change_by_column[16] > 0.0 > change_by_column[:5].max()  # slopes worn, floor filled
    np.testing.assert_allclose(result.change_m, result.change_m[:, ::-1], atol=1e-4)  # symmetric valley


def test_hydraulic_erosion_leaves_fewer_closed_depressions():
    for seed in range(3):
        terrain = rough_hills(seed=seed)
        eroded = hydraulic_erosion(terrain, MPP).elevation_m
        before, after = count_closed_depressions(terrain), count_closed_depressions(eroded)
        assert after < 0.6 * before, (seed, before, after)


def test_thermal_erosion_relaxes_cliffs_to_the_talus_angle_and_conserves_volume():
    rows, columns = np.mgrid[0:30, 0:30].astype(np.float64)
    cliff = np.where(columns < 15, 400.0, 300.0) + 0.0 * rows  # a 100 m step
    result = thermal_erosion(cliff, MPP, ThermalErosion(talus_deg=30.0, iterations=400, rate=0.5))
    assert result.carried_out_m3 == 0.0
    assert result.deposited_m3 == pytest.approx(result.eroded_m3, rel=1e-5)
    steepest = slope_deg(result.elevation_m, MPP)[5:-5].max()
    assert steepest < 36.0 < slope_deg(cliff, MPP).max()


def test_thermal_erosion_leaves_slopes_below_the_talus_angle_alone():
    plane = tilted_plane(slope_east=-math.tan(math.radians(20.0)))
    result = thermal_erosion(plane, MPP, ThermalErosion(talus_deg=30.0))
    np.testing.assert_array_equal(result.change_m, 0.0)


def test_hydraulic_plus_thermal_interleaves_and_reports_one_run(hills):
    both = erode(hills, MPP, "hydraulic+thermal", strength=0.4)
    assert both.kind == "hydraulic+thermal" and both.iterations == 40
    assert both.conservation_error < 1e-4
    only_water = erode(hills, MPP, "hydraulic", strength=0.4)
    assert not np.array_equal(both.elevation_m, only_water.elevation_m)


def test_progress_is_reported_every_iteration_and_cancel_stops_the_run(hills):
    seen = []
    erode(hills, MPP, "thermal", strength=0.1, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(k, 5) for k in range(1, 6)]
    cancel = threading.Event()

    def stop_after_three(done: int, total: int) -> None:
        if done == 3:
            cancel.set()

    with pytest.raises(ErosionCancelled, match="after 3 of 40"):
        erode(hills, MPP, "hydraulic", strength=0.4, progress=stop_after_three, cancel=cancel)


def test_strength_scales_time_only():
    hydraulic, thermal = erosion_settings("hydraulic+thermal", 2.5)
    assert hydraulic.iterations == 250 and thermal.iterations == 125
    assert replace(hydraulic, iterations=100) == HydraulicErosion()
    assert erosion_settings("thermal", 1.0) == (None, ThermalErosion())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda z: erode(z, MPP, "landslide"), "unknown erosion"),
        (lambda z: erode(z, MPP, "hydraulic", strength=0.0), "strength"),
        (lambda z: hydraulic_erosion(z, MPP, HydraulicErosion(rain_m=-0.1)), "rain_m"),
        (lambda z: hydraulic_erosion(z, MPP, HydraulicErosion(evaporation=1.5)), "evaporation"),
        (lambda z: hydraulic_erosion(z, MPP, HydraulicErosion(iterations=0)), "iterations"),
        (lambda z: thermal_erosion(z, MPP, ThermalErosion(talus_deg=95.0)), "talus_deg"),
        (lambda z: hydraulic_erosion(z, 0.0), "meters_per_pixel"),
        (lambda z: hydraulic_erosion(np.where(z > 900, np.nan, z), MPP), "NaN"),
        (lambda z: hydraulic_erosion(z, MPP, device="tpu"), "device"),
    ],
)
def test_bad_settings_are_one_clear_user_error(hills, call, message):
    with pytest.raises(UserError, match=message):
        call(hills)


def test_erosion_refuses_what_does_not_fit_in_memory(hills, monkeypatch):
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", "0.0001")
    with pytest.raises(UserError, match="memory"):
        erode(hills, MPP, "hydraulic")


@pytest.mark.gpu
def test_the_same_code_runs_on_a_gpu(hills):
    assert torch.cuda.is_available()
    on_cpu = erode(hills, MPP, "hydraulic+thermal", strength=0.5)
    on_gpu = erode(hills, MPP, "hydraulic+thermal", strength=0.5, device="cuda")
    np.testing.assert_allclose(on_gpu.elevation_m, on_cpu.elevation_m, atol=1e-2)
    assert on_gpu.conservation_error < 1e-4
