"""Image-elevation coupling: does the colour image belong to the elevation map it came with?

    shading correlation    Pearson correlation of image brightness with the hillshade of the
                           elevation under the data's sun (SUN_AZIMUTH_DEG 135, SUN_ALTITUDE_DEG
                           45, mesa.geometry.shading): slopes facing the sun are brighter
    distance correlation   Székely, Rizzo & Bakirov (2007), between the colour (3-vector) and the
                           elevation of each cell on a coarse grid (block means, 32 x 32 by
                           default): any dependence, linear or not (snow above a line, water in
                           the lows, forest below the tree line); 0 only for independence

Each comes with a shuffled-pairing baseline: the image of tile i against the elevation of another
tile of the same set. Spatial autocorrelation makes the distance correlation of two unrelated
smooth fields well above 0, so the baseline, not 0, is what a coupled pair must beat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mesa.evaluation.image_statistics import as_unit_rgb
from mesa.geometry.shading import SUN_ALTITUDE_DEG, SUN_AZIMUTH_DEG, hillshade
from mesa.terrain import Terrain

COARSE_GRID = 32


def shading_correlation(rgb: np.ndarray, elevation_m: np.ndarray, meters_per_pixel: float) -> float:
    """Correlation of the brightness of `rgb` (H, W, 3) uint8 with the sun-lit hillshade of
    `elevation_m` (H, W) metres; 0 when either is uniform."""
    light = hillshade(elevation_m, meters_per_pixel, SUN_AZIMUTH_DEG, SUN_ALTITUDE_DEG).ravel().astype(np.float64)
    brightness = as_unit_rgb(rgb).mean(axis=-1).ravel().astype(np.float64)
    if light.std() < 1e-9 or brightness.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(light, brightness)[0, 1])


def distance_correlation(first: np.ndarray, second: np.ndarray) -> float:
    """Sample distance correlation in [0, 1] between paired observations `first` (n, p) and
    `second` (n, q) (1-D arrays are (n, 1)); 0 when either does not vary."""
    a, b = _centred_distances(first), _centred_distances(second)
    variance = np.sqrt(np.vdot(a, a) * np.vdot(b, b))
    if variance <= 0:
        return 0.0
    return float(np.sqrt(max(np.vdot(a, b), 0.0) / variance))


def _centred_distances(values: np.ndarray) -> np.ndarray:
    """(n, n) float32 double-centred Euclidean distance matrix of n observations (n, ...)."""
    values = np.asarray(values, np.float64).reshape(len(values), -1)
    values = (values - values.mean(axis=0)).astype(np.float32)
    norms = (values**2).sum(axis=1)
    distances = values @ values.T
    distances *= -2.0
    distances += norms[:, None]
    distances += norms[None, :]
    np.maximum(distances, 0.0, out=distances)
    np.sqrt(distances, out=distances)
    row_means = distances.mean(axis=1)
    distances -= row_means[:, None]
    distances -= row_means[None, :]
    distances += row_means.mean()
    return distances


def block_means(array: np.ndarray, grid: int) -> np.ndarray:
    """(grid, grid, ...) means of `array` (H, W, ...) over equal blocks (H, W divisible by grid;
    smaller arrays are used as they are)."""
    height, width = array.shape[:2]
    if height <= grid or width <= grid:
        return np.asarray(array, np.float64)
    if height % grid or width % grid:
        raise ValueError(f"a {height} x {width} tile does not split into {grid} x {grid} equal blocks")
    shape = (grid, height // grid, grid, width // grid, *array.shape[2:])
    return np.asarray(array, np.float64).reshape(shape).mean(axis=(1, 3))


def image_elevation_dcor(rgb: np.ndarray, elevation_m: np.ndarray, grid: int = COARSE_GRID) -> float:
    """Distance correlation of colour and elevation over the cells of a coarse grid."""
    colour, elevation = block_means(as_unit_rgb(rgb), grid), block_means(elevation_m, grid)
    return distance_correlation(colour.reshape(-1, 3), elevation.reshape(-1, 1))


@dataclass(frozen=True)
class CouplingResult:
    """Mean over a set of tiles; `*_shuffled` pair each image with another tile's elevation.

    Attributes:
        shading, shading_shuffled: Pearson r, -1..1.
        dcor, dcor_shuffled: distance correlation, 0..1.
        tiles: tiles measured.
    """

    shading: float
    shading_shuffled: float
    dcor: float
    dcor_shuffled: float
    tiles: int


def shuffled_partner(count: int) -> np.ndarray:
    """(count,) index of the tile whose elevation each image is paired with in the baseline: half
    the set away, so no tile keeps its own (count >= 2)."""
    return (np.arange(count) + count // 2) % count


def coupling(terrains: Sequence[Terrain], grid: int = COARSE_GRID) -> CouplingResult:
    """Shading and distance correlation of a set of tiles (>= 2), own pairs and shuffled pairs."""
    if len(terrains) < 2:
        raise ValueError(f"coupling needs at least 2 tiles (one to shuffle with), got {len(terrains)}")
    partner = shuffled_partner(len(terrains))
    own, shuffled, own_dcor, shuffled_dcor = [], [], [], []
    for index, terrain in enumerate(terrains):
        other = terrains[int(partner[index])]
        own.append(shading_correlation(terrain.rgb, terrain.elevation_m, terrain.meters_per_pixel))
        shuffled.append(shading_correlation(terrain.rgb, other.elevation_m, terrain.meters_per_pixel))
        own_dcor.append(image_elevation_dcor(terrain.rgb, terrain.elevation_m, grid))
        shuffled_dcor.append(image_elevation_dcor(terrain.rgb, other.elevation_m, grid))
    return CouplingResult(float(np.mean(own)), float(np.mean(shuffled)), float(np.mean(own_dcor)),
                          float(np.mean(shuffled_dcor)), len(terrains))
