"""`export_terrain`: one elevation map (+ colour) to the requested files, an engine preset and a sidecar."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mesa.errors import UserError
from mesa.export.atomic import staged_directory
from mesa.export.engines import ENGINE_FORMATS, ENGINES, EngineSettings, prepare_engine
from mesa.export.registry import FORMATS, parse_formats
from mesa.export.sidecar import SIDECAR_NAME, sidecar_document, write_sidecar
from mesa.validation import check_elevation, check_positive, check_rgb
from mesa.geometry import TerrainMesh, add_base, build_grid_mesh, decimate_mesh


@dataclass(frozen=True)
class ExportedFile:
    """One written file: its final path, its role (mesh, material, texture, heightmap, normal_map,
    sidecar) and the format that wrote it."""

    path: Path
    role: str
    format: str


@dataclass(frozen=True)
class MeshStats:
    """The mesh that went into the mesh files.

    Attributes:
        vertex_count, triangle_count: of the exported mesh (base included).
        max_height_error_m: largest vertical gap to the full grid after decimation, in mesh metres
            (elevation x vertical_exaggeration); 0 when not decimated.
        vertical_exaggeration: factor applied to Z.
        has_base: whether a watertight base was added.
    """

    vertex_count: int
    triangle_count: int
    max_height_error_m: float
    vertical_exaggeration: float
    has_base: bool


@dataclass(frozen=True)
class ExportResult:
    """Everything one export wrote. `files` includes the sidecar last; `mesh` is None without mesh formats."""

    out_dir: Path
    files: tuple[ExportedFile, ...]
    engine: EngineSettings
    mesh: MeshStats | None
    sidecar: Path

    def paths(self, role: str | None = None) -> list[Path]:
        """Paths of all files, or only of those with `role`."""
        return [f.path for f in self.files if role is None or f.role == role]


def export_terrain(
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    out_dir: str | Path,
    formats: str | Iterable[str],
    engine: str = "none",
    rgb: np.ndarray | None = None,
    max_triangles: int | None = None,
    base: bool = False,
    vertical_exaggeration: float = 1.0,
    provenance: Mapping | None = None,
    name: str = "terrain",
) -> ExportResult:
    """Write `formats` for one terrain into `out_dir`, all or nothing, plus `terrain.json`.

    Args:
        elevation_m: (H, W) finite elevation in metres, row 0 north; H, W >= 2.
        meters_per_pixel: ground spacing in metres.
        out_dir: folder to write into (created if missing).
        formats: names from `FORMATS` ("glb,r16" or a list); an engine adds its heightmap format.
        engine: "none", "unreal", "unity" or "godot"; resamples the heightmaps only.
        rgb: optional (H, W, 3) uint8 colour image, the meshes' texture.
        max_triangles: decimate meshes to at most this many triangles (border kept exact).
        base: close meshes with skirt walls and a bottom so they are watertight.
        vertical_exaggeration: factor on mesh Z and normal-map slopes (heightmaps stay in metres).
        provenance: JSON-ready description of how the terrain was made (`Terrain.provenance()`).
        name: file name stem.
    """
    elevation = check_elevation(elevation_m)
    rgb = check_rgb(rgb, elevation.shape)
    meters_per_pixel = check_positive("meters_per_pixel", meters_per_pixel)
    vertical_exaggeration = check_positive("vertical_exaggeration", vertical_exaggeration)
    names = _with_engine_format(parse_formats(formats), engine)
    if not names:
        raise UserError(f"no export formats given; choose from {', '.join(FORMATS)}")
    _check_triangle_budget(max_triangles, elevation.shape)
    grid, engine_settings = prepare_engine(engine, elevation, meters_per_pixel, vertical_exaggeration)
    mesh, stats = _build_mesh(elevation, meters_per_pixel, vertical_exaggeration, max_triangles, base, names)
    out_dir = Path(out_dir)
    written: list[tuple[Path, str, str]] = []
    with staged_directory(out_dir) as staging:
        for format_name in names:
            export_format = FORMATS[format_name]
            stem = staging / name
            if export_format.kind == "mesh":
                pairs = export_format.write(mesh, rgb, stem)
            else:
                pairs = export_format.write(grid, stem)
            written += [(path, role, format_name) for path, role in pairs]
        document = sidecar_document(
            width=elevation.shape[1],
            height=elevation.shape[0],
            min_m=float(elevation.min()),
            max_m=float(elevation.max()),
            meters_per_pixel=meters_per_pixel,
            files=[{"path": p.name, "role": role, "format": f} for p, role, f in written],
            engine=engine_settings,
            mesh=None if stats is None else stats.__dict__,
            provenance=dict(provenance) if provenance else None,
        )
        write_sidecar(document, staging)
    files = tuple(ExportedFile(out_dir / p.name, role, f) for p, role, f in written)
    sidecar = out_dir / SIDECAR_NAME
    return ExportResult(out_dir, files + (ExportedFile(sidecar, "sidecar", "json"),), engine_settings, stats, sidecar)


def _with_engine_format(names: tuple[str, ...], engine: str) -> tuple[str, ...]:
    """Add the engine's preferred heightmap format unless one it imports was already asked for."""
    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    accepted = ENGINE_FORMATS[engine]
    if accepted and not set(accepted) & set(names):
        return names + (accepted[0],)
    return names


def _check_triangle_budget(max_triangles: int | None, shape: tuple[int, int]) -> None:
    """UserError unless `max_triangles` is None or an int that leaves room for the tile's border."""
    if max_triangles is None:
        return
    minimum = 2 * (shape[0] + shape[1])
    if isinstance(max_triangles, bool) or not isinstance(max_triangles, (int, np.integer)) or max_triangles < minimum:
        raise UserError(
            f"max_triangles must be an integer >= {minimum} (enough to keep this tile's border), got {max_triangles}"
        )


def _build_mesh(
    elevation: np.ndarray,
    meters_per_pixel: float,
    vertical_exaggeration: float,
    max_triangles: int | None,
    base: bool,
    names: tuple[str, ...],
) -> tuple[TerrainMesh | None, MeshStats | None]:
    """The mesh for the mesh formats (None when none was asked for): grid, then decimation, then base."""
    if not any(FORMATS[n].kind == "mesh" for n in names):
        return None, None
    mesh = build_grid_mesh(elevation, meters_per_pixel, vertical_exaggeration)
    error_m = 0.0
    if max_triangles is not None:
        decimated = decimate_mesh(mesh, int(max_triangles))
        mesh, error_m = decimated.mesh, decimated.max_height_error_m
    if base:
        mesh = add_base(mesh)
    stats = MeshStats(len(mesh.vertices), mesh.triangle_count, error_m, vertical_exaggeration, base)
    return mesh, stats
