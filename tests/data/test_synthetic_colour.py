"""Colour of synthetic tiles: biome greenness, seasonal snow, shading by the sun, water."""

from dataclasses import replace

import numpy as np

from mesa.data.synthetic.generate import generate_tile
from mesa.data.synthetic.palettes import PALETTES, snowline_m, summer_weight
from mesa.data.synthetic.params import landform_relief, sample_params
from mesa.geometry.shading import SUN_AZIMUTH_DEG, gradient_east_north

RESOLUTION = 64


def _tile(biome_id: int, landform: str, month: int = 7, hemisphere: str = "north", index: int = 0, **changes):
    """A tile of that biome and landform, at the landform's typical relief and base unless changed."""
    relief_m, base_m = landform_relief()[landform]
    changes = {"relief_m": relief_m, "base_m": base_m, **changes}
    params = replace(sample_params(0, index), biome_id=biome_id, landform=landform, month=month, hemisphere=hemisphere, **changes)
    return generate_tile(params, RESOLUTION)


def _greenness(rgb: np.ndarray) -> float:
    return float((rgb[..., 1] - rgb[..., 0]).mean())


def test_forest_is_greener_than_desert():
    for index in range(3):
        forest = _tile(1, "hills", relief_m=300.0, base_m=200.0, index=index)
        desert = _tile(13, "hills", relief_m=300.0, base_m=200.0, index=index)
        assert _greenness(forest.rgb) > _greenness(desert.rgb) + 0.05


def test_summer_weight_and_snowline_follow_hemisphere():
    assert summer_weight(7, "north") == 1.0 and summer_weight(1, "north") == 0.0
    assert summer_weight(1, "south") == 1.0
    tundra = PALETTES[11]
    assert snowline_m(tundra, 1, "north") < snowline_m(tundra, 7, "north")
    assert snowline_m(tundra, 7, "south") < snowline_m(tundra, 1, "south")


def test_january_tundra_and_boreal_are_snowier_than_july_in_the_north():
    for biome_id in (11, 6):
        for landform in ("plains", "hills"):
            january = _tile(biome_id, landform, month=1).rgb.mean()
            july = _tile(biome_id, landform, month=7).rgb.mean()
            assert january > july + 0.1, (biome_id, landform, january, july)


def test_rgb_shading_follows_the_sun():
    tile = _tile(13, "mountains", month=7, relief_m=1500.0, base_m=300.0)
    luminance = tile.rgb.mean(axis=-1)
    dz_east, dz_north = gradient_east_north(tile.elevation_m, tile.meters_per_pixel)
    az = np.radians(SUN_AZIMUTH_DEG)
    facing_sun = -(dz_east * np.sin(az) + dz_north * np.cos(az))
    assert np.corrcoef(luminance.ravel(), facing_sun.ravel())[0, 1] > 0.5


def test_coastal_plains_have_flat_sea_at_zero():
    tile = _tile(14, "coastal plains", relief_m=40.0, base_m=-20.0)
    sea = tile.water.sea
    assert sea.mean() > 0.05
    np.testing.assert_array_equal(tile.elevation_m[sea], 0.0)
    assert tile.rgb[sea].mean() < tile.rgb[~sea].mean() + 0.05


def test_lakes_are_flat_and_dark():
    tile = _tile(6, "plains", relief_m=60.0, base_m=150.0, month=7)
    lake = tile.water.lake
    assert lake.any()
    water_level_spread = [np.ptp(tile.elevation_m[lake & (tile.water.surface_m == level)]) for level in np.unique(tile.water.surface_m[lake])[:3]]
    assert max(water_level_spread) == 0.0
    assert tile.rgb[lake].mean() < tile.rgb[~lake].mean()
