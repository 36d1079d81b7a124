"""Quadric-error decimation of a terrain mesh that keeps every border vertex where it was."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesa.geometry.grid import TerrainMesh, grid_normals, pixel_uv
from mesa.geometry.rasterize import rasterize_heights

_MAX_PASSES = 4


@dataclass
class DecimationResult:
    """A decimated mesh and how far it strays from the full grid.

    Attributes:
        mesh: the decimated `TerrainMesh` (border vertices identical to the input's).
        target_triangles: the budget that was asked for.
        triangle_count: triangles actually kept (<= target_triangles).
        max_height_error_m: largest vertical gap, in metres, between the decimated surface and
            the input mesh, measured at every grid vertex.
    """

    mesh: TerrainMesh
    target_triangles: int
    triangle_count: int
    max_height_error_m: float


def decimate_mesh(mesh: TerrainMesh, max_triangles: int, aggressiveness: float = 7.0) -> DecimationResult:
    """Reduce `mesh` to at most `max_triangles` with fast-simplification's quadric error metric.

    Edges touching the open border are never collapsed, so the tile's outline and the heights along
    it stay exactly those of the grid and neighbouring tiles still meet. UVs are recomputed from the
    new XY positions and normals resampled from the full-resolution height field, so texture and
    shading stay put.

    Args:
        mesh: a grid mesh from `build_grid_mesh`.
        max_triangles: triangle budget; must leave room for the border, about 2 * (H + W) triangles.
        aggressiveness: fast-simplification's `agg` (lower is slower and more careful).
    """
    import fast_simplification

    height, width = mesh.grid_shape
    if len(mesh.vertices) != height * width:
        raise ValueError("decimate_mesh expects a full grid mesh from build_grid_mesh")
    minimum = 2 * (height + width)
    if max_triangles < minimum:
        raise ValueError(f"max_triangles={max_triangles} is too few to keep a {width}x{height} tile's border; use >= {minimum}")
    if max_triangles >= mesh.triangle_count:
        return DecimationResult(mesh, max_triangles, mesh.triangle_count, 0.0)
    points, faces = mesh.vertices, mesh.faces
    # one pass may stop short of large reductions (it has a fixed number of iterations); resume it
    for _ in range(_MAX_PASSES):
        before = len(faces)
        points, faces = fast_simplification.simplify(
            points, faces, target_count=max_triangles, agg=aggressiveness, preserve_border=True
        )
        if len(faces) <= max_triangles or len(faces) == before:
            break
    faces = faces.astype(np.int64)
    if len(faces) > max_triangles:
        raise RuntimeError(f"decimation kept {len(faces)} triangles, more than the budget of {max_triangles}")
    decimated = TerrainMesh(
        vertices=points,
        faces=faces,
        uv=pixel_uv(points[:, 0], points[:, 1], mesh.grid_shape, mesh.meters_per_pixel),
        normals=_resample_normals(mesh, points),
        grid_shape=mesh.grid_shape,
        meters_per_pixel=mesh.meters_per_pixel,
    )
    return DecimationResult(decimated, max_triangles, len(faces), max_height_error(mesh, decimated))


def max_height_error(reference: TerrainMesh, candidate: TerrainMesh) -> float:
    """Largest |dz| in metres between a full grid mesh and another mesh of it, at every grid vertex."""
    reference_z = reference.vertices[:, 2].reshape(reference.grid_shape)
    candidate_z = rasterize_heights(candidate.vertices, candidate.faces, candidate.grid_shape, candidate.meters_per_pixel)
    return float(np.nanmax(np.abs(candidate_z - reference_z)))


def _resample_normals(mesh: TerrainMesh, points: np.ndarray) -> np.ndarray:
    """(N, 3) unit normals of the full grid, bilinearly interpolated at `points` (metres)."""
    from scipy import ndimage

    height, width = mesh.grid_shape
    exaggerated = mesh.vertices[:, 2].reshape(height, width)
    normal_grid = grid_normals(exaggerated, mesh.meters_per_pixel)
    coordinates = [(height - 1) - points[:, 1] / mesh.meters_per_pixel, points[:, 0] / mesh.meters_per_pixel]
    normals = np.stack(
        [ndimage.map_coordinates(normal_grid[..., k], coordinates, order=1, mode="nearest") for k in range(3)], axis=1
    )
    return normals / np.linalg.norm(normals, axis=1, keepdims=True)
