"""Slope and hillshade of an elevation grid (the one implementation: synthetic colour, the app's
views, previews and the scorecard all light terrain through here).

Conventions: row index grows to the south, column index to the east. The sun's azimuth is in
degrees clockwise from north, its altitude in degrees above the horizon.

SUN_AZIMUTH_DEG = 135 (south-east) and SUN_ALTITUDE_DEG = 45 light every synthetic RGB tile: that
is roughly where the sun stands for Sentinel-2's 10:30 descending overpass in the northern
hemisphere. Cartographic hillshades light from the north-west (CARTOGRAPHIC_AZIMUTH_DEG = 315,
the default here), which is what the app's elevation views use.
"""

from __future__ import annotations

import numpy as np

from mesa.geometry.grid import grid_normals

SUN_AZIMUTH_DEG = 135.0
SUN_ALTITUDE_DEG = 45.0
CARTOGRAPHIC_AZIMUTH_DEG = 315.0


def gradient_east_north(elevation_m: np.ndarray, meters_per_pixel: float) -> tuple[np.ndarray, np.ndarray]:
    """(dz/dx_east, dz/dy_north), each (H, W) float64, metres per metre (central differences)."""
    d_rows, d_cols = np.gradient(np.asarray(elevation_m, dtype=np.float64), meters_per_pixel)
    return d_cols, -d_rows


def slope_deg(elevation_m: np.ndarray, meters_per_pixel: float) -> np.ndarray:
    """(H, W) float32 slope, degrees from horizontal."""
    dz_east, dz_north = gradient_east_north(elevation_m, meters_per_pixel)
    return np.degrees(np.arctan(np.hypot(dz_east, dz_north))).astype(np.float32)


def sun_vector(azimuth_deg: float, altitude_deg: float) -> np.ndarray:
    """(3,) unit vector (east, north, up) pointing at the sun."""
    az, alt = np.radians(azimuth_deg), np.radians(altitude_deg)
    return np.array([np.sin(az) * np.cos(alt), np.cos(az) * np.cos(alt), np.sin(alt)])


def hillshade(
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    azimuth_deg: float = CARTOGRAPHIC_AZIMUTH_DEG,
    altitude_deg: float = SUN_ALTITUDE_DEG,
    vertical_exaggeration: float = 1.0,
) -> np.ndarray:
    """Lambertian illumination: cosine between the surface normal and the sun, clipped at 0.

    Flat ground gets sin(altitude); slopes facing the sun get more, slopes facing away less.

    Args:
        elevation_m: (H, W) metres, row 0 north.
        meters_per_pixel: ground spacing in metres.
        vertical_exaggeration: factor on heights before lighting.
    Returns:
        (H, W) float32 in [0, 1].
    """
    normals = grid_normals(elevation_m, meters_per_pixel, vertical_exaggeration)
    return np.clip(normals @ sun_vector(azimuth_deg, altitude_deg), 0.0, 1.0).astype(np.float32)
