"""The registry of export formats: one name, one kind, one writer function each."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mesa.errors import UserError
from mesa.export import heightmap_formats, mesh_formats


@dataclass(frozen=True)
class ExportFormat:
    """One export format.

    Attributes:
        name: the name used on the command line and in `export_terrain(formats=...)`.
        kind: "mesh" (writer takes `(TerrainMesh, rgb, stem)`) or "heightmap" (`(HeightGrid, stem)`).
        write: the writer; returns the `(path, role)` pairs it wrote.
        description: one line for --help and the docs.
    """

    name: str
    kind: str
    write: Callable
    description: str


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("glb", "mesh", mesh_formats.write_glb, "binary glTF, PBR material, embedded PNG texture"),
        ExportFormat("gltf", "mesh", mesh_formats.write_gltf, "single-file glTF with embedded buffers and texture"),
        ExportFormat("obj", "mesh", mesh_formats.write_obj, "OBJ + MTL + PNG texture"),
        ExportFormat("png16", "heightmap", heightmap_formats.write_png16, "16-bit grayscale PNG, min..max -> 0..65535"),
        ExportFormat("r16", "heightmap", heightmap_formats.write_r16, "RAW 16-bit little-endian (Unreal, Unity)"),
        ExportFormat("exr", "heightmap", heightmap_formats.write_exr, "32-bit float OpenEXR in metres"),
        ExportFormat("tif", "heightmap", heightmap_formats.write_tif, "32-bit float TIFF in metres"),
        ExportFormat("normal", "heightmap", heightmap_formats.write_normal, "tangent-space normal map PNG"),
    )
}


def parse_formats(formats: str | Iterable[str]) -> tuple[str, ...]:
    """Validated, de-duplicated format names from "glb,r16" or an iterable; UserError on unknown names."""
    names = formats.split(",") if isinstance(formats, str) else list(formats)
    names = [name.strip().lower() for name in names if name.strip()]
    unknown = [name for name in names if name not in FORMATS]
    if unknown:
        raise UserError(f"unknown export format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(names))
