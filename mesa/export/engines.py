"""Game-engine presets: the heightmap size each engine wants and the import settings that
make the tile land at the right size, height and orientation.

RAW and PNG heightmaps cannot carry scale, so every preset returns the numbers the artist types
into the engine's import dialog; they also go into the sidecar `terrain.json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mesa.errors import UserError
from mesa.export.heightmap_formats import HeightGrid
from mesa.geometry.resample import resample_bilinear

UNREAL_SIZES = (127, 253, 505, 1009, 2017, 4033, 8129)
POWER_OF_TWO_PLUS_ONE = tuple(2**n + 1 for n in range(5, 13))  # 33 .. 4097 (Unity, HTerrain)
ENGINES = ("none", "unreal", "unity", "godot")
# heightmap formats each engine can import, the first one is added when none was asked for
ENGINE_FORMATS = {"none": (), "unreal": ("r16", "png16"), "unity": ("r16",), "godot": ("exr", "r16", "png16")}


@dataclass
class EngineSettings:
    """What one engine preset did to the heightmaps and how to import them.

    Attributes:
        engine: one of ENGINES.
        heightmap_width, heightmap_height: samples per row / column in the written heightmaps.
        spacing_x_m, spacing_y_m: metres between neighbouring heightmap samples (east, north).
        min_m, max_m: elevation that heightmap value 0 and 65535 stand for, in metres.
        import_settings: engine-specific values for the import dialog, JSON-ready.
    """

    engine: str
    heightmap_width: int
    heightmap_height: int
    spacing_x_m: float
    spacing_y_m: float
    min_m: float
    max_m: float
    import_settings: dict = field(default_factory=dict)


def smallest_size_at_least(needed: int, sizes: tuple[int, ...], engine: str) -> int:
    """The first of `sizes` that is >= `needed`; UserError when the input is larger than all."""
    for size in sizes:
        if size >= needed:
            return size
    raise UserError(f"{engine} heightmaps are at most {sizes[-1]} px; this elevation map has {needed} px per side")


def engine_grid_shape(engine: str, shape: tuple[int, int]) -> tuple[int, int]:
    """(rows, columns) of the heightmaps `engine` writes for an elevation map of `shape` (H, W);
    UserError for an unknown engine or a map larger than the engine accepts."""
    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "none":
        return tuple(shape)
    sizes = UNREAL_SIZES if engine == "unreal" else POWER_OF_TWO_PLUS_ONE
    size = smallest_size_at_least(max(shape), sizes, engine)
    return size, size


def prepare_engine(
    engine: str, elevation_m: np.ndarray, meters_per_pixel: float, vertical_exaggeration: float = 1.0
) -> tuple[HeightGrid, EngineSettings]:
    """Resample `elevation_m` (H, W, metres) for `engine` (vertex-aligned bilinear: the corner
    samples stay on the tile's corners) and compute its import settings."""
    height, width = elevation_m.shape
    size_y, size_x = engine_grid_shape(engine, (height, width))
    resampled = resample_bilinear(elevation_m, size_y, size_x)
    spacing_x = (width - 1) * meters_per_pixel / (size_x - 1)
    spacing_y = (height - 1) * meters_per_pixel / (size_y - 1)
    grid = HeightGrid(
        resampled, spacing_x, spacing_y, vertical_exaggeration, "directx" if engine == "unreal" else "opengl"
    )
    settings = EngineSettings(engine, size_x, size_y, spacing_x, spacing_y, grid.min_m, grid.max_m)
    settings.import_settings = _IMPORT_SETTINGS[engine](settings)
    return grid, settings


def _unreal(s: EngineSettings) -> dict:
    """Landscape > Import from File: 100 % Z scale spans 512 m (-256..+256 around the actor)."""
    return {
        "landscape_size": f"{s.heightmap_width} x {s.heightmap_height}",
        "scale_x_cm": s.spacing_x_m * 100.0,
        "scale_y_cm": s.spacing_y_m * 100.0,
        "scale_z_percent": (s.max_m - s.min_m) * 100.0 / 512.0,
        "location_z_cm": (s.min_m + s.max_m) / 2.0 * 100.0,
        "normal_map_green": "DirectX (flipped)",
    }


def _unity(s: EngineSettings) -> dict:
    """Terrain > Import Raw: our files are north-first, Unity reads rows from the south."""
    return {
        "depth": "Bit 16",
        "byte_order": "Windows (little-endian)",
        "resolution": s.heightmap_width,
        "flip_vertically": True,
        "terrain_width_m": (s.heightmap_width - 1) * s.spacing_x_m,
        "terrain_length_m": (s.heightmap_height - 1) * s.spacing_y_m,
        "terrain_height_m": s.max_m - s.min_m,
        "terrain_position_y_m": s.min_m,
    }


def _godot(s: EngineSettings) -> dict:
    """Terrain3D (any size, EXR in metres) and Zylann's HTerrain (2^n + 1 squares)."""
    return {
        "terrain3d": {
            "import_file": "EXR (metres, scale 1, offset 0) or r16 with the range below",
            "vertex_spacing_m": s.spacing_x_m,
            "height_scale": 1.0,
            "r16_range_m": [s.min_m, s.max_m],
            "square_pixels": bool(np.isclose(s.spacing_x_m, s.spacing_y_m)),
        },
        "hterrain": {
            "resolution": s.heightmap_width,
            "map_scale": [s.spacing_x_m, 1.0, s.spacing_y_m],
            "raw_min_height_m": s.min_m,
            "raw_max_height_m": s.max_m,
        },
    }


_IMPORT_SETTINGS = {"none": lambda s: {}, "unreal": _unreal, "unity": _unity, "godot": _godot}
