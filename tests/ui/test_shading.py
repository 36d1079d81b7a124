"""2D views: hillshade, shaded relief, overlay, tiles."""

import numpy as np
import pytest

from ui.shading import blend, hillshade, shaded_relief, side_by_side, upscale_nearest


def test_flat_ground_is_lit_by_the_sun_altitude():
    shade = hillshade(np.zeros((8, 8), np.float32), 10.0, altitude_deg=45.0)
    assert shade.shape == (8, 8) and shade.dtype == np.float32
    assert np.allclose(shade, np.sin(np.radians(45.0)))


def test_slope_facing_the_sun_is_brighter():
    east_rising = np.tile(np.arange(16, dtype=np.float32) * 10.0, (16, 1))  # faces west
    west_sun = hillshade(east_rising, 10.0, azimuth_deg=270.0)
    east_sun = hillshade(east_rising, 10.0, azimuth_deg=90.0)
    assert west_sun.mean() > east_sun.mean()
    north_rising = np.repeat(np.arange(16, 0, -1, dtype=np.float32)[:, None] * 10.0, 16, axis=1)  # row 0 highest
    assert hillshade(north_rising, 10.0, azimuth_deg=180.0).mean() > hillshade(north_rising, 10.0, azimuth_deg=0.0).mean()


def test_shaded_relief_blend_and_tiles():
    elevation = np.random.default_rng(0).random((12, 10)).astype(np.float32) * 100
    relief = shaded_relief(elevation, 10.0)
    assert relief.shape == (12, 10, 3) and relief.dtype == np.uint8
    rgb = np.full((12, 10, 3), 200, np.uint8)
    assert np.array_equal(blend(rgb, relief, 0.0), rgb) and np.array_equal(blend(rgb, relief, 1.0), relief)
    with pytest.raises(ValueError):
        blend(rgb, relief, 1.5)
    assert side_by_side([rgb, relief], gap_px=3).shape == (12, 23, 3)
    assert upscale_nearest(rgb, 30).shape == (36, 30, 3)
    assert upscale_nearest(rgb, 5) is rgb
