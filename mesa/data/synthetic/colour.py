"""Sentinel-2-style true colour of a tile from its elevation, water and biome palette.

Layers, bottom to top: vegetation over soil (cover from the palette, patchy noise, wetness and
the tree line), farmland parcels on gentle slopes, rock on slopes steeper than `rock_onset_deg`,
salt pans, snow above the snow line (partly hidden under canopy), hillshade from the sun of
shading.py, fine texture, then water (sea, lakes, rivers; ice when the lake lies above the snow line).

Alongside the colour, `compose_colour` keeps how much of each pixel every layer covers after all
the blends above and labels the pixel with the layer that covers most (MATERIAL_CLASSES): the
generator's own ground truth for reading materials from a colour image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesa.data.synthetic.noise import fbm, noise_bands
from mesa.data.synthetic.palettes import (
    FIELD_COLOURS,
    SALT_PAN,
    SNOW,
    WATER_DEEP,
    WATER_SHALLOW,
    BiomePalette,
    snowline_m,
    vegetation_colour,
)
from mesa.geometry.shading import SUN_ALTITUDE_DEG, SUN_AZIMUTH_DEG, hillshade, slope_deg
from mesa.data.synthetic.water import WaterBodies

ALPINE: tuple[float, float, float] = (0.40, 0.41, 0.30)
ICE: tuple[float, float, float] = (0.80, 0.85, 0.90)
SNOW_TRANSITION_M = 250.0
AMBIENT = 0.45
"""Share of the light that is diffuse: a slope facing away from the sun keeps this much brightness."""
MATERIAL_CLASSES: tuple[str, ...] = ("rock", "grass", "forest", "soil", "snow", "water")
"""Material labels, in label-index order. Vegetation is forest below the tree line in biomes whose
canopy hides snow (canopy >= FOREST_CANOPY: the RESOLVE forest, woodland and mangrove biomes) and
grass elsewhere (alpine meadow above the tree line, grassland, tundra, fields); soil includes sand
and salt pans; water includes ice on lakes."""
FOREST_CANOPY = 0.4
_ROCK, _GRASS, _FOREST, _SOIL, _SNOW, _WATER = range(len(MATERIAL_CLASSES))


@dataclass
class TileColour:
    """The colour of a tile and the material under each pixel.

    Attributes:
        rgb: (H, W, 3) float32 in [0, 1].
        materials: (H, W) uint8 index into MATERIAL_CLASSES of the layer covering most of the pixel.
    """

    rgb: np.ndarray
    materials: np.ndarray


def _blend(base: np.ndarray, colour: np.ndarray | tuple, weight: np.ndarray) -> np.ndarray:
    """base (H, W, 3) towards colour ((3,) or (H, W, 3)) by weight (H, W) in [0, 1]."""
    return base + (np.asarray(colour, dtype=np.float32) - base) * weight[..., None]


def _cover(coverage: np.ndarray, material: int, weight: np.ndarray | float) -> None:
    """Lay `material` over the (len(MATERIAL_CLASSES), H, W) coverage with opacity `weight` (H, W), in place."""
    coverage *= 1.0 - np.asarray(weight, dtype=np.float32)
    coverage[material] += weight


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def field_parcels(shape: tuple[int, int], meters_per_pixel: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A rotated grid of rectangular parcels, 150..450 m on a side.

    Returns:
        (index, value): (H, W) int parcel colour index into FIELD_COLOURS and (H, W) float32
        per-parcel uniform random value in [0, 1).
    """
    rows, cols = np.indices(shape, dtype=np.float32) * meters_per_pixel
    angle = rng.uniform(0.0, np.pi / 2)
    u = cols * np.cos(angle) + rows * np.sin(angle)
    v = -cols * np.sin(angle) + rows * np.cos(angle)
    size_u, size_v = rng.uniform(150.0, 450.0, size=2)
    table = rng.random((97, 89)).astype(np.float32)
    value = table[np.floor(u / size_u).astype(int) % 97, np.floor(v / size_v).astype(int) % 89]
    return (value * len(FIELD_COLOURS)).astype(int), value


def rock_onset_deg(palette: BiomePalette) -> float:
    """Slope where bare rock starts to show, degrees: 30 for barren biomes, up to 45 under dense cover."""
    return 30.0 + 15.0 * palette.cover


def vegetation_cover(
    palette: BiomePalette, elevation_m: np.ndarray, wetness: np.ndarray, patches: np.ndarray
) -> np.ndarray:
    """(H, W) float32 vegetation cover 0..1: palette mean, noise patches, wet ground, tree line."""
    above_treeline = np.clip((elevation_m - palette.treeline_m) / 700.0, 0.0, 1.0)
    cover = palette.cover + 0.22 * patches + 0.3 * wetness * (1.0 - palette.cover)
    return np.clip(cover * (1.0 - 0.8 * above_treeline), 0.0, 1.0).astype(np.float32)


def snow_cover(
    surface_m: np.ndarray, slope: np.ndarray, line_m: float, patches: np.ndarray
) -> np.ndarray:
    """(H, W) float32 snow cover 0..1: ramps up over SNOW_TRANSITION_M above the line, sheds off cliffs."""
    cover = np.clip((surface_m - line_m) / SNOW_TRANSITION_M + 0.5 + 0.3 * patches, 0.0, 1.0)
    return (cover * (1.0 - _smoothstep((slope - 40.0) / 15.0))).astype(np.float32)


def compose_colour(
    water: WaterBodies,
    meters_per_pixel: float,
    palette: BiomePalette,
    month: int,
    hemisphere: str,
    rng: np.random.Generator,
) -> TileColour:
    """True colour of a tile and its material labels.

    Args:
        water: the tile's water; its `surface_m` (H, W) is the elevation that is coloured and shaded.
        meters_per_pixel: ground sampling distance, metres.
        month, hemisphere: decide vegetation colour and the snow line (palettes.py).
    Returns:
        TileColour: rgb (H, W, 3) float32 in [0, 1] and materials (H, W) uint8.
    """
    surface_m = water.surface_m
    shape = surface_m.shape
    bands = noise_bands(shape, meters_per_pixel, rng, largest_wavelength_m=2400.0, n_octaves=6)
    patches, fine = fbm(bands, 0.6), bands[-1]
    slope = slope_deg(surface_m, meters_per_pixel)

    cover = vegetation_cover(palette, surface_m, water.wetness, patches)
    above_treeline = np.clip((surface_m - palette.treeline_m) / 700.0, 0.0, 1.0)
    veg = _blend(np.broadcast_to(vegetation_colour(palette, month, hemisphere), (*shape, 3)), ALPINE, above_treeline)
    rgb = _blend(np.broadcast_to(np.asarray(palette.soil, np.float32), (*shape, 3)), veg, cover)
    coverage = np.zeros((len(MATERIAL_CLASSES), *shape), np.float32)
    coverage[_SOIL] = 1.0
    _cover(coverage, _GRASS, cover)
    if palette.canopy >= FOREST_CANOPY:
        forest = cover * (1.0 - above_treeline)
        coverage[_GRASS] -= forest
        coverage[_FOREST] += forest
    if rng.random() < palette.farmland:
        index, value = field_parcels(shape, meters_per_pixel, rng)
        fields = (slope < 6.0) & (value < 0.85) & (surface_m < palette.treeline_m)
        rgb = _blend(rgb, np.asarray(FIELD_COLOURS, np.float32)[index], 0.8 * fields)
        _cover(coverage, _GRASS, 0.8 * fields)
    rock = _smoothstep((slope - rock_onset_deg(palette)) / 18.0)
    rgb = _blend(rgb, palette.rock, rock)
    _cover(coverage, _ROCK, rock)
    rgb = rgb * (1.0 - 0.3 * water.wetness[..., None])
    rgb = _blend(rgb, SALT_PAN, water.salt_pan.astype(np.float32))
    _cover(coverage, _SOIL, water.salt_pan.astype(np.float32))

    line_m = snowline_m(palette, month, hemisphere)
    snow = snow_cover(surface_m, slope, line_m, patches)
    visible_snow = snow * (1.0 - palette.canopy * cover)
    rgb = _blend(rgb, SNOW, visible_snow)
    _cover(coverage, _SNOW, visible_snow)

    light = hillshade(surface_m, meters_per_pixel, SUN_AZIMUTH_DEG, SUN_ALTITUDE_DEG) / np.sin(np.radians(SUN_ALTITUDE_DEG))
    rgb = rgb * (AMBIENT + (1.0 - AMBIENT) * light)[..., None] * (1.0 + 0.05 * fine)[..., None]

    water_colour = _blend(
        np.broadcast_to(np.asarray(WATER_SHALLOW, np.float32), (*shape, 3)),
        WATER_DEEP,
        1.0 - np.exp(-water.depth_m / 4.0),
    )
    ice = np.where(water.sea, 0.0, np.clip((surface_m - line_m) / SNOW_TRANSITION_M + 0.5, 0.0, 1.0))
    water_colour = _blend(water_colour, ICE, ice)
    standing = (water.sea | water.lake).astype(np.float32)
    wet = np.maximum(standing, water.river)
    rgb = _blend(rgb, water_colour, wet)
    _cover(coverage, _WATER, wet)
    return TileColour(np.clip(rgb, 0.0, 1.0).astype(np.float32), np.argmax(coverage, axis=0).astype(np.uint8))
