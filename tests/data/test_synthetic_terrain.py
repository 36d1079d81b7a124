"""Noise, flow routing, erosion, landform recipes and hillshade of mesa.data.synthetic."""

import numpy as np
import pytest

from mesa.data.synthetic.erosion import carve_streams, thermal_erosion
from mesa.geometry.hydrology import OUTSIDE, route_flow
from mesa.data.synthetic.landforms import RECIPES, generate_elevation
from mesa.data.synthetic.noise import fbm, noise_bands, ridged
from mesa.data.synthetic.params import landform_relief
from mesa.geometry.shading import SUN_ALTITUDE_DEG, SUN_AZIMUTH_DEG, gradient_east_north, hillshade


def _relief(elevation_m: np.ndarray) -> float:
    low, high = np.percentile(elevation_m, [2, 98])
    return float(high - low)


def test_noise_bands_are_seeded_unit_variance_octaves():
    a = noise_bands((64, 64), 120.0, np.random.default_rng(3))
    b = noise_bands((64, 64), 120.0, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.float32 and a.shape[1:] == (64, 64)
    assert a.shape[0] == 6  # 7680 m .. 240 m; 120 m would be above Nyquist (240 m)
    np.testing.assert_allclose(a.std(axis=(1, 2)), 1.0, rtol=1e-3)
    assert fbm(a).shape == (64, 64)
    assert 0.0 <= ridged(a).min() and ridged(a).max() <= 1.0


def test_route_flow_fills_a_bowl_to_its_rim():
    rows, cols = np.indices((9, 9))
    bowl = np.hypot(rows - 4, cols - 4).astype(np.float32)
    bowl[4, 0] = 0.5  # a notch in the rim: the spill point, 0.5 m
    drainage = route_flow(bowl)
    assert drainage.filled_m[4, 4] == pytest.approx(bowl[4, 1])  # spills over the lowest path, via (4, 1)
    assert np.all(drainage.filled_m >= bowl)
    inside = int((bowl < 3).sum())  # cells lower than the spill cell (4, 1) can only leave through it
    assert drainage.accumulation_px[4, 1] >= inside + 1


def test_route_flow_on_a_plane_drains_downslope_and_conserves_cells():
    cols = np.tile(np.arange(16, dtype=np.float32), (8, 1))
    plane = 100.0 - cols  # falls to the east
    drainage = route_flow(plane)
    np.testing.assert_array_equal(drainage.filled_m, plane)
    receiver = drainage.receiver.reshape(8, 16)
    inner = receiver[1:-1, 1:-2]
    assert np.all(inner % 16 == (np.indices(inner.shape)[1] + 2))  # every inner cell drains one column east
    outlets = drainage.accumulation_px.ravel()[drainage.receiver == OUTSIDE]
    assert outlets.sum() == pytest.approx(plane.size)


def test_route_flow_rejects_bad_grids():
    with pytest.raises(ValueError, match="finite"):
        route_flow(np.full((4, 4), np.nan))
    with pytest.raises(ValueError, match="3x3"):
        route_flow(np.zeros((2, 5)))


def test_thermal_erosion_conserves_mass_and_limits_slopes():
    z = np.zeros((32, 32), np.float32)
    z[16, 16] = 1000.0
    eroded = thermal_erosion(z, 30.0, talus_deg=35.0, iterations=40)
    assert eroded.sum() == pytest.approx(z.sum(), rel=1e-4)
    assert eroded.max() < 500.0


def test_carve_streams_only_lowers():
    rng = np.random.default_rng(0)
    z = generate_elevation("hills", (64, 64), 120.0, rng, 300.0, 200.0)
    carved = carve_streams(z, route_flow(z), 120.0, max_incision_m=100.0)
    assert np.all(carved <= z + 1e-4)
    assert (z - carved).max() > 10.0


@pytest.mark.parametrize("landform", sorted(RECIPES))
def test_every_recipe_matches_its_vocabulary_relief_and_base(landform):
    relief_m, base_m = landform_relief()[landform]
    z = generate_elevation(landform, (64, 64), 120.0, np.random.default_rng(1), relief_m, base_m)
    assert z.dtype == np.float32 and z.shape == (64, 64) and np.all(np.isfinite(z))
    assert _relief(z) == pytest.approx(relief_m, rel=0.01)
    assert np.percentile(z, 2) == pytest.approx(base_m, abs=0.01 * relief_m + 0.01)


def test_every_vocabulary_landform_has_a_recipe():
    assert set(landform_relief()) == set(RECIPES)


def test_mountains_outrelieve_hills_outrelieve_plains():
    def median_relief(landform: str) -> float:
        relief_m, base_m = landform_relief()[landform]
        return float(np.median([
            _relief(generate_elevation(landform, (64, 64), 120.0, np.random.default_rng(s), relief_m, base_m))
            for s in range(3)
        ]))  # fmt: skip

    plains, hills, mountains = (median_relief(name) for name in ("plains", "hills", "mountains"))
    assert mountains >= 2 * hills and hills >= 2 * plains


def test_unknown_landform_is_refused():
    with pytest.raises(ValueError, match="unknown landform"):
        generate_elevation("fjords", (64, 64), 120.0, np.random.default_rng(0), 100.0, 0.0)


def test_hillshade_follows_the_documented_sun():
    z = generate_elevation("mountains", (64, 64), 120.0, np.random.default_rng(2), 1500.0, 800.0)
    shade = hillshade(z, 120.0, SUN_AZIMUTH_DEG, SUN_ALTITUDE_DEG)
    dz_east, dz_north = gradient_east_north(z, 120.0)
    az = np.radians(SUN_AZIMUTH_DEG)
    rise_towards_sun = dz_east * np.sin(az) + dz_north * np.cos(az)
    assert np.corrcoef(shade.ravel(), -rise_towards_sun.ravel())[0, 1] > 0.9
    flat = hillshade(np.zeros((8, 8), np.float32), 10.0)
    np.testing.assert_allclose(flat, np.sin(np.radians(SUN_ALTITUDE_DEG)), rtol=1e-5)
