"""`export_terrain`: one elevation map (+ colour) to the requested files, an engine preset and a
sidecar, written as one folder that appears whole or not at all."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mesa.atomic import staged_directory
from mesa.errors import UserError
from mesa.export.destination import check_export_folder
from mesa.export.engines import ENGINE_FORMATS, ENGINES, EngineSettings, engine_grid_shape, prepare_engine
from mesa.export.memory import check_export_memory, estimate_export_memory
from mesa.export.registry import FORMATS, parse_formats
from mesa.export.sidecar import SIDECAR_NAME, extent_of, heightmap_entry, mesh_entry, sidecar_document, write_sidecar
from mesa.geometry import TerrainMesh, add_base, build_grid_mesh, decimate_mesh
from mesa.geometry.relief import HeightRange, height_range
from mesa.validation import ELEVATION_LIMIT_M, check_elevation, check_integer, check_number, check_rgb

if TYPE_CHECKING:  # mesa.finishing imports torch: loaded only when an export finishes (see below)
    from mesa.finishing import FinishOptions, FinishResult

METERS_PER_PIXEL_RANGE = (1e-3, 1e5)  # 1 mm to 100 km between samples
VERTICAL_EXAGGERATION_RANGE = (1e-3, 1e3)
MAX_TRIANGLES_LIMIT = 2**31 - 1  # the decimator counts triangles in a C int


@dataclass(frozen=True)
class ExportedFile:
    """One written file: its final path, its role (mesh, material, texture, heightmap, normal_map,
    sidecar, or an extra file's role) and the format that wrote it."""

    path: Path
    role: str
    format: str


@dataclass(frozen=True)
class ExtraFile:
    """A file written into the export folder beside the exports (e.g. `generate`'s rgb.png).

    Attributes:
        name: file name inside the folder.
        role: its role in terrain.json (e.g. "image", "elevation").
        write: called with the staged path to write to.
        details: JSON-ready facts for its terrain.json entry (size, encoding, range).
        format: its format name in terrain.json.
    """

    name: str
    role: str
    write: Callable[[Path], object]
    details: Mapping = field(default_factory=dict)
    format: str = ""


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
    """Everything one export wrote. `files` includes the sidecar last; `mesh` is None without mesh
    formats; `heights` is the source map's full min..max and p2..p98 relief (as in terrain.json)."""

    out_dir: Path
    files: tuple[ExportedFile, ...]
    engine: EngineSettings
    mesh: MeshStats | None
    sidecar: Path
    heights: HeightRange

    def paths(self, role: str | None = None) -> list[Path]:
        """Paths of all files, or only of those with `role`."""
        return [f.path for f in self.files if role is None or f.role == role]


@dataclass(frozen=True)
class ExportRequest:
    """Checked export settings (see `check_export_request`)."""

    shape: tuple[int, int]
    formats: tuple[str, ...]
    engine: str
    meters_per_pixel: float
    vertical_exaggeration: float
    max_triangles: int | None
    base: bool


def check_export_settings(
    formats: str | Iterable[str],
    engine: str = "none",
    max_triangles: int | None = None,
    vertical_exaggeration: float = 1.0,
) -> tuple[tuple[str, ...], float]:
    """(format names with the engine's, vertical exaggeration) after checking the settings that do
    not depend on the map's size; UserError with one line naming what is wrong and what is accepted."""
    names = _with_engine_format(parse_formats(formats), engine)
    if not names:
        raise UserError(f"no export formats given; choose from {', '.join(FORMATS)}")
    vertical_exaggeration = check_number("vertical_exaggeration", vertical_exaggeration, *VERTICAL_EXAGGERATION_RANGE)
    if max_triangles is not None:
        check_integer("max_triangles", max_triangles, 0, MAX_TRIANGLES_LIMIT)
    return names, vertical_exaggeration


def check_export_request(
    shape: tuple[int, int],
    meters_per_pixel: float | None,
    formats: str | Iterable[str],
    engine: str = "none",
    max_triangles: int | None = None,
    base: bool = False,
    vertical_exaggeration: float = 1.0,
    has_rgb: bool = False,
    extra_bytes: int = 0,
    finish: FinishOptions | None = None,
) -> ExportRequest:
    """Check every export setting and the memory the export needs, before any work (and, for
    `generate`, before sampling); UserError with one line naming what is wrong and what is accepted.

    Args:
        shape: (H, W) of the elevation map to export.
        meters_per_pixel: its ground spacing, or None when not known yet (not checked then).
        extra_bytes: memory the caller needs beside the export (reading files, the colour image).
        finish: the finishing the caller runs before exporting (`mesa.finishing.finish_terrain`):
            its options are checked and its memory counted (computing and writing at the engine's size).
        others: as for `export_terrain`.
    """
    names, vertical_exaggeration = check_export_settings(formats, engine, max_triangles, vertical_exaggeration)
    if meters_per_pixel is not None:
        meters_per_pixel = check_number("meters_per_pixel", meters_per_pixel, *METERS_PER_PIXEL_RANGE)
    height, width = shape
    if max_triangles is not None:
        max_triangles = _check_triangle_budget(max_triangles, (height, width))
    engine_shape = engine_grid_shape(engine, (height, width))
    memory = estimate_export_memory((height, width), names, engine_shape, max_triangles, bool(base), has_rgb)
    if finish is not None:
        from mesa.finishing import estimate_finish_memory

        extra_bytes += estimate_finish_memory((height, width), finish, engine_shape)
    check_export_memory(memory, (height, width), names, extra_bytes)
    return ExportRequest((height, width), names, engine, meters_per_pixel, vertical_exaggeration, max_triangles,
                         bool(base))


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
    extra_files: Sequence[ExtraFile] = (),
    finished: FinishResult | None = None,
) -> ExportResult:
    """Write `formats` for one terrain, `extra_files` and `terrain.json` as the folder `out_dir`.

    The folder is filled beside its target and swapped in at once (`mesa.atomic.staged_directory`):
    a reader sees the previous export or the new one, never a mix, and a failure leaves the previous
    one untouched. `out_dir` must be new, empty or a previous export (its terrain.json lists every
    file in it); anything else is refused, never deleted. Memory is estimated first and a request
    that cannot fit is refused (`mesa.limits`).

    Args:
        elevation_m: (H, W) finite elevation in metres (|value| <= 100 km), row 0 north; H, W >= 2.
        meters_per_pixel: ground spacing in metres, 0.001 to 100,000.
        out_dir: the export folder.
        formats: names from `FORMATS` ("glb,r16" or a list); an engine adds its heightmap format.
        engine: "none", "unreal", "unity" or "godot"; resamples the heightmaps only.
        rgb: optional (H, W, 3) uint8 colour image, the meshes' texture.
        max_triangles: decimate meshes to at most this many triangles (border kept exact).
        base: close meshes with skirt walls and a bottom so they are watertight.
        vertical_exaggeration: factor on mesh Z and normal-map slopes (heightmaps stay in metres), 0.001 to 1000.
        provenance: JSON-ready description of how the terrain was made (`Terrain.provenance()`).
        name: file name stem.
        extra_files: further files to write into the same folder and list in terrain.json.
        finished: `mesa.finishing.finish_terrain`'s result for this terrain (same grid): its
            elevation replaces `elevation_m` everywhere (heightmaps, meshes, statistics: an eroded
            export is the eroded terrain), and its masks and material files are written into the
            same folder at the engine's heightmap size (`mesa.finishing.write_finish`), listed in
            terrain.json "files" with a description each, its figures under "finishing".
    """
    if finished is not None:
        if np.shape(elevation_m) != finished.elevation_m.shape:
            raise UserError(f"the finished terrain is {finished.elevation_m.shape[1]} x "
                            f"{finished.elevation_m.shape[0]} px but the elevation map is {np.shape(elevation_m)[1]} x "
                            f"{np.shape(elevation_m)[0]} px; finish the terrain that is exported")
        elevation_m = finished.elevation_m
    elevation = check_elevation(elevation_m, ELEVATION_LIMIT_M)
    rgb = check_rgb(rgb, elevation.shape)
    if meters_per_pixel is None:
        raise UserError("meters_per_pixel must be a number, got None")
    request = check_export_request(elevation.shape, meters_per_pixel, formats, engine, max_triangles, base,
                                   vertical_exaggeration, rgb is not None)
    _check_names(name, extra_files)
    out_dir = check_export_folder(out_dir, "output folder")
    try:
        return _write(elevation, rgb, request, out_dir, provenance, name, extra_files, finished)
    except OSError as error:
        writing = f" (writing {Path(error.filename).name})" if error.filename else ""
        raise UserError(f"cannot write the export {out_dir}: {error.strerror or error}{writing}") from None


def _write(elevation: np.ndarray, rgb: np.ndarray | None, request: ExportRequest, out_dir: Path,
           provenance: Mapping | None, name: str, extra_files: Sequence[ExtraFile],
           finished: FinishResult | None) -> ExportResult:
    """Build, write into a staging folder, describe in terrain.json, then swap the folder in."""
    grid, engine_settings = prepare_engine(request.engine, elevation, request.meters_per_pixel,
                                           request.vertical_exaggeration)
    mesh, stats = _build_mesh(elevation, request)
    extent_m = extent_of(elevation.shape[1], elevation.shape[0], request.meters_per_pixel)
    entries: list[dict] = []
    with staged_directory(out_dir) as staging:
        for format_name in request.formats:
            export_format = FORMATS[format_name]
            if export_format.kind == "mesh":
                pairs = export_format.write(mesh, rgb, staging / name)
                details = [mesh_entry(role, request.vertical_exaggeration, extent_m) for _, role in pairs]
            else:
                pairs = export_format.write(grid, staging / name)
                details = [heightmap_entry(format_name, grid)] * len(pairs)
            entries += [{"path": path.name, "role": role, "format": format_name, **detail}
                        for (path, role), detail in zip(pairs, details)]
        for extra in extra_files:
            extra.write(staging / extra.name)
            entries.append({"path": extra.name, "role": extra.role, "format": extra.format, **extra.details})
        finishing = None
        if finished is not None:
            from mesa.finishing import write_finish

            size = None if request.engine == "none" else (engine_settings.heightmap_height,
                                                          engine_settings.heightmap_width)
            finishing = write_finish(finished, staging, name, request.engine, size)
            entries += finishing.sidecar_entries()
        del mesh
        heights = height_range(elevation)
        document = sidecar_document(
            width=elevation.shape[1],
            height=elevation.shape[0],
            heights=heights,
            meters_per_pixel=request.meters_per_pixel,
            files=entries,
            engine=engine_settings,
            mesh=None if stats is None else stats.__dict__,
            provenance=dict(provenance) if provenance else None,
        )
        if finishing is not None:
            document["finishing"] = finishing.sidecar
        write_sidecar(document, staging)
    files = tuple(ExportedFile(out_dir / e["path"], e["role"], e["format"]) for e in entries)
    sidecar = out_dir / SIDECAR_NAME
    return ExportResult(out_dir, files + (ExportedFile(sidecar, "sidecar", "json"),), engine_settings, stats, sidecar,
                        heights)


def _with_engine_format(names: tuple[str, ...], engine: str) -> tuple[str, ...]:
    """Add the engine's preferred heightmap format unless one it imports was already asked for."""
    if engine not in ENGINES:
        raise UserError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    accepted = ENGINE_FORMATS[engine]
    if accepted and not set(accepted) & set(names):
        return names + (accepted[0],)
    return names


def _check_triangle_budget(max_triangles: int, shape: tuple[int, int]) -> int:
    """The budget as int after checking it is an integer that leaves room for the tile's border."""
    minimum = 2 * (shape[0] + shape[1])
    budget = check_integer("max_triangles", max_triangles, 0, MAX_TRIANGLES_LIMIT)
    if budget < minimum:
        raise UserError(f"max_triangles must be >= {minimum:,} (enough to keep this tile's border), got {budget:,}")
    return budget


def _check_names(stem: str, extra_files: Sequence[ExtraFile]) -> None:
    """The stem and extra files must be plain file names; extra files may not collide with each
    other, the sidecar or the exports (whose names start with the stem)."""
    names = [extra.name for extra in extra_files]
    if not _is_plain_name(stem) or stem.startswith("."):
        raise UserError(f"the file name stem must be a plain, visible file name, got {stem!r}")
    bad = [n for n in names if not _is_plain_name(n) or n == SIDECAR_NAME or n.startswith(stem)]
    if bad or len(set(names)) != len(names):
        raise ValueError(f"extra file names must be distinct plain names not starting with {stem!r}, got {names}")


def _is_plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\0" not in name


def _build_mesh(elevation: np.ndarray, request: ExportRequest) -> tuple[TerrainMesh | None, MeshStats | None]:
    """The mesh for the mesh formats (None when none was asked for): grid, then decimation, then base."""
    if not any(FORMATS[n].kind == "mesh" for n in request.formats):
        return None, None
    mesh = build_grid_mesh(elevation, request.meters_per_pixel, request.vertical_exaggeration)
    error_m = 0.0
    if request.max_triangles is not None:
        decimated = decimate_mesh(mesh, request.max_triangles)
        mesh, error_m = decimated.mesh, decimated.max_height_error_m
        del decimated
    if request.base:
        mesh = add_base(mesh)
    stats = MeshStats(len(mesh.vertices), mesh.triangle_count, error_m, request.vertical_exaggeration, request.base)
    return mesh, stats
