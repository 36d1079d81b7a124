import numpy as np
import pytest


@pytest.fixture
def elevation_m() -> np.ndarray:
    """(17, 23) float64 elevation from -120 m to 880 m with a known min and max."""
    rows, columns = np.mgrid[0:17, 0:23]
    elevation = 400 * np.sin(rows / 4.0) * np.cos(columns / 5.0) + 3.0 * columns
    return -120 + 1000 * (elevation - elevation.min()) / np.ptp(elevation)


@pytest.fixture
def rgb() -> np.ndarray:
    """(17, 23, 3) uint8 random colour image."""
    return np.random.default_rng(7).integers(0, 256, (17, 23, 3), dtype=np.uint8)
