"""A solid base (skirt walls and a flat bottom) that closes a terrain mesh into a watertight solid."""

from __future__ import annotations

import numpy as np

from mesa.geometry.grid import TerrainMesh


def boundary_edges(faces: np.ndarray) -> np.ndarray:
    """(B, 2) directed edges used by exactly one triangle, in the direction that triangle runs them.

    Args:
        faces: (F, 3) int triangle vertex indices.
    """
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]], axis=0)
    undirected = np.sort(directed, axis=1)
    _, inverse, counts = np.unique(undirected, axis=0, return_inverse=True, return_counts=True)
    return directed[counts[inverse.ravel()] == 1]


def add_base(mesh: TerrainMesh, base_depth_m: float | None = None) -> TerrainMesh:
    """Close `mesh` with vertical walls down to a flat bottom; the result is watertight.

    Works on full and decimated terrain meshes alike because it only needs the open border,
    which must be the tile's rectangle (both keep it). The walls reuse the top border vertices;
    the bottom is a fan around the rectangle's centre, so no triangle is degenerate.

    Args:
        mesh: an open terrain mesh (Z up, metres).
        base_depth_m: distance from the lowest vertex down to the bottom, in metres; by default
            5 % of the relief, at least one grid spacing.

    Returns:
        A new `TerrainMesh` with the border copied down to the bottom plane, one centre vertex,
        two wall triangles per border edge and one bottom triangle per border edge.
    """
    z = mesh.vertices[:, 2]
    if base_depth_m is None:
        base_depth_m = max(0.05 * float(z.max() - z.min()), mesh.meters_per_pixel)
    if base_depth_m <= 0:
        raise ValueError(f"base_depth_m must be > 0, got {base_depth_m}")
    edges = boundary_edges(mesh.faces)
    border = np.unique(edges)
    count = len(mesh.vertices)
    bottom_of = np.full(count, -1, dtype=np.int64)
    bottom_of[border] = count + np.arange(len(border))
    bottom_z = z.min() - base_depth_m
    bottom = np.column_stack([mesh.vertices[border, :2], np.full(len(border), bottom_z)])
    centre_xy = (mesh.vertices[border, :2].min(axis=0) + mesh.vertices[border, :2].max(axis=0)) / 2
    centre_id = count + len(border)
    a, b = edges[:, 0], edges[:, 1]
    walls = np.concatenate([np.stack([b, a, bottom_of[a]], 1), np.stack([b, bottom_of[a], bottom_of[b]], 1)])
    floor = np.stack([bottom_of[b], bottom_of[a], np.full(len(edges), centre_id)], 1)
    new_uv = np.concatenate([mesh.uv[border], [[0.5, 0.5]]])
    down = np.tile([0.0, 0.0, -1.0], (len(border) + 1, 1))
    return TerrainMesh(
        vertices=np.concatenate([mesh.vertices, bottom, [[*centre_xy, bottom_z]]]),
        faces=np.concatenate([mesh.faces, walls, floor]),
        uv=np.concatenate([mesh.uv, new_uv]),
        normals=np.concatenate([mesh.normals, down]),
        grid_shape=mesh.grid_shape,
        meters_per_pixel=mesh.meters_per_pixel,
    )
