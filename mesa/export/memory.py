"""Peak memory of an export, estimated before any work from its pixels, triangles and formats.

The export runs in phases that free their temporaries before the next one starts: validation,
engine resampling, meshing, decimation, the solid base, then one writer after another, then the
sidecar's statistics. Its peak is what stays alive (the float64 elevation, the engine grid, the
mesh) plus the largest phase. Each coefficient below is a peak measured with
`python -m benchmarks.bench_geometry --memory` (resident memory of a fresh process, 512 to 2048 px
tiles) rounded up by about a fifth; that script prints measured peak, estimate and their ratio for
every format so the upper bound can be re-checked whenever a writer changes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from mesa.limits import LIMIT_ENV, check_memory, format_bytes, memory_budget_bytes

MB = 1024**2
FIXED_BYTES = 64 * MB  # the heightmap writers' libraries (imported on first use), buffers, Python objects
MESH_LIBRARIES_BYTES = 64 * MB  # trimesh, fast-simplification and scipy, when a mesh is written
INPUT_PER_PIXEL = 9  # float64 copy of the elevation + its finiteness mask
ENGINE_GRID_PER_PIXEL = 8  # the resampled float64 heightmap grid (engine presets only)
RESAMPLE_PER_PIXEL = 40  # coordinates and output of the corner-aligned resampling
MESH_PER_VERTEX = 112  # vertices 24 + faces 48 (two triangles) + uv 16 + normals 24 bytes
MESH_BUILD_PER_PIXEL = 260  # the grid mesh and its temporaries (normals, index grids)
DECIMATE_PER_PIXEL = 840  # fast-simplification's copy of the grid, the error rasterisation, normals
DECIMATE_FIXED_BYTES = 96 * MB  # rasterisation chunks (a million triangle-pixel pairs at a time)
BASE_PER_VERTEX = 780  # border edges (a sort over every triangle edge) and the concatenated copy
STATISTICS_PER_PIXEL = 9  # sorted copy for p2/p98 and a comparison mask
HEIGHTMAP_WRITER_PER_PIXEL = {"png16": 20, "r16": 20, "exr": 16, "tif": 16, "normal": 110}
MESH_WRITER_PER_VERTEX = {"glb": 300, "gltf": 440, "obj": 80}
MESH_WRITER_FIXED_BYTES = {"glb": 0, "gltf": 0, "obj": 40 * MB}  # OBJ formats 65,536 rows at a time
TEXTURE_PER_PIXEL = 12  # the colour image as a PIL image and as PNG bytes


@dataclass(frozen=True)
class ExportMemory:
    """An export's estimated peak memory and the sizes it came from.

    Attributes:
        peak_bytes: upper bound of the extra resident memory the export needs.
        pixels: input elevation samples (H * W).
        engine_pixels: samples of the engine-resampled heightmaps (equal to `pixels` without a preset).
        mesh_vertices: vertices of the mesh files (0 without mesh formats).
        without_meshes_bytes: the peak of the same export without its mesh formats.
    """

    peak_bytes: int
    pixels: int
    engine_pixels: int
    mesh_vertices: int
    without_meshes_bytes: int


def estimate_export_memory(
    shape: tuple[int, int],
    formats: Iterable[str],
    engine_shape: tuple[int, int],
    max_triangles: int | None = None,
    base: bool = False,
    has_rgb: bool = False,
) -> ExportMemory:
    """Upper bound of `export_terrain`'s peak memory.

    Args:
        shape: (H, W) of the elevation map.
        formats: validated format names (see `mesa.export.registry.FORMATS`).
        engine_shape: (H, W) of the heightmaps after the engine preset's resampling.
        max_triangles: decimation budget, or None for the full grid.
        base: whether a solid base is added.
        has_rgb: whether a colour image textures the meshes.
    """
    formats = tuple(formats)
    height, width = shape
    pixels, engine_pixels = height * width, engine_shape[0] * engine_shape[1]
    resampled = engine_shape != tuple(shape)
    alive = FIXED_BYTES + INPUT_PER_PIXEL * pixels + (ENGINE_GRID_PER_PIXEL * engine_pixels if resampled else 0)
    phases = [RESAMPLE_PER_PIXEL * engine_pixels if resampled else 0]
    meshes = [name for name in formats if name in MESH_WRITER_PER_VERTEX]
    vertices = 0
    if meshes:
        alive += MESH_LIBRARIES_BYTES
        full_triangles = 2 * (height - 1) * (width - 1)
        vertices = pixels
        phases.append(MESH_BUILD_PER_PIXEL * pixels)
        if max_triangles is not None and max_triangles < full_triangles:
            vertices = min(pixels, max_triangles // 2 + height + width)
            full_and_decimated = MESH_PER_VERTEX * (pixels + vertices)
            phases.append(full_and_decimated + DECIMATE_PER_PIXEL * pixels + DECIMATE_FIXED_BYTES)
        if base:
            phases.append((MESH_PER_VERTEX + BASE_PER_VERTEX) * vertices)
            vertices += 2 * (height + width)
    mesh_alive = MESH_PER_VERTEX * vertices
    for name in formats:
        if name in HEIGHTMAP_WRITER_PER_PIXEL:
            phases.append(mesh_alive + HEIGHTMAP_WRITER_PER_PIXEL[name] * engine_pixels)
        elif name in MESH_WRITER_PER_VERTEX:
            texture = TEXTURE_PER_PIXEL * pixels if has_rgb else 0
            writer = MESH_WRITER_PER_VERTEX[name] * vertices + MESH_WRITER_FIXED_BYTES[name]
            phases.append(mesh_alive + writer + texture)
    phases.append(mesh_alive + STATISTICS_PER_PIXEL * pixels)
    without_meshes = alive + max([phases[0], STATISTICS_PER_PIXEL * pixels] +
                                 [HEIGHTMAP_WRITER_PER_PIXEL[n] * engine_pixels for n in formats if n not in meshes])
    return ExportMemory(int(alive + max(phases)), pixels, engine_pixels, vertices, int(without_meshes))


def check_export_memory(memory: ExportMemory, shape: tuple[int, int], formats: Iterable[str],
                        extra_bytes: int = 0) -> None:
    """UserError naming the export, its estimate, the budget and what to change when it cannot fit.

    Args:
        memory: the export's estimate.
        shape: (H, W) of the elevation map, for the message.
        formats: the format names, for the message.
        extra_bytes: what the caller needs beside the export (e.g. reading the input file).
    """
    budget = memory_budget_bytes()
    needed = memory.peak_bytes + extra_bytes
    if needed <= budget:
        return
    formats = tuple(formats)
    height, width = shape
    what = f"exporting a {width:,} x {height:,} px elevation map to {','.join(formats)}"
    if memory.mesh_vertices:
        what += f" ({memory.mesh_vertices:,} mesh vertices)"
    fixed = FIXED_BYTES + (MESH_LIBRARIES_BYTES if memory.mesh_vertices else 0)
    side = math.isqrt(max(budget - fixed, 0) * memory.pixels // max(needed - fixed, 1))
    hint = f"export a smaller area (about {side:,} x {side:,} px fit with these formats)"
    heightmaps = [name for name in formats if name in HEIGHTMAP_WRITER_PER_PIXEL]
    if memory.mesh_vertices and heightmaps and memory.without_meshes_bytes + extra_bytes <= budget:
        hint += (f", or leave out the mesh formats (the heightmaps alone need about "
                 f"{format_bytes(memory.without_meshes_bytes + extra_bytes)})")
    check_memory(needed, what, f"{hint}; {LIMIT_ENV} sets the budget explicitly", budget)
