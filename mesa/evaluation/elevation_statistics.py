"""Per-tile statistics of an elevation map (H, W) in metres, each a pure function.

    mean_elevation_m      mean elevation, metres
    relief_m              98th minus 2nd percentile, metres (robust to a few spikes)
    mean_slope_deg        mean slope, degrees (central differences, mesa.geometry.shading)
    p90_slope_deg         90th percentile of the slope, degrees (steep faces, cliffs)
    ruggedness_m          Terrain Ruggedness Index (Riley, DeGloria & Elliot 1999): per cell the
                          root of the summed squared differences to its 8 neighbours, averaged
                          over interior cells, metres
    curvature_std         standard deviation of the Laplacian of elevation, 1/m (how sharply the
                          slope changes: ridges, valley floors, blur flattens it)
    hypsometric_integral  (mean - min) / (max - min) (Strahler 1952): how much of the tile's
                          volume sits high; eroded, valley-cut landscapes sit low
    spectral_slope        log-log slope of the radial power spectrum (see spectrum.py)
"""

from __future__ import annotations

import numpy as np

from mesa.evaluation.spectrum import spectral_slope
from mesa.geometry.shading import slope_deg

ELEVATION_STATISTICS = ("mean_elevation_m", "relief_m", "mean_slope_deg", "p90_slope_deg", "ruggedness_m",
                        "curvature_std", "hypsometric_integral", "spectral_slope")


def relief_m(elevation_m: np.ndarray) -> float:
    """98th minus 2nd percentile of the elevation, metres."""
    low, high = np.percentile(elevation_m, [2, 98])
    return float(high - low)


def ruggedness_m(elevation_m: np.ndarray) -> float:
    """Mean Terrain Ruggedness Index over interior cells, metres (needs H, W >= 3)."""
    field = np.asarray(elevation_m, dtype=np.float64)
    centre = field[1:-1, 1:-1]
    height, width = field.shape
    squared = np.zeros_like(centre)
    for d_row in (-1, 0, 1):
        for d_col in (-1, 0, 1):
            if d_row or d_col:
                neighbour = field[1 + d_row:height - 1 + d_row, 1 + d_col:width - 1 + d_col]
                squared += (neighbour - centre) ** 2
    return float(np.mean(np.sqrt(squared)))


def laplacian_per_m(elevation_m: np.ndarray, meters_per_pixel: float) -> np.ndarray:
    """(H - 2, W - 2) float64 five-point Laplacian of the elevation at interior cells, 1/m."""
    field = np.asarray(elevation_m, dtype=np.float64)
    return (field[:-2, 1:-1] + field[2:, 1:-1] + field[1:-1, :-2] + field[1:-1, 2:]
            - 4.0 * field[1:-1, 1:-1]) / meters_per_pixel**2


def hypsometric_integral(elevation_m: np.ndarray) -> float:
    """(mean - min) / (max - min); 0.5 for a flat tile (no relief to integrate)."""
    low, high = float(np.min(elevation_m)), float(np.max(elevation_m))
    if high - low <= 0.0:
        return 0.5
    return (float(np.mean(elevation_m)) - low) / (high - low)


def elevation_statistics(elevation_m: np.ndarray, meters_per_pixel: float) -> dict[str, float]:
    """Every statistic of ELEVATION_STATISTICS for one (H, W) tile in metres (H, W >= 3)."""
    slopes = slope_deg(elevation_m, meters_per_pixel)
    return {
        "mean_elevation_m": float(np.mean(elevation_m)),
        "relief_m": relief_m(elevation_m),
        "mean_slope_deg": float(np.mean(slopes)),
        "p90_slope_deg": float(np.percentile(slopes, 90)),
        "ruggedness_m": ruggedness_m(elevation_m),
        "curvature_std": float(np.std(laplacian_per_m(elevation_m, meters_per_pixel))),
        "hypsometric_integral": hypsometric_integral(elevation_m),
        "spectral_slope": spectral_slope(elevation_m),
    }
