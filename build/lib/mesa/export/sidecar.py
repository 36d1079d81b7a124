"""The `terrain.json` sidecar: the scale, extent and provenance that RAW and PNG files cannot carry."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from mesa.export.engines import EngineSettings

SIDECAR_NAME = "terrain.json"
AXES = {
    "heightmaps": "row 0 = north edge, column 0 = west edge; 16-bit value 0 = min_m, 65535 = max_m",
    "meshes": "metres, Y up: x = east, y = up, z = south; origin at the south-west corner at elevation 0",
}


def sidecar_document(
    width: int,
    height: int,
    min_m: float,
    max_m: float,
    meters_per_pixel: float,
    files: list[dict],
    engine: EngineSettings,
    mesh: dict | None,
    provenance: dict | None,
) -> dict:
    """The JSON-ready sidecar content; `files` holds {"path", "role", "format"} with paths relative to it."""
    return {
        "width": width,
        "height": height,
        "min_m": min_m,
        "max_m": max_m,
        "meters_per_pixel": meters_per_pixel,
        "extent_m": [(width - 1) * meters_per_pixel, (height - 1) * meters_per_pixel],
        "axes": AXES,
        "files": files,
        "engine": asdict(engine),
        "mesh": mesh,
        "provenance": provenance or {},
    }


def write_sidecar(document: dict, folder: Path) -> Path:
    """Write `document` as indented UTF-8 JSON to folder / terrain.json and return the path."""
    path = folder / SIDECAR_NAME
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path
