"""Exports: meshes (GLB, glTF, OBJ), heightmaps (PNG16, r16, EXR, TIFF, normal map), engine presets
and the terrain.json sidecar, written as one folder that appears whole or not at all. Heavy
libraries are imported inside the writers."""

from mesa.export.engines import ENGINES, EngineSettings
from mesa.export.exporter import (ExportedFile, ExportRequest, ExportResult, ExtraFile, MeshStats,
                                  check_export_request, check_export_settings, export_terrain)
from mesa.export.memory import ExportMemory, estimate_export_memory
from mesa.export.readers import inspect_elevation, read_elevation, read_rgb
from mesa.export.registry import FORMATS, ExportFormat, parse_formats

__all__ = [
    "ENGINES",
    "FORMATS",
    "EngineSettings",
    "ExportFormat",
    "ExportMemory",
    "ExportRequest",
    "ExportResult",
    "ExportedFile",
    "ExtraFile",
    "MeshStats",
    "check_export_request",
    "check_export_settings",
    "estimate_export_memory",
    "export_terrain",
    "inspect_elevation",
    "parse_formats",
    "read_elevation",
    "read_rgb",
]
