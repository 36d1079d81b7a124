"""Downloads for one result: GLB, OBJ zip, heightmaps with an engine preset, normal map, sidecar
JSON and one export-bundle zip, written into the session's temporary folder."""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mesa.errors import UserError
from mesa.export import ENGINES, ExportResult, export_terrain
from mesa.naming import slug
from ui.session import Result, Session

DOWNLOAD_FORMATS = ("glb", "obj", "png16", "r16", "exr", "normal")
ENGINE_LABELS = {"none": "None (metres, any size)", "unreal": "Unreal Engine", "unity": "Unity", "godot": "Godot"}
DEFAULT_TRIANGLES = 200_000
MAX_TRIANGLES = 2_000_000


@dataclass(frozen=True)
class Downloads:
    """What one export produced: the GLB for the 3D viewer and the files for the download list
    (GLB, OBJ zip, heightmaps, normal map, sidecar JSON, bundle zip)."""

    glb: Path
    sidecar: Path
    files: list[Path]
    summary: str


def check_options(engine: str, vertical_exaggeration: float, max_triangles: float) -> tuple[str, float, int]:
    """Validated (engine, vertical exaggeration, triangle budget)."""
    if engine not in ENGINES:
        raise UserError(f"unknown engine preset {engine!r}; choose one of {', '.join(ENGINES)}")
    if vertical_exaggeration is None or not 0 < float(vertical_exaggeration) <= 20:
        raise UserError(f"vertical exaggeration must be above 0 and at most 20, got {vertical_exaggeration}")
    if max_triangles is None or not 1_000 <= int(max_triangles) <= MAX_TRIANGLES:
        raise UserError(f"the triangle budget must be from 1,000 to {MAX_TRIANGLES:,}, got {max_triangles}")
    return engine, float(vertical_exaggeration), int(max_triangles)


def export_downloads(session: Session, result: Result, engine: str, vertical_exaggeration: float,
                     max_triangles: int) -> Downloads:
    """Export `result` (cached per engine, exaggeration and budget) and zip the OBJ and the bundle."""
    engine, vertical_exaggeration, max_triangles = check_options(engine, vertical_exaggeration, max_triangles)
    folder = session.result_folder(result) / slug(f"{engine}_x{vertical_exaggeration:g}_{max_triangles}", separator="_")
    stem = result.file_stem
    bundle = folder / f"{stem}_{engine}_bundle.zip"
    if not bundle.is_file():
        height, width = result.terrain.elevation_m.shape
        full_grid_triangles = 2 * (height - 1) * (width - 1)
        exported = export_terrain(
            result.terrain.elevation_m, result.terrain.meters_per_pixel, folder / "files", DOWNLOAD_FORMATS,
            engine=engine, rgb=result.terrain.rgb,
            max_triangles=max_triangles if max_triangles < full_grid_triangles else None,
            vertical_exaggeration=vertical_exaggeration, provenance=result.terrain.provenance(), name=stem,
        )
        _package(exported, folder, stem, bundle)
    return _listing(folder, stem, bundle, engine)


def _package(exported: ExportResult, folder: Path, stem: str, bundle: Path) -> None:
    """Sidecar under the result's name, the OBJ with its material and texture in one zip, and the bundle."""
    shutil.copyfile(exported.sidecar, folder / f"{stem}.json")
    obj_parts = [f.path for f in exported.files if f.format == "obj"]
    _zip(folder / f"{stem}_obj.zip", obj_parts)
    _zip(bundle, [f.path for f in exported.files if f.role != "sidecar"] + [folder / f"{stem}.json"])


def _zip(path: Path, files: list[Path]) -> None:
    partial = path.with_name(path.name + ".part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, arcname=file.name)
    partial.replace(path)


def _listing(folder: Path, stem: str, bundle: Path, engine: str) -> Downloads:
    files_dir = folder / "files"
    glb = files_dir / f"{stem}.glb"
    heightmaps = [files_dir / f"{stem}_height.{ext}" for ext in ("png", "r16", "exr")]
    files = [glb, folder / f"{stem}_obj.zip", *heightmaps, files_dir / f"{stem}_normal.png",
             folder / f"{stem}.json", bundle]
    missing = [p.name for p in files if not p.is_file()]
    if missing:
        raise UserError(f"the export did not produce {', '.join(missing)}")
    summary = f"Engine preset: **{ENGINE_LABELS[engine]}** — import settings are in `{stem}.json`."
    return Downloads(glb, folder / f"{stem}.json", files, summary)
