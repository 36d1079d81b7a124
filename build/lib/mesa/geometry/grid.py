"""Regular-grid triangle mesh of an elevation map, fully vectorised.

Axes (right-handed, Z up, metres): X east along image columns, Y north against image rows,
Z up. The south-west pixel (last row, first column) sits at X = Y = 0, so a tile of W columns
spans (W - 1) * meters_per_pixel between its first and last vertex.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class TerrainMesh:
    """A triangle mesh in metres with texture coordinates and smooth normals.

    Attributes:
        vertices: (N, 3) float64 positions in metres (X east, Y north, Z up).
        faces: (F, 3) int64 vertex indices, counter-clockwise seen from outside (+Z on top).
        uv: (N, 2) float64 texture coordinates, origin at the image's bottom-left (OpenGL).
        normals: (N, 3) float64 unit vertex normals.
        grid_shape: (H, W) of the elevation grid the mesh was built from.
        meters_per_pixel: ground spacing of that grid, in metres.
    """

    vertices: np.ndarray
    faces: np.ndarray
    uv: np.ndarray
    normals: np.ndarray
    grid_shape: tuple[int, int]
    meters_per_pixel: float

    @property
    def triangle_count(self) -> int:
        return int(len(self.faces))

    def to_trimesh(self, rgb: np.ndarray | None = None):
        """A `trimesh.Trimesh` (unprocessed: vertex order kept); textured when `rgb` (H, W, 3) is given."""
        import trimesh
        from PIL import Image

        visual = None
        if rgb is not None:
            material = trimesh.visual.material.PBRMaterial(
                name="terrain", baseColorTexture=Image.fromarray(rgb), metallicFactor=0.0, roughnessFactor=1.0
            )
            visual = trimesh.visual.TextureVisuals(uv=self.uv, material=material)
        return trimesh.Trimesh(
            vertices=self.vertices, faces=self.faces, vertex_normals=self.normals, visual=visual, process=False
        )


def grid_faces(height: int, width: int) -> np.ndarray:
    """(2 * (H-1) * (W-1), 3) int64 triangles of an H x W vertex grid, row-major vertex ids.

    Each cell is split along its bottom-left to top-right diagonal; both triangles are
    counter-clockwise seen from +Z (rows run south, so "bottom" is the higher row).
    """
    ids = np.arange(height * width, dtype=np.int64).reshape(height, width)
    top_left, top_right = ids[:-1, :-1].ravel(), ids[:-1, 1:].ravel()
    bottom_left, bottom_right = ids[1:, :-1].ravel(), ids[1:, 1:].ravel()
    lower = np.stack([bottom_left, bottom_right, top_right], axis=1)
    upper = np.stack([bottom_left, top_right, top_left], axis=1)
    return np.concatenate([lower, upper], axis=0)


def grid_normals(
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    vertical_exaggeration: float = 1.0,
    meters_per_row: float | None = None,
) -> np.ndarray:
    """(H, W, 3) float64 unit surface normals of a height field (central differences, one-sided at edges).

    Args:
        elevation_m: (H, W) elevation in metres.
        meters_per_pixel: column spacing in metres (and row spacing unless `meters_per_row` is given).
        vertical_exaggeration: factor applied to heights before differentiating.
        meters_per_row: row spacing in metres, for resampled non-square grids.
    """
    z = np.asarray(elevation_m, dtype=np.float64) * vertical_exaggeration
    row_spacing = meters_per_pixel if meters_per_row is None else meters_per_row
    dz_drow, dz_dcol = np.gradient(z, row_spacing, meters_per_pixel)
    # Y points north while rows run south, so dz/dY = -dz/drow.
    normals = np.stack([-dz_dcol, dz_drow, np.ones_like(z)], axis=-1)
    return normals / np.linalg.norm(normals, axis=-1, keepdims=True)


def pixel_uv(x_m: np.ndarray, y_m: np.ndarray, grid_shape: tuple[int, int], meters_per_pixel: float) -> np.ndarray:
    """(N, 2) texture coordinates of points (metres) so that each grid vertex samples its own pixel's centre.

    Args:
        x_m, y_m: (N,) positions in metres in the mesh frame.
        grid_shape: (H, W) of the image.
        meters_per_pixel: grid spacing in metres.
    """
    height, width = grid_shape
    column = x_m / meters_per_pixel
    row = (height - 1) - y_m / meters_per_pixel
    return np.stack([(column + 0.5) / width, 1.0 - (row + 0.5) / height], axis=1)


def build_grid_mesh(
    elevation_m: np.ndarray, meters_per_pixel: float, vertical_exaggeration: float = 1.0
) -> TerrainMesh:
    """One vertex per pixel, two triangles per grid cell.

    Args:
        elevation_m: (H, W) finite elevation in metres, H, W >= 2.
        meters_per_pixel: grid spacing in metres (> 0).
        vertical_exaggeration: factor applied to Z only.

    Returns:
        A `TerrainMesh` with H * W vertices and 2 * (H-1) * (W-1) triangles.
    """
    height, width = elevation_m.shape
    rows, columns = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    x_m = columns.ravel() * float(meters_per_pixel)
    y_m = (height - 1 - rows.ravel()) * float(meters_per_pixel)
    z_m = np.asarray(elevation_m, dtype=np.float64).ravel() * vertical_exaggeration
    return TerrainMesh(
        vertices=np.stack([x_m, y_m, z_m], axis=1),
        faces=grid_faces(height, width),
        uv=pixel_uv(x_m, y_m, (height, width), meters_per_pixel),
        normals=grid_normals(elevation_m, meters_per_pixel, vertical_exaggeration).reshape(-1, 3),
        grid_shape=(height, width),
        meters_per_pixel=float(meters_per_pixel),
    )
