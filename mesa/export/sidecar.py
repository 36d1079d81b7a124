"""The `terrain.json` sidecar: the scale, extent, height ranges and provenance that RAW and PNG
files cannot carry, and the list of every file in the export folder.

Version 2 states each file's own value range next to it (resized engine heightmaps span their
own min..max, not the source's), one extent figure, and the height statistics an app shows.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from mesa.export.destination import SIDECAR_NAME
from mesa.export.engines import EngineSettings
from mesa.export.heightmap_formats import HeightGrid
from mesa.geometry.relief import HeightRange

SIDECAR_VERSION = 2
AXES = {
    "heightmaps": "row 0 = north edge, column 0 = west edge; each file's value range is in its own files[] entry",
    "meshes": "metres, Y up: x = east, y = up, z = south; origin at the south-west corner at elevation 0",
    "extent_m": "[east-west, north-south] distance between the first and last sample: the mesh's size, and "
                "(samples - 1) x spacing_m of every heightmap",
}
UINT16_DECODE = "metres = range_m[0] + value * (range_m[1] - range_m[0]) / 65535"


def heightmap_entry(format_name: str, grid: HeightGrid) -> dict:
    """What a reader of one heightmap-kind file needs: its size, spacing and value encoding."""
    rows, columns = grid.elevation_m.shape
    entry = {"width": columns, "height": rows, "spacing_m": [grid.spacing_x_m, grid.spacing_y_m]}
    if format_name in ("png16", "r16"):
        byte_order = ", little-endian" if format_name == "r16" else ""
        return {**entry, "encoding": f"uint16{byte_order}", "range_m": [grid.min_m, grid.max_m],
                "decode": UINT16_DECODE}
    if format_name == "normal":
        return {**entry, "encoding": "uint8 RGB tangent-space normal, (n + 1) * 127.5",
                "convention": grid.normal_convention, "vertical_exaggeration": grid.vertical_exaggeration}
    return {**entry, "encoding": "float32 metres", "range_m": [grid.min_m, grid.max_m]}


def mesh_entry(role: str, vertical_exaggeration: float, extent_m: list[float]) -> dict:
    """What a reader of a mesh file needs (materials and textures need nothing more than their role)."""
    if role != "mesh":
        return {}
    return {"units": "metres", "vertical_exaggeration": vertical_exaggeration, "extent_m": extent_m}


def sidecar_document(
    width: int,
    height: int,
    heights: HeightRange,
    meters_per_pixel: float,
    files: list[dict],
    engine: EngineSettings,
    mesh: dict | None,
    provenance: dict | None,
) -> dict:
    """The JSON-ready sidecar content.

    Args:
        width, height: samples of the source elevation map.
        heights: its height statistics (full min..max, p2..p98, outliers).
        meters_per_pixel: its ground spacing.
        files: one dict per written file: "path" (relative to the sidecar), "role", "format" and
            the format's own details (size, spacing, value range).
        engine: the engine preset's settings.
        mesh: `MeshStats` fields, or None without mesh files.
        provenance: how the terrain was made.
    """
    return {
        "sidecar_version": SIDECAR_VERSION,
        "width": width,
        "height": height,
        "meters_per_pixel": meters_per_pixel,
        "extent_m": extent_of(width, height, meters_per_pixel),
        "elevation": heights.to_json(),
        "axes": AXES,
        "files": files,
        "engine": asdict(engine),
        "mesh": mesh,
        "provenance": provenance or {},
    }


def extent_of(width: int, height: int, meters_per_pixel: float) -> list[float]:
    """[east-west, north-south] metres between the first and last sample of a width x height map."""
    return [(width - 1) * meters_per_pixel, (height - 1) * meters_per_pixel]


def write_sidecar(document: dict, folder: Path) -> Path:
    """Write `document` as indented UTF-8 JSON to folder / terrain.json and return the path."""
    path = folder / SIDECAR_NAME
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path
