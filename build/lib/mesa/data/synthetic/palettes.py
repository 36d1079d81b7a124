"""Biome palettes, seasons and the snow line.

Colours are display RGB in [0, 1] as a Sentinel-2 true-colour tile shows them (B4, B3, B2 with
the usual reflectance * 3 stretch): forests are dark, deserts bright, water darkest.

Season: `summer_weight(month, hemisphere) = (1 + cos(2 pi (month - 7) / 12)) / 2` in the
northern hemisphere (1 in July, 0 in January), months shifted by six in the southern one.

Snow line (metres): `snowline_m = winter_m + (summer_m - winter_m) * summer_weight`, with the
biome's `snowline_winter_m` / `snowline_summer_m`; snow covers ground above it (see colour.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class BiomePalette:
    """How a biome looks.

    Attributes:
        veg_summer, veg_winter: full vegetation cover at the height of summer / winter (for wet /
            dry-season biomes: wet / dry season; for mediterranean ones summer is the dry season).
        soil: bare ground. rock: steep rock faces.
        cover: mean vegetation cover fraction, 0..1.
        treeline_m: elevation above which vegetation thins out, metres.
        snowline_winter_m, snowline_summer_m: snow line in mid-winter / mid-summer, metres.
        canopy: how much a full canopy hides lying snow, 0..1.
        river_km2: upstream area from which a channel holds a visible river, km² (inf: dry channels).
        wet_twi: topographic wetness index above which ground is waterlogged (inf: never).
        farmland: probability that the tile's gentle slopes are a patchwork of fields, 0..1.
        lakes: whether closed lows hold water (False: they are dry salt pans).
        lake_depth_fraction: a closed low holds a lake when it is deeper than
            1 m + this fraction of the tile's relief (shallower lows are silted-up flats).
    """

    veg_summer: RGB
    veg_winter: RGB
    soil: RGB
    rock: RGB
    cover: float
    treeline_m: float
    snowline_winter_m: float
    snowline_summer_m: float
    canopy: float = 0.0
    river_km2: float = 8.0
    wet_twi: float = float("inf")
    farmland: float = 0.0
    lakes: bool = True
    lake_depth_fraction: float = 0.4


GREY_ROCK: RGB = (0.42, 0.41, 0.39)
INF = float("inf")

PALETTES: dict[int, BiomePalette] = {
    1: BiomePalette((0.10, 0.20, 0.09), (0.11, 0.20, 0.10), (0.45, 0.32, 0.22), GREY_ROCK, 0.96, 3500, 4800, 4900,
                    canopy=0.9, river_km2=4.0, wet_twi=13.0, farmland=0.15),
    2: BiomePalette((0.17, 0.27, 0.12), (0.40, 0.36, 0.25), (0.55, 0.42, 0.30), GREY_ROCK, 0.75, 3000, 4800, 4900,
                    canopy=0.6, river_km2=10.0, farmland=0.3),
    3: BiomePalette((0.11, 0.19, 0.10), (0.15, 0.21, 0.12), (0.50, 0.40, 0.30), GREY_ROCK, 0.85, 3600, 4200, 4600,
                    canopy=0.8, river_km2=6.0, farmland=0.1),
    4: BiomePalette((0.15, 0.28, 0.11), (0.34, 0.30, 0.24), (0.47, 0.39, 0.31), GREY_ROCK, 0.80, 1800, 600, 3200,
                    canopy=0.5, river_km2=5.0, farmland=0.6),
    5: BiomePalette((0.09, 0.17, 0.09), (0.10, 0.15, 0.10), (0.45, 0.40, 0.35), GREY_ROCK, 0.85, 2200, 700, 2900,
                    canopy=0.7, river_km2=5.0, farmland=0.15),
    6: BiomePalette((0.09, 0.16, 0.08), (0.11, 0.14, 0.11), (0.40, 0.36, 0.28), GREY_ROCK, 0.82, 900, -500, 1800,
                    canopy=0.45, river_km2=4.0, wet_twi=11.0, lake_depth_fraction=0.02),
    7: BiomePalette((0.34, 0.40, 0.20), (0.58, 0.50, 0.34), (0.62, 0.44, 0.31), (0.50, 0.40, 0.33), 0.65, 2800, 4800, 4900,
                    canopy=0.2, river_km2=15.0, farmland=0.2),
    8: BiomePalette((0.40, 0.46, 0.25), (0.58, 0.54, 0.43), (0.55, 0.48, 0.38), GREY_ROCK, 0.75, 2500, 300, 3500,
                    river_km2=15.0, farmland=0.6),
    9: BiomePalette((0.22, 0.36, 0.16), (0.44, 0.44, 0.30), (0.38, 0.36, 0.29), GREY_ROCK, 0.88, 3000, 5000, 5000,
                    river_km2=2.0, wet_twi=9.0, lake_depth_fraction=0.02),
    10: BiomePalette((0.36, 0.40, 0.24), (0.54, 0.50, 0.40), (0.50, 0.45, 0.38), GREY_ROCK, 0.60, 4200, 3000, 4600,
                     river_km2=8.0),
    11: BiomePalette((0.36, 0.38, 0.25), (0.44, 0.41, 0.34), (0.45, 0.42, 0.36), GREY_ROCK, 0.65, 600, -500, 1000,
                     river_km2=4.0, wet_twi=10.5, lake_depth_fraction=0.02),
    12: BiomePalette((0.42, 0.41, 0.29), (0.26, 0.33, 0.19), (0.62, 0.52, 0.40), (0.55, 0.50, 0.44), 0.55, 2000, 1500, 3300,
                     canopy=0.4, river_km2=20.0, farmland=0.4),
    13: BiomePalette((0.50, 0.45, 0.33), (0.50, 0.45, 0.33), (0.82, 0.68, 0.50), (0.60, 0.43, 0.31), 0.06, 2500, 2600, 4500,
                     river_km2=INF, lakes=False),
    14: BiomePalette((0.07, 0.19, 0.09), (0.08, 0.19, 0.10), (0.34, 0.32, 0.27), GREY_ROCK, 0.95, 500, 6000, 6000,
                     canopy=0.9, river_km2=1.0, wet_twi=10.0),
    15: BiomePalette((0.34, 0.36, 0.27), (0.36, 0.36, 0.30), (0.50, 0.48, 0.45), (0.40, 0.40, 0.40), 0.12, 2400, -500, 1600,
                     river_km2=6.0),
}  # fmt: skip

SNOW: RGB = (0.84, 0.87, 0.91)
WATER_SHALLOW: RGB = (0.14, 0.21, 0.24)
WATER_DEEP: RGB = (0.06, 0.10, 0.15)
SALT_PAN: RGB = (0.86, 0.83, 0.76)
FIELD_COLOURS: tuple[RGB, ...] = (
    (0.22, 0.36, 0.14), (0.36, 0.44, 0.20), (0.62, 0.56, 0.38), (0.50, 0.40, 0.30), (0.16, 0.27, 0.12),
)  # fmt: skip


def summer_weight(month: int, hemisphere: str) -> float:
    """1 at the height of local summer (July north, January south), 0 at mid-winter."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    if hemisphere not in ("north", "south"):
        raise ValueError(f"hemisphere must be 'north' or 'south', got {hemisphere!r}")
    shift = 0 if hemisphere == "north" else 6
    return float((1.0 + np.cos(2.0 * np.pi * (month - 7 - shift) / 12.0)) / 2.0)


def snowline_m(palette: BiomePalette, month: int, hemisphere: str) -> float:
    """Snow line of the biome in that month, metres (see the module docstring)."""
    weight = summer_weight(month, hemisphere)
    return palette.snowline_winter_m + (palette.snowline_summer_m - palette.snowline_winter_m) * weight


def vegetation_colour(palette: BiomePalette, month: int, hemisphere: str) -> np.ndarray:
    """(3,) float32 colour of full vegetation cover in that month."""
    weight = summer_weight(month, hemisphere)
    summer, winter = np.asarray(palette.veg_summer), np.asarray(palette.veg_winter)
    return (winter + (summer - winter) * weight).astype(np.float32)
