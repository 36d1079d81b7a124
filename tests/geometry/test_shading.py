"""Hillshade: the one implementation of terrain lighting (mesa.geometry.shading)."""

import numpy as np

from mesa.geometry import hillshade


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
