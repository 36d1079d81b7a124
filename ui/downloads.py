"""Downloads for one result: GLB, OBJ zip, heightmaps with an engine preset, normal map, sidecar
JSON and one export-bundle zip, written into the session's folder. The exporter's `ExportResult`
(files with roles and formats, engine settings, sidecar) is kept in the session and is the only
source of file names and import settings."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mesa.atomic import atomic_write_with
from mesa.errors import UserError
from mesa.export import ENGINES, ExportResult, export_terrain
from mesa.naming import slug
from ui.session import Result, Session
from mesa.validation import check_number, check_whole_number

DOWNLOAD_FORMATS = ("glb", "obj", "png16", "r16", "exr", "normal")
HEIGHTMAP_ORDER = ("png16", "r16", "exr")  # as the download list shows them
ENGINE_LABELS = {"none": "None (metres, any size)", "unreal": "Unreal Engine", "unity": "Unity", "godot": "Godot"}
EXAGGERATION_RANGE = (0.1, 20.0)
DEFAULT_TRIANGLES = 200_000
MIN_TRIANGLES = 1_000
MAX_TRIANGLES = 2_000_000


@dataclass(frozen=True)
class Downloads:
    """What one export produced.

    Attributes:
        export: the exporter's own account of the files it wrote (roles, formats, engine settings).
        sidecar: the sidecar copied under the result's name (what the user downloads).
        obj_zip: OBJ + MTL + texture in one zip.
        bundle: every file of the export in one zip.
    """

    export: ExportResult
    sidecar: Path
    obj_zip: Path
    bundle: Path

    @property
    def glb(self) -> Path:
        return next(f.path for f in self.export.files if f.format == "glb")

    @property
    def files(self) -> list[Path]:
        """The download list: GLB, OBJ zip, heightmaps (PNG16, r16, EXR), normal map, sidecar, bundle."""
        heightmaps = sorted((f for f in self.export.files if f.role == "heightmap"),
                            key=lambda f: HEIGHTMAP_ORDER.index(f.format) if f.format in HEIGHTMAP_ORDER else 99)
        normal = [f.path for f in self.export.files if f.role == "normal_map"]
        return [self.glb, self.obj_zip, *(f.path for f in heightmaps), *normal, self.sidecar, self.bundle]

    def summary(self) -> str:
        """Markdown: the engine preset, the height range the files hold and the relief people see
        (from the exporter's EngineSettings and HeightRange); the values to paste are in
        `ui.engine_settings`."""
        engine, heights = self.export.engine, self.export.heights
        outliers = (f" {heights.outlier_count:,} outlier sample(s) stretch that range beyond the relief."
                    if heights.outliers else "")
        paste = " Import settings, rounded for the engine's dialog, are below." if engine.import_settings else ""
        return (f"Engine preset: **{ENGINE_LABELS[engine.engine]}** — every setting is also in `{self.sidecar.name}`."
                f"{paste} The 16-bit heightmaps span the full range {engine.min_m:,.2f} – {engine.max_m:,.2f} m, so "
                f"they hold every height; the relief (p2–p98) is {heights.relief_m:,.0f} m.{outliers}")


def check_options(engine: object, vertical_exaggeration: object, max_triangles: object) -> tuple[str, float, int]:
    """Validated (engine, vertical exaggeration, triangle budget)."""
    if not isinstance(engine, str) or engine not in ENGINES:
        raise UserError(f"unknown engine preset {engine!r}; choose one of {', '.join(ENGINES)}")
    exaggeration = check_number("vertical exaggeration", vertical_exaggeration, *EXAGGERATION_RANGE)
    triangles = check_whole_number("the triangle budget", max_triangles, MIN_TRIANGLES, MAX_TRIANGLES)
    return engine, exaggeration, triangles


def export_downloads(session: Session, result: Result, engine: object, vertical_exaggeration: object,
                     max_triangles: object) -> Downloads:
    """Export `result` once per (engine, exaggeration, budget) and keep the result in the session."""
    engine, vertical_exaggeration, max_triangles = check_options(engine, vertical_exaggeration, max_triangles)
    key = (result.number, engine, vertical_exaggeration, max_triangles)
    if key in session.exports:
        return session.exports[key]
    with session.use():
        folder = session.result_folder(result) / slug(f"{engine}_x{vertical_exaggeration:g}_{max_triangles}",
                                                      separator="_")
        height, width = result.terrain.elevation_m.shape
        full_grid_triangles = 2 * (height - 1) * (width - 1)
        exported = export_terrain(
            result.terrain.elevation_m, result.terrain.meters_per_pixel, folder / "files", DOWNLOAD_FORMATS,
            engine=engine, rgb=result.terrain.rgb,
            max_triangles=max_triangles if max_triangles < full_grid_triangles else None,
            vertical_exaggeration=vertical_exaggeration, provenance=result.terrain.provenance(),
            name=result.file_stem,
        )
        downloads = _package(exported, folder, result.file_stem, engine)
        if session.find(result.number) is not None:  # not dropped from the history meanwhile
            session.exports[key] = downloads
    return downloads


def _package(exported: ExportResult, folder: Path, stem: str, engine: str) -> Downloads:
    """Sidecar under the result's name, the OBJ with its material and texture in one zip, and the bundle."""
    if not any(f.format == "glb" for f in exported.files):
        raise UserError("the export wrote no GLB file")
    sidecar = atomic_write_with(folder / f"{stem}.json", lambda temporary: shutil.copyfile(exported.sidecar, temporary))
    obj_zip = _zip(folder / f"{stem}_obj.zip", [f.path for f in exported.files if f.format == "obj"])
    bundle = _zip(folder / f"{stem}_{engine}_bundle.zip",
                  [f.path for f in exported.files if f.role != "sidecar"] + [sidecar])
    return Downloads(exported, sidecar, obj_zip, bundle)


def _zip(path: Path, files: list[Path]) -> Path:
    def write(temporary: Path) -> None:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in files:
                archive.write(file, arcname=file.name)

    return atomic_write_with(path, write)
