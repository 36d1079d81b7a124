"""Engine tile sets of a world's elevation: Unreal landscape tiles, Unity terrain grids, Godot
Terrain3D regions. Every tile of a set is quantised over the world's one elevation range, so a
16-bit value means the same metres in every tile and one import scale fits them all.

- **Unreal** (World Partition landscape, "Import from file" with tiled heightmaps): tiles of a
  recommended landscape size S (127 ... 8129 samples, the smallest that keeps the world tile's
  resolution), named `{name}_x{i}_y{j}.png`, neighbours sharing their edge row / column exactly
  (the world is resampled, corners aligned, to columns * (S - 1) + 1 samples across).
- **Unity**: terrains of 2^n + 1 samples (RAW 16-bit), shared edges likewise, with each terrain's
  position and its neighbours in `Terrain.SetNeighbors(left, top, right, bottom)` order.
- **Godot Terrain3D**: regions of a power-of-two size that tile the mosaic without shared samples
  (Terrain3D stores each region's R x R vertices; the next region holds the following ones), as
  32-bit EXR in metres with each region's location.

Heightmaps go through the export registry's writers (`mesa.export.FORMATS`); the tile's file is then
renamed to the engine's naming. The set's import settings go into `{engine}_tiles.json`. A finished
world (`mesa.finishing`) adds each tile's masks and material files (`mesa.world.finish_tiles`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mesa.errors import UserError
from mesa.export import FORMATS
from mesa.export.engines import POWER_OF_TWO_PLUS_ONE, UNREAL_SIZES, smallest_size_at_least
from mesa.geometry.resample import resample_bilinear
from mesa.export.heightmap_formats import HeightGrid
from mesa.finishing import FinishedFile, FinishResult
from mesa.world.finish_tiles import write_finish_tiles

ENGINE_TILE_FORMATS = {"unreal": "png16", "unity": "r16", "godot": "exr"}
TERRAIN3D_REGION_SIZES = (64, 128, 256, 512, 1024, 2048)
UNREAL_Z_SPAN_M = 512.0  # 100 % Z scale spans -256 m .. +256 m around the landscape actor


@dataclass
class SharedRangeGrid(HeightGrid):
    """A `HeightGrid` whose 16-bit range is the whole world's, not the tile's own min..max."""

    range_m: tuple[float, float] = (0.0, 1.0)

    @property
    def min_m(self) -> float:
        return self.range_m[0]

    @property
    def max_m(self) -> float:
        return self.range_m[1]


@dataclass(frozen=True)
class EngineTile:
    """One written tile: grid position (x east, y south, from the north-west), file name, samples."""

    x: int
    y: int
    file: str
    samples: tuple[int, int]  # (rows, columns)
    first_sample: tuple[int, int]  # (row, column) of its north-west sample in the set's global grid


@dataclass
class EngineTileSet:
    """A written tile set and everything the engine's import needs (also in `{engine}_tiles.json`)."""

    engine: str
    folder: Path
    tiles: tuple[EngineTile, ...]
    global_samples: tuple[int, int]
    mosaic_samples: tuple[int, int]
    spacing_m: tuple[float, float]
    range_m: tuple[float, float]
    import_settings: dict = field(default_factory=dict)
    finishing_files: tuple[FinishedFile, ...] = ()
    finishing: dict | None = None


def write_engine_tiles(elevation_m: np.ndarray, meters_per_pixel: float, columns: int, rows: int, engine: str,
                       folder: Path, name: str = "world", tile_samples: int | None = None,
                       finished: FinishResult | None = None) -> EngineTileSet:
    """Write the tile set of `engine` ("unreal", "unity" or "godot") for a (H, W) metres mosaic of
    `columns` x `rows` world tiles into `folder` (created); with `finished` (the finishing of this
    very mosaic: `finished.elevation_m` is `elevation_m`) each tile's masks and material files too."""
    if engine not in ENGINE_TILE_FORMATS:
        raise UserError(f"engine tiles exist for {', '.join(ENGINE_TILE_FORMATS)}; got {engine!r}")
    folder.mkdir(parents=True, exist_ok=True)
    if engine == "godot":
        grid, size, counts, step = _terrain3d_grid(elevation_m, tile_samples)
        spacing = (meters_per_pixel, meters_per_pixel)
    else:
        sizes = UNREAL_SIZES if engine == "unreal" else POWER_OF_TWO_PLUS_ONE
        size = _tile_size(engine, sizes, elevation_m.shape[1] // columns, tile_samples)
        counts, step = (rows, columns), size - 1
        height, width = elevation_m.shape
        grid = resample_bilinear(elevation_m, rows * step + 1, columns * step + 1)
        spacing = ((width - 1) * meters_per_pixel / (columns * step), (height - 1) * meters_per_pixel / (rows * step))
    range_m = (float(grid.min()), float(grid.max()))  # the resampled samples' own range: all 16 bits used
    tiles = []
    for y in range(counts[0]):
        for x in range(counts[1]):
            block = grid[y * step:y * step + size, x * step:x * step + size]
            tile_grid = SharedRangeGrid(block, spacing[0], spacing[1], range_m=range_m)
            tiles.append(_write_tile(tile_grid, engine, folder, f"{name}_x{x}_y{y}", x, y, (y * step, x * step)))
    tile_set = EngineTileSet(engine, folder, tuple(tiles), grid.shape, elevation_m.shape, spacing, range_m)
    tile_set.import_settings = IMPORT_SETTINGS[engine](tile_set, size, counts)
    if finished is not None:
        tile_set.finishing_files, tile_set.finishing = write_finish_tiles(
            finished, engine, tile_set.tiles, tile_set.global_samples, spacing[0], folder, name)
    _write_sidecar(tile_set, folder / f"{engine}_tiles.json")
    return tile_set


def _tile_size(engine: str, sizes: tuple[int, ...], tile_px: int, tile_samples: int | None) -> int:
    if tile_samples is None:
        return smallest_size_at_least(tile_px, sizes, engine)
    if tile_samples not in sizes:
        raise UserError(f"{engine} tiles must have one of {', '.join(map(str, sizes))} samples, got {tile_samples!r}")
    return tile_samples


def _terrain3d_grid(elevation_m: np.ndarray, region_size: int | None) -> tuple[np.ndarray, int, tuple, int]:
    """The mosaic padded (edge samples repeated) to whole Terrain3D regions, the region size, the
    region counts (rows, columns) and the step between regions (= the size: no shared samples)."""
    height, width = elevation_m.shape
    if region_size is None:
        fitting = [s for s in TERRAIN3D_REGION_SIZES if height % s == 0 and width % s == 0 and s <= 1024]
        region_size = fitting[-1] if fitting else TERRAIN3D_REGION_SIZES[0]
    elif region_size not in TERRAIN3D_REGION_SIZES:
        sizes = ", ".join(map(str, TERRAIN3D_REGION_SIZES))
        raise UserError(f"Terrain3D regions are {sizes} samples, got {region_size!r}")
    counts = (-(-height // region_size), -(-width // region_size))
    padded = np.pad(np.asarray(elevation_m, dtype=np.float64),
                    ((0, counts[0] * region_size - height), (0, counts[1] * region_size - width)), mode="edge")
    return padded, region_size, counts, region_size


def _write_tile(grid: SharedRangeGrid, engine: str, folder: Path, stem: str, x: int, y: int,
                first_sample: tuple[int, int]) -> EngineTile:
    """Write one tile with the registry's writer and rename it to the engine's `{name}_x{i}_y{j}.ext`."""
    (written, _role), = FORMATS[ENGINE_TILE_FORMATS[engine]].write(grid, folder / stem)
    final = folder / (stem + "".join(Path(written).suffixes[-1:]))
    Path(written).replace(final)
    return EngineTile(x, y, final.name, grid.elevation_m.shape, first_sample)


def _unreal(s: EngineTileSet, size: int, counts: tuple[int, int]) -> dict:
    quads_per_section = 63 if (size - 1) % 126 == 0 else 127
    components = (size - 1) // (2 * quads_per_section)
    low, high = s.range_m
    return {
        "import": "Landscape mode > New > Import from File: pick the _x0_y0 file; tiles are found by their "
                  "_x{i}_y{j} suffix (World Partition)",
        "enable_world_partition": True,
        "heightmap_resolution_per_tile": f"{size} x {size}",
        "tiles": f"{counts[1]} x {counts[0]}",
        "landscape_resolution": f"{s.global_samples[1]} x {s.global_samples[0]}",
        "quads_per_section": quads_per_section,
        "sections_per_component": "2x2",
        "components_per_tile": f"{components} x {components}",
        "world_partition_grid_size": components,
        "scale_x_cm": s.spacing_m[0] * 100.0,
        "scale_y_cm": s.spacing_m[1] * 100.0,
        "scale_z_percent": (high - low) * 100.0 / UNREAL_Z_SPAN_M,
        "location_z_cm": (low + high) / 2.0 * 100.0,
        "tile_origin_cm": "tile x{i}_y{j} starts at (i, j) * (resolution - 1) * scale",
    }


def _unity(s: EngineTileSet, size: int, counts: tuple[int, int]) -> dict:
    rows, columns = counts
    width_m, length_m = (size - 1) * s.spacing_m[0], (size - 1) * s.spacing_m[1]

    def name(x: int, y: int) -> str | None:
        return f"x{x}_y{y}" if 0 <= x < columns and 0 <= y < rows else None

    terrains = {f"x{t.x}_y{t.y}": {
        "file": t.file,
        "position_m": [t.x * width_m, s.range_m[0], (rows - 1 - t.y) * length_m],
        "neighbors_left_top_right_bottom": [name(t.x - 1, t.y), name(t.x, t.y - 1), name(t.x + 1, t.y),
                                            name(t.x, t.y + 1)],
    } for t in s.tiles}
    return {
        "import": "Terrain > Import Raw per tile; then Terrain.SetNeighbors in the order given (or one grouping "
                  "id with Auto Connect)",
        "depth": "Bit 16", "byte_order": "Windows (little-endian)", "resolution": size, "flip_vertically": True,
        "terrain_width_m": width_m, "terrain_length_m": length_m, "terrain_height_m": s.range_m[1] - s.range_m[0],
        "grouping_id": 0, "allow_auto_connect": True, "terrains": terrains,
    }


def _godot(s: EngineTileSet, size: int, counts: tuple[int, int]) -> dict:
    return {
        "import": "Terrain3D: set region_size and vertex_spacing, then for each region "
                  "data.import_images([load(file), null, null], global_position, 0.0, 1.0)",
        "region_size": size,
        "padded": "regions past the mosaic's mosaic_samples repeat its last row / column",
        "vertex_spacing_m": s.spacing_m[0],
        "height_offset_m": 0.0,
        "height_scale": 1.0,
        "regions": {t.file: {"location": [t.x, t.y],
                             "global_position_m": [t.x * size * s.spacing_m[0], 0.0, t.y * size * s.spacing_m[1]]}
                    for t in s.tiles},
    }


IMPORT_SETTINGS = {"unreal": _unreal, "unity": _unity, "godot": _godot}


def _write_sidecar(tile_set: EngineTileSet, path: Path) -> None:
    document = {
        "engine": tile_set.engine,
        "axes": "tile x grows east, y grows south; row 0 of every file is its north edge",
        "global_samples": list(tile_set.global_samples),
        "mosaic_samples": list(tile_set.mosaic_samples),
        "spacing_m": list(tile_set.spacing_m),
        "height_range_m": list(tile_set.range_m),
        "sixteen_bit": "value 0 = height_range_m[0], 65535 = height_range_m[1] in every tile",
        "tiles": [{"x": t.x, "y": t.y, "file": t.file, "samples": list(t.samples),
                   "first_sample": list(t.first_sample)} for t in tile_set.tiles],
        "import_settings": tile_set.import_settings,
    }
    if tile_set.finishing is not None:
        document["finishing"] = tile_set.finishing
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
