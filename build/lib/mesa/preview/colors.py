"""Colourings of elevation for previews: hypsometric tints, shaded relief and normalised greyscale."""

from __future__ import annotations

import numpy as np

from mesa.geometry.shading import hillshade

# relative elevation stop -> RGB: lowland green, foothill yellow, mountain brown, summit snow
_STOPS = np.array([0.0, 0.3, 0.55, 0.8, 1.0])
_COLOURS = np.array([[70, 120, 60], [150, 160, 90], [170, 140, 95], [130, 110, 95], [245, 245, 245]], dtype=np.float64)


def normalize(elevation_m: np.ndarray) -> np.ndarray:
    """(H, W) float64 in [0, 1]: min -> 0, max -> 1; all zeros for a flat map."""
    low, high = float(elevation_m.min()), float(elevation_m.max())
    if high <= low:
        return np.zeros(elevation_m.shape)
    return (elevation_m - low) / (high - low)


def hypsometric_rgb(elevation_m: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 hypsometric tint of an (H, W) elevation map, stretched to its own range."""
    relative = normalize(elevation_m)
    channels = [np.interp(relative, _STOPS, _COLOURS[:, k]) for k in range(3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def grayscale_rgb(elevation_m: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 grey ramp of an (H, W) elevation map, black = lowest, white = highest."""
    grey = np.rint(normalize(elevation_m) * 255).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def shaded_relief(elevation_m: np.ndarray, meters_per_pixel: float, vertical_exaggeration: float = 1.0) -> np.ndarray:
    """(H, W, 3) uint8 hypsometric tints multiplied by a soft cartographic hillshade (sun in the
    north-west), for 2D views of an elevation map in metres."""
    tint = hypsometric_rgb(elevation_m).astype(np.float32)
    shade = hillshade(elevation_m, meters_per_pixel, vertical_exaggeration=vertical_exaggeration)
    return np.rint(tint * (0.35 + 0.65 * shade[..., None])).astype(np.uint8)
