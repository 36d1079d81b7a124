"""Exports: meshes (GLB, glTF, OBJ), heightmaps (PNG16, r16, EXR, TIFF, normal map), engine presets
and the terrain.json sidecar. Heavy libraries are imported inside the writers."""

from mesa.export.engines import ENGINES, EngineSettings
from mesa.export.exporter import ExportedFile, ExportResult, MeshStats, export_terrain
from mesa.export.readers import read_elevation, read_rgb
from mesa.export.registry import FORMATS, ExportFormat, parse_formats

__all__ = [
    "ENGINES",
    "FORMATS",
    "EngineSettings",
    "ExportFormat",
    "ExportResult",
    "ExportedFile",
    "MeshStats",
    "export_terrain",
    "parse_formats",
    "read_elevation",
    "read_rgb",
]
