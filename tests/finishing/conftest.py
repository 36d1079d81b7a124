"""Small terrains with known shapes for the finishing tests."""

from __future__ import annotations

import numpy as np
import pytest

MPP = 30.0


def tilted_plane(height: int = 24, width: int = 32, slope_east: float = -0.1, slope_south: float = 0.0) -> np.ndarray:
    """(H, W) float64 plane in metres: z = 500 + slope_east * x_m + slope_south * y_m (x east, y south)."""
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float64)
    return 500.0 + slope_east * columns * MPP + slope_south * rows * MPP


def rough_hills(size: int = 64, seed: int = 0, noise_m: float = 2.0) -> np.ndarray:
    """(size, size) float64 hills (~300 m relief, steep enough to erode) plus white noise that
    leaves many small closed depressions, like a decoded or measured elevation map."""
    rows, columns = np.mgrid[0:size, 0:size].astype(np.float64) / size
    hills = 150.0 * np.sin(6.0 * rows + 1.0) * np.cos(5.0 * columns) + 120.0 * rows + 80.0 * np.sin(11.0 * columns)
    noise = np.random.default_rng(seed).normal(0.0, noise_m, (size, size))
    return 800.0 + hills + noise


@pytest.fixture
def hills() -> np.ndarray:
    return rough_hills()
