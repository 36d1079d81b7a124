"""One synthetic tile from its parameters: elevation recipe, erosion, water, colour."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesa.data.synthetic.colour import compose_colour
from mesa.geometry.hydrology import route_flow
from mesa.data.synthetic.landforms import generate_elevation
from mesa.data.synthetic.palettes import PALETTES
from mesa.data.synthetic.params import STREAM_TERRAIN, SyntheticParams
from mesa.data.synthetic.water import WaterBodies, find_water

TILE_EXTENT_M = 7680.0
"""Side of a Major TOM-sized cell, metres: the default tile covers this at any resolution."""
MIN_RESOLUTION = 32


@dataclass
class SyntheticTile:
    """A generated tile before it becomes a TerrainSample.

    Attributes:
        rgb: (H, W, 3) float32 in [0, 1].
        elevation_m: (H, W) float32 metres, lakes and sea flat at their water surface.
        water: the tile's water bodies.
        meters_per_pixel: ground sampling distance, metres.
        materials: (H, W) uint8 index into colour.MATERIAL_CLASSES of the material the colour
            shows at each pixel (the generator's own labels).
    """

    rgb: np.ndarray
    elevation_m: np.ndarray
    water: WaterBodies
    meters_per_pixel: float
    materials: np.ndarray


def generate_tile(params: SyntheticParams, resolution: int = 128, meters_per_pixel: float | None = None) -> SyntheticTile:
    """Generate the tile that `params` describe, deterministically.

    Args:
        resolution: side in pixels, >= MIN_RESOLUTION.
        meters_per_pixel: ground sampling distance; default TILE_EXTENT_M / resolution.
    """
    if resolution < MIN_RESOLUTION:
        raise ValueError(f"resolution must be >= {MIN_RESOLUTION} pixels, got {resolution}")
    if meters_per_pixel is None:
        meters_per_pixel = TILE_EXTENT_M / resolution
    if not meters_per_pixel > 0:
        raise ValueError(f"meters_per_pixel must be > 0, got {meters_per_pixel}")
    rng = np.random.default_rng([params.seed, params.index, STREAM_TERRAIN])
    shape = (resolution, resolution)
    elevation_m = generate_elevation(params.landform, shape, meters_per_pixel, rng, params.relief_m, params.base_m)
    palette = PALETTES[params.biome_id]
    water = find_water(elevation_m, route_flow(elevation_m), meters_per_pixel, palette, params.relief_m)
    colour = compose_colour(water, meters_per_pixel, palette, params.month, params.hemisphere, rng)
    return SyntheticTile(rgb=colour.rgb, elevation_m=water.surface_m, water=water,
                         meters_per_pixel=float(meters_per_pixel), materials=colour.materials)
