"""Heightmap exporters: 16-bit PNG, RAW r16, float EXR, float TIFF and a tangent-space normal map.

Row 0 of every file is the north edge of the tile (the top of the colour image), column 0 the
west edge. Integer formats map min_m..max_m linearly onto 0..65535; float formats store metres.
Each writer takes a `HeightGrid` and a file stem and returns the `(path, role)` pairs it wrote.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mesa.geometry import grid_normals


@dataclass
class HeightGrid:
    """The elevation samples an engine preset asked for.

    Attributes:
        elevation_m: (H, W) float64 elevation in metres, row 0 north.
        spacing_x_m: distance between neighbouring columns, in metres.
        spacing_y_m: distance between neighbouring rows, in metres.
        vertical_exaggeration: applied to the normal map only (heightmaps store true metres).
        normal_convention: "opengl" (green = north, Unity/Godot/Blender) or "directx" (Unreal).
    """

    elevation_m: np.ndarray
    spacing_x_m: float
    spacing_y_m: float
    vertical_exaggeration: float = 1.0
    normal_convention: str = "opengl"

    @property
    def min_m(self) -> float:
        return float(self.elevation_m.min())

    @property
    def max_m(self) -> float:
        return float(self.elevation_m.max())


def quantize_uint16(elevation_m: np.ndarray, min_m: float, max_m: float) -> np.ndarray:
    """(H, W) uint16: min_m -> 0, max_m -> 65535, linear and rounded; all zeros when max_m == min_m."""
    span = max_m - min_m
    if span <= 0:
        return np.zeros(elevation_m.shape, dtype=np.uint16)
    scaled = np.subtract(elevation_m, min_m, dtype=np.float64)
    scaled *= 65535.0 / span
    return np.rint(scaled, out=scaled).astype(np.uint16)


def write_png16(grid: HeightGrid, stem: Path) -> list[tuple[Path, str]]:
    """Grayscale 16-bit PNG (Unreal, Unity via conversion, Godot, Blender displacement)."""
    from PIL import Image

    path = stem.with_name(stem.name + "_height.png")
    _save_png(Image.fromarray(quantize_uint16(grid.elevation_m, grid.min_m, grid.max_m), mode="I;16"), path)
    return [(path, "heightmap")]


def write_r16(grid: HeightGrid, stem: Path) -> list[tuple[Path, str]]:
    """Headerless little-endian uint16 RAW, row-major (Unreal and Unity 'RAW 16-bit, Windows')."""
    path = stem.with_name(stem.name + "_height.r16")
    path.write_bytes(memoryview(quantize_uint16(grid.elevation_m, grid.min_m, grid.max_m).astype("<u2", copy=False)))
    return [(path, "heightmap")]


def write_exr(grid: HeightGrid, stem: Path) -> list[tuple[Path, str]]:
    """OpenEXR, one 32-bit float channel "R" in metres (Terrain3D and HTerrain read the red channel)."""
    import OpenEXR

    path = stem.with_name(stem.name + "_height.exr")
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    channels = {"R": np.ascontiguousarray(grid.elevation_m, dtype=np.float32)}
    with OpenEXR.File(header, channels) as exr:
        exr.write(str(path))
    return [(path, "heightmap")]


def write_tif(grid: HeightGrid, stem: Path) -> list[tuple[Path, str]]:
    """Single-band 32-bit float TIFF in metres (GIS tools, Gaea, World Machine, Houdini)."""
    import tifffile

    path = stem.with_name(stem.name + "_height.tif")
    tifffile.imwrite(path, grid.elevation_m.astype(np.float32), compression="zlib")
    return [(path, "heightmap")]


def write_normal(grid: HeightGrid, stem: Path) -> list[tuple[Path, str]]:
    """8-bit RGB tangent-space normal map: tangent east, bitangent north (green flipped for DirectX)."""
    from PIL import Image

    path = stem.with_name(stem.name + "_normal.png")
    _save_png(Image.fromarray(encode_normals(grid)), path)
    return [(path, "normal_map")]


def encode_normals(grid: HeightGrid) -> np.ndarray:
    """(H, W, 3) uint8 normal map: component in [-1, 1] -> round((c + 1) * 127.5)."""
    normals = grid_normals(grid.elevation_m, grid.spacing_x_m, grid.vertical_exaggeration, grid.spacing_y_m)
    if grid.normal_convention == "directx":
        normals[..., 1] *= -1.0
    return np.rint((normals + 1.0) * 127.5).astype(np.uint8)


def _save_png(image, path: Path) -> None:
    """Save through a buffer so the format never depends on the (temporary) file name."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
