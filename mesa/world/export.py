"""`export_world`: one folder with everything a world exports to, written all or nothing.

    OUT/world.json, rgb.png, elevation.npy, ...   the saved world (reload and extend it later)
    OUT/mosaic/                                   the whole mosaic through `export_terrain` (any formats)
    OUT/tiles/x{i}_y{j}/                          one GLB per world tile, edges shared with its neighbours
    OUT/lod/                                      a decimated GLB of the whole world (a 3D overview)
    OUT/{engine}/                                 the engine's tile set (`mesa.world.engine_tiles`)

A tile's GLB covers its pixels plus the first row / column of its east and south neighbours, so
neighbouring meshes share their border vertices exactly; its `terrain.json` gives its offset in
the world. Memory is estimated before anything is written (`mesa.limits`).

A finished world (`finished`: `mesa.finishing.finish_terrain` of the whole mosaic, so erosion runs
across tile seams before any tile is cut) exports the finished terrain everywhere - mosaic, tile
GLBs, the LOD and the engine tiles - with the masks and material files in `mosaic/` (whole
mosaic) and in the engine folder (per engine tile). The saved world (world.json, elevation.npy)
stays as generated, so extending it and finishing it again never erodes twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from mesa.atomic import staged_directory
from mesa.errors import UserError
from mesa.export import ENGINES, ExportedFile, export_terrain, parse_formats
from mesa.finishing import FinishResult
from mesa.limits import check_memory
from mesa.world.engine_tiles import ENGINE_TILE_FORMATS, EngineTileSet, write_engine_tiles
from mesa.world.finish_tiles import finish_tiles_bytes
from mesa.world.storage import WORLD_FILE, save_world, world_document
from mesa.world.world import World

DEFAULT_LOD_TRIANGLES = 200_000
MESH_BYTES_PER_VERTEX = 600
"""Building, decimating and writing a grid mesh: positions, UVs, normals, faces, the decimator's
copies and the GLB buffer, per vertex (upper bound)."""
ENGINE_BYTES_PER_SAMPLE = 48
"""Resampling the mosaic to an engine's global grid: coordinates, output and a tile's copy (float64)."""


@dataclass(frozen=True)
class WorldExport:
    """What `export_world` wrote (final paths).

    Attributes:
        out_dir: the folder.
        files: every file with its role ("world", "mosaic", "tile_mesh", "lod_mesh", "engine_tile",
            "sidecar", ...) and format.
        engine_tiles: the engine's tile set, or None.
    """

    out_dir: Path
    files: tuple[ExportedFile, ...]
    engine_tiles: EngineTileSet | None

    def paths(self, role: str | None = None) -> list[Path]:
        return [f.path for f in self.files if role is None or f.role == role]


def export_world(world: World, out_dir: str | Path, formats: str = "png16", engine: str = "none",
                 tile_meshes: bool = True, lod_triangles: int | None = DEFAULT_LOD_TRIANGLES,
                 engine_tile_samples: int | None = None, vertical_exaggeration: float = 1.0,
                 name: str = "world", finished: FinishResult | None = None) -> WorldExport:
    """Write the world, its mosaic in `formats`, per-tile GLBs, a decimated GLB (None: none) and the
    `engine`'s tile set ("none", "unreal", "unity", "godot") into `out_dir`, replacing it in one step;
    every export is `finished`'s terrain when given (the finishing of `world`'s whole mosaic)."""
    parse_formats(formats)
    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    check_export_memory(world, engine, lod_triangles is not None or tile_meshes, finished)
    exported = world
    if finished is not None:
        if finished.elevation_m.shape != world.elevation_m.shape:
            raise UserError(f"the finished terrain is {finished.elevation_m.shape[1]} x {finished.elevation_m.shape[0]}"
                            f" px but the world is {world.elevation_m.shape[1]} x {world.elevation_m.shape[0]} px; "
                            "finish the world that is exported")
        exported = replace(world, elevation_m=finished.elevation_m)
    out_dir = Path(out_dir)
    written: list[tuple[Path, str, str]] = []
    engine_set = None
    with staged_directory(out_dir) as staging:
        written += [(path, "world", path.suffix.lstrip(".")) for path in save_world(world, staging)]
        provenance = world.provenance()
        mosaic = export_terrain(world.elevation_m, world.meters_per_pixel, staging / "mosaic", formats, rgb=world.rgb,
                                vertical_exaggeration=vertical_exaggeration, provenance=provenance, name=name,
                                finished=finished)
        written += [(f.path, f"mosaic_{f.role}", f.format) for f in mosaic.files]
        if tile_meshes:
            written += _tile_meshes(exported, staging / "tiles", vertical_exaggeration, name)
        if lod_triangles is not None:
            lod = export_terrain(exported.elevation_m, world.meters_per_pixel, staging / "lod", "glb", rgb=world.rgb,
                                 max_triangles=lod_triangles, vertical_exaggeration=vertical_exaggeration,
                                 provenance=provenance, name=f"{name}_lod")
            written += [(f.path, f"lod_{f.role}", f.format) for f in lod.files]
        if engine != "none":
            engine_set = write_engine_tiles(exported.elevation_m, world.meters_per_pixel, world.columns, world.rows,
                                            engine, staging / engine, name, engine_tile_samples, finished)
            written += [(engine_set.folder / t.file, "engine_tile", ENGINE_TILE_FORMATS[engine])
                        for t in engine_set.tiles]
            written += [(f.path, f"engine_{f.role}", f.format) for f in engine_set.finishing_files]
            written.append((engine_set.folder / f"{engine}_tiles.json", "engine_sidecar", "json"))
        _add_file_list(staging / WORLD_FILE, world, written, staging, finished)
        files = tuple(ExportedFile(out_dir / Path(p).relative_to(staging), role, fmt) for p, role, fmt in written)
    if engine_set is not None:
        engine_set.folder = out_dir / engine
    return WorldExport(out_dir, files, engine_set)


def _tile_meshes(world: World, folder: Path, vertical_exaggeration: float, name: str) -> list[tuple[Path, str, str]]:
    """One GLB per tile, each covering its pixels and its east / south neighbours' first line."""
    height, width = world.elevation_m.shape
    tile = world.tile_px
    written = []
    for row in range(world.rows):
        for column in range(world.columns):
            last_row, last_column = min((row + 1) * tile, height - 1), min((column + 1) * tile, width - 1)
            rows, columns = slice(row * tile, last_row + 1), slice(column * tile, last_column + 1)
            cell = world.cell(column, row)
            offset_east_m = column * tile * world.meters_per_pixel
            offset_north_m = (height - 1 - last_row) * world.meters_per_pixel
            provenance = {"world_cell": [cell.column, cell.row], "grid_position": [column, row],
                          "offset_east_m": offset_east_m, "offset_north_m": offset_north_m,
                          "glb_translation_m": [offset_east_m, 0.0, -offset_north_m], "noise_seed": cell.noise_seed,
                          "prompts": cell.prompts, "world_seed": world.seed}
            result = export_terrain(world.elevation_m[rows, columns], world.meters_per_pixel,
                                    folder / f"x{column}_y{row}", "glb",
                                    rgb=np.ascontiguousarray(world.rgb[rows, columns]),
                                    vertical_exaggeration=vertical_exaggeration, provenance=provenance,
                                    name=f"{name}_x{column}_y{row}")
            written += [(f.path, f"tile_{f.role}", f.format) for f in result.files]
    return written


def check_export_memory(world: World, engine: str, meshes: bool, finished: FinishResult | None = None) -> None:
    """UserError when building the world's largest mesh or engine grid (with a finished world's
    band of tile rows, `mesa.world.finish_tiles`) cannot fit in memory."""
    height, width = world.elevation_m.shape
    mesh = MESH_BYTES_PER_VERTEX * height * width if meshes else 0.0
    samples = 4 * (height + world.rows) * (width + world.columns)  # engine sizes at most double each side
    engine_grid = ENGINE_BYTES_PER_SAMPLE * samples if engine != "none" else 0
    if finished is not None and engine != "none":  # a band of tile rows: at most double a world tile row
        engine_grid += finish_tiles_bytes(finished, (0, 2 * (width + world.columns)), 2 * (world.tile_px + 1))
    check_memory(max(mesh, engine_grid), f"exporting a {width} x {height} px world",
                 "skip the whole-world mesh (lod_triangles=None / --no-lod) or export fewer tiles")


def _add_file_list(path: Path, world: World, written: list[tuple[Path, str, str]], root: Path,
                   finished: FinishResult | None = None) -> None:
    """Rewrite `world.json` with the list of every exported file (paths relative to the folder) and,
    for a finished world, what the finishing did."""
    document = world_document(world)
    if finished is not None:
        document["finishing"] = {
            "exports": "mosaic/, tiles/, lod/ and the engine folder hold the finished terrain; elevation.npy and "
                       "rgb.png here are the world as generated (extend and finish it again from them)",
            **finished.summary(),
        }
    document["files"] = [{"path": str(Path(p).relative_to(root)), "role": role, "format": fmt}
                         for p, role, fmt in written]
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
