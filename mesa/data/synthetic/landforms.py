"""Elevation recipes, one per landform of assets/vocab/landforms.json.

A recipe is a shape function (relative heights from octave noise) plus erosion settings. The
shape is rescaled so its 2nd..98th percentile spans the sample's relief, streams are carved
along the flow-accumulation network, slopes relax to a talus angle, and the result is rescaled
once more so the relief and base stay those asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mesa.data.synthetic.erosion import carve_streams, thermal_erosion
from mesa.geometry.hydrology import route_flow
from mesa.data.synthetic.noise import fbm, noise_bands, rescale_to_relief, ridged, warp

ShapeFn = Callable[[np.ndarray, float, np.random.Generator], np.ndarray]
"""(bands (K, H, W), meters_per_pixel, rng) -> (H, W) relative heights, any scale."""


@dataclass(frozen=True)
class LandformRecipe:
    """How one landform is built.

    Attributes:
        shape: relative heights from octave noise bands.
        incision: deepest stream incision as a fraction of the relief (0: no carving).
        side_slope_deg: slope of carved valley sides, degrees.
        talus_deg: steepest slope thermal erosion leaves, degrees.
        thermal_iterations: thermal erosion passes.
    """

    shape: ShapeFn
    incision: float = 0.3
    side_slope_deg: float = 20.0
    talus_deg: float = 38.0
    thermal_iterations: int = 6


def _coords_m(shape: tuple[int, int], meters_per_pixel: float) -> tuple[np.ndarray, np.ndarray]:
    """(rows_m, cols_m), each (H, W) float32: distance south and east of the tile's corner, metres."""
    rows, cols = np.indices(shape, dtype=np.float32)
    return rows * meters_per_pixel, cols * meters_per_pixel


def _ramp(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """(H, W) float32 planar slope from -1 to 1 across the tile in a random direction."""
    angle = rng.uniform(0.0, 2.0 * np.pi)
    rows, cols = np.indices(shape, dtype=np.float32)
    ramp = np.cos(angle) * cols / shape[1] + np.sin(angle) * rows / shape[0]
    return (2.0 * (ramp - ramp.min()) / (np.ptp(ramp) + 1e-9) - 1.0).astype(np.float32)


def _warped(field: np.ndarray, bands: np.ndarray, strength_px: float) -> np.ndarray:
    """`field` domain-warped by two of the coarse octaves."""
    return warp(field, bands[1] * strength_px, bands[2] * strength_px)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def shape_plains(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    return 0.8 * _ramp(bands.shape[1:], rng) + fbm(bands[1:], 0.45)


def shape_coastal_plains(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    return 2.5 * _ramp(bands.shape[1:], rng) + 0.8 * fbm(bands[1:], 0.5)


def shape_hills(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    hills = fbm(bands[1:], 0.55) + 0.5 * ridged(bands[2:], 0.5)
    return _warped(hills, bands, 1.5 * 60.0 / meters_per_pixel)


def _mountain_field(bands: np.ndarray, meters_per_pixel: float, gain: float) -> np.ndarray:
    """Massif from fBm with ridged detail; the dendritic valleys come from stream carving."""
    massif = fbm(bands, 0.55)
    crest = ridged(bands[2:], 0.5, gain)
    return _warped(massif + 0.6 * crest, bands, 1.5 * 60.0 / meters_per_pixel)


def shape_low_mountains(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    return _mountain_field(bands, meters_per_pixel, 1.5) + 0.4 * fbm(bands[1:], 0.5)


def shape_mountains(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    return _mountain_field(bands, meters_per_pixel, 2.0)


def shape_high_mountains(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    return _mountain_field(bands, meters_per_pixel, 2.8) + 0.3 * ridged(bands[2:], 0.6, 3.0)


def shape_valleys(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    """Mountains either side of one broad, meandering, flat-floored main valley."""
    rows_m, cols_m = _coords_m(bands.shape[1:], meters_per_pixel)
    extent_m = bands.shape[1] * meters_per_pixel
    angle = rng.uniform(0.0, np.pi)
    across = (cols_m - extent_m / 2) * np.cos(angle) - (rows_m - extent_m / 2) * np.sin(angle)
    distance_m = np.abs(across + bands[1] * 350.0 + rng.uniform(-800.0, 800.0))
    floor = _smoothstep(distance_m / rng.uniform(1400.0, 2200.0))
    mountains = _mountain_field(bands, meters_per_pixel, 2.0)
    mountains = (mountains - mountains.min()) / (np.ptp(mountains) + 1e-9)
    return floor * (0.5 + mountains) + 0.03 * fbm(bands[3:], 0.5)


def _terraces(field: np.ndarray, steps: float, riser: float) -> np.ndarray:
    """Flat treads with steep risers: each unit step rises over the top `riser` fraction."""
    t = field * steps
    return (np.floor(t) + _smoothstep((t - np.floor(t) - (1.0 - riser)) / riser)) / steps


def shape_tablelands(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    """Mesas and buttes: terraced low-frequency noise."""
    field = fbm(bands[1:4], 0.6)
    field = (field - field.min()) / (np.ptp(field) + 1e-9)
    return _terraces(field, rng.uniform(2.0, 3.5), 0.18) + 0.02 * fbm(bands[3:], 0.5)


def shape_plateaus(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    """A high flat surface ending in an escarpment over the lowland."""
    edge = fbm(bands[:3], 0.55) + 1.2 * _ramp(bands.shape[1:], rng)
    plateau = _smoothstep((edge - rng.uniform(-0.8, 0.2)) / 0.5)
    return plateau + 0.08 * fbm(bands[2:], 0.55)


def shape_canyons(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    """A gently tilted, terraced plateau; the deep incision comes from the recipe's carving."""
    field = 0.6 * _ramp(bands.shape[1:], rng) + 0.5 * fbm(bands[1:], 0.5)
    field = (field - field.min()) / (np.ptp(field) + 1e-9)
    return _terraces(field, 3.0, 0.25)


def shape_dunes(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    """Transverse dunes: asymmetric (gentle stoss, steep lee) ridges, warped, on a swell."""
    rows_m, cols_m = _coords_m(bands.shape[1:], meters_per_pixel)
    angle = rng.uniform(0.0, np.pi)
    wavelength_m = max(rng.uniform(450.0, 900.0), 6.0 * meters_per_pixel)
    along = cols_m * np.cos(angle) + rows_m * np.sin(angle) + (bands[1] + 0.3 * bands[2]) * wavelength_m * 0.2
    phase = (along / wavelength_m) % 1.0
    profile = np.where(phase < 0.75, phase / 0.75, (1.0 - phase) / 0.25) ** 1.4
    return profile * (1.0 + 0.3 * bands[1]) + 0.6 * fbm(bands[:2], 0.5)


def shape_volcanoes(bands: np.ndarray, meters_per_pixel: float, rng: np.random.Generator) -> np.ndarray:
    """A stratovolcano cone with a summit crater and radial gullies."""
    rows_m, cols_m = _coords_m(bands.shape[1:], meters_per_pixel)
    extent_m = bands.shape[1] * meters_per_pixel
    centre_r, centre_c = rng.uniform(0.35, 0.65, size=2) * extent_m
    radius_m = np.hypot(rows_m - centre_r, cols_m - centre_c)
    cone_radius_m = rng.uniform(3500.0, 5000.0)
    crater_radius_m = rng.uniform(250.0, 500.0)
    cone = np.clip(1.0 - radius_m / cone_radius_m, 0.0, 1.0) ** 1.6
    crater = 0.25 * np.exp(-((radius_m / crater_radius_m) ** 2))
    gullies = ridged(bands[3:], 0.5, 2.0) * cone
    return cone - crater + 0.12 * gullies + 0.05 * fbm(bands[1:], 0.5)


RECIPES: dict[str, LandformRecipe] = {
    "plains": LandformRecipe(shape_plains, incision=0.5, side_slope_deg=3.0, talus_deg=20.0, thermal_iterations=2),
    "coastal plains": LandformRecipe(shape_coastal_plains, incision=0.4, side_slope_deg=2.0, thermal_iterations=2),
    "hills": LandformRecipe(shape_hills, incision=0.45, side_slope_deg=10.0),
    "low mountains": LandformRecipe(shape_low_mountains, incision=0.5, side_slope_deg=22.0),
    "mountains": LandformRecipe(shape_mountains, incision=0.55, side_slope_deg=28.0),
    "high mountains": LandformRecipe(shape_high_mountains, incision=0.5, side_slope_deg=34.0, talus_deg=45.0),
    "valleys": LandformRecipe(shape_valleys, incision=0.2, side_slope_deg=28.0),
    "tablelands": LandformRecipe(shape_tablelands, incision=0.25, side_slope_deg=35.0, talus_deg=50.0, thermal_iterations=2),
    "plateaus": LandformRecipe(shape_plateaus, incision=0.3, side_slope_deg=25.0, thermal_iterations=3),
    "canyons": LandformRecipe(shape_canyons, incision=0.9, side_slope_deg=55.0, talus_deg=60.0, thermal_iterations=1),
    "dunes": LandformRecipe(shape_dunes, incision=0.0, talus_deg=33.0, thermal_iterations=3),
    "volcanoes": LandformRecipe(shape_volcanoes, incision=0.15, side_slope_deg=25.0),
}


def generate_elevation(
    landform: str,
    shape: tuple[int, int],
    meters_per_pixel: float,
    rng: np.random.Generator,
    relief_m: float,
    base_m: float,
) -> np.ndarray:
    """Elevation of one tile of the given landform.

    Args:
        landform: a key of RECIPES (the names of assets/vocab/landforms.json).
        shape: (H, W) pixels.
        meters_per_pixel: ground sampling distance; the tile spans H * meters_per_pixel metres.
        relief_m: 98th minus 2nd percentile of the result, metres.
        base_m: 2nd percentile of the result, metres.
    Returns:
        (H, W) float32 elevation, metres.
    """
    if landform not in RECIPES:
        raise ValueError(f"unknown landform {landform!r}; expected one of {sorted(RECIPES)}")
    recipe = RECIPES[landform]
    bands = noise_bands(shape, meters_per_pixel, rng)
    elevation_m = rescale_to_relief(recipe.shape(bands, meters_per_pixel, rng), relief_m, base_m)
    if recipe.incision > 0:
        jitter_m = 0.02 * relief_m * fbm(bands[2:], 0.6)
        drainage = route_flow(elevation_m + jitter_m)
        elevation_m = carve_streams(
            elevation_m, drainage, meters_per_pixel, recipe.incision * relief_m, side_slope_deg=recipe.side_slope_deg
        )
    elevation_m = thermal_erosion(elevation_m, meters_per_pixel, recipe.talus_deg, recipe.thermal_iterations)
    return rescale_to_relief(elevation_m, relief_m, base_m)
