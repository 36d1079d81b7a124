"""Mesh exporters: GLB, glTF (embedded) and OBJ + MTL + texture. One function per format.

Every mesh file is Y up (glTF's convention, also what Blender, Unity and Godot assume for OBJ):
file (x, y, z) = terrain (east, up, -north), in metres. Each writer takes the mesh, an optional
(H, W, 3) uint8 colour image and a file stem, writes into the stem's folder and returns the
`(path, role)` pairs it wrote.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from mesa.geometry import TerrainMesh

OBJ_ROWS_PER_CHUNK = 65_536  # rows formatted at once: bounds the OBJ writer's memory


def to_y_up(mesh: TerrainMesh) -> TerrainMesh:
    """The same mesh with positions and normals rotated from Z up to Y up (north becomes -z)."""
    return TerrainMesh(
        vertices=_rotate_to_y_up(mesh.vertices),
        faces=mesh.faces,
        uv=mesh.uv,
        normals=_rotate_to_y_up(mesh.normals),
        grid_shape=mesh.grid_shape,
        meters_per_pixel=mesh.meters_per_pixel,
    )


def write_glb(mesh: TerrainMesh, rgb: np.ndarray | None, stem: Path) -> list[tuple[Path, str]]:
    """Binary glTF: one PBR material whose base colour texture is `rgb`, embedded as PNG."""
    import trimesh

    path = stem.with_suffix(".glb")
    data = trimesh.exchange.gltf.export_glb(to_y_up(mesh).to_trimesh(rgb), include_normals=True)
    path.write_bytes(data)
    return [(path, "mesh")]


def write_gltf(mesh: TerrainMesh, rgb: np.ndarray | None, stem: Path) -> list[tuple[Path, str]]:
    """Single-file text glTF: buffers and the PNG texture embedded as data URIs."""
    import trimesh

    path = stem.with_suffix(".gltf")
    files = trimesh.exchange.gltf.export_gltf(to_y_up(mesh).to_trimesh(rgb), include_normals=True, embed_buffers=True)
    path.write_bytes(files["model.gltf"])
    return [(path, "mesh")]


def write_obj(mesh: TerrainMesh, rgb: np.ndarray | None, stem: Path) -> list[tuple[Path, str]]:
    """Wavefront OBJ with UVs and normals, its MTL and (with `rgb`) the texture as PNG beside it."""
    from PIL import Image

    obj_path, mtl_path = stem.with_suffix(".obj"), stem.with_suffix(".mtl")
    texture_path = stem.with_name(stem.name + "_albedo.png")
    y_up = to_y_up(mesh)
    with open(obj_path, "w", encoding="ascii") as handle:
        handle.write(f"mtllib {mtl_path.name}\no terrain\n")
        _write_rows(handle, "v %.4f %.4f %.4f\n", y_up.vertices)
        _write_rows(handle, "vt %.6f %.6f\n", y_up.uv)
        _write_rows(handle, "vn %.5f %.5f %.5f\n", y_up.normals)
        handle.write("usemtl terrain\n")
        _write_rows(handle, "f %d/%d/%d %d/%d/%d %d/%d/%d\n", y_up.faces + 1, repeat=3)
    material = "newmtl terrain\nKa 0 0 0\nKd 1 1 1\nKs 0 0 0\nillum 1\n"
    written = [(obj_path, "mesh"), (mtl_path, "material")]
    if rgb is not None:
        material += f"map_Kd {texture_path.name}\n"
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="PNG")
        texture_path.write_bytes(buffer.getvalue())
        written.append((texture_path, "texture"))
    mtl_path.write_text(material)
    return written


def _rotate_to_y_up(xyz: np.ndarray) -> np.ndarray:
    """(N, 3) terrain frame (X east, Y north, Z up) -> Y-up file frame (x east, y up, z south)."""
    return np.column_stack([xyz[:, 0], xyz[:, 2], -xyz[:, 1]])


def _write_rows(handle, row_format: str, values: np.ndarray, repeat: int = 1) -> None:
    """Write a printf format for every row of a 2-D array, `OBJ_ROWS_PER_CHUNK` rows per formatting call,
    so the text never exists whole in memory. `repeat` repeats each value (OBJ's v/vt/vn index triples)."""
    for start in range(0, len(values), OBJ_ROWS_PER_CHUNK):
        chunk = values[start : start + OBJ_ROWS_PER_CHUNK]
        if repeat > 1:
            chunk = np.repeat(chunk, repeat, axis=1)
        handle.write((row_format * len(chunk)) % tuple(chunk.ravel().tolist()))
