"""Sample a (possibly decimated) terrain mesh back onto its pixel grid, to measure height error."""

from __future__ import annotations

import numpy as np

_PAIRS_PER_CHUNK = 1_000_000


def rasterize_heights(
    vertices: np.ndarray, faces: np.ndarray, grid_shape: tuple[int, int], meters_per_pixel: float
) -> np.ndarray:
    """Height of the mesh surface above every grid vertex, by barycentric interpolation.

    Args:
        vertices: (N, 3) positions in metres in the `build_grid_mesh` frame (X east, Y north).
        faces: (F, 3) triangle vertex indices.
        grid_shape: (H, W) of the grid to sample.
        meters_per_pixel: grid spacing in metres.

    Returns:
        (H, W) float64 heights in metres; NaN where no triangle covers a grid vertex.
    """
    height, width = grid_shape
    columns = vertices[:, 0] / meters_per_pixel
    rows = (height - 1) - vertices[:, 1] / meters_per_pixel
    corners = np.stack([columns[faces], rows[faces], vertices[faces, 2]], axis=-1)  # (F, 3 corners, 3)
    low = np.clip(np.ceil(corners[:, :, :2].min(axis=1) - 1e-6), 0, [width - 1, height - 1]).astype(np.int64)
    high = np.clip(np.floor(corners[:, :, :2].max(axis=1) + 1e-6), 0, [width - 1, height - 1]).astype(np.int64)
    box = np.maximum(high - low + 1, 0)
    counts = box[:, 0] * box[:, 1]
    out = np.full(grid_shape, np.nan)
    bounds = np.searchsorted(np.cumsum(counts), np.arange(_PAIRS_PER_CHUNK, counts.sum(), _PAIRS_PER_CHUNK))
    for chunk in np.split(np.arange(len(faces)), bounds):
        _fill_chunk(out, corners[chunk], low[chunk], box[chunk], counts[chunk])
    return out


def _fill_chunk(out: np.ndarray, corners: np.ndarray, low: np.ndarray, box: np.ndarray, counts: np.ndarray) -> None:
    """Write the interpolated heights of the candidate pixels inside each triangle of one chunk into `out`."""
    triangle = np.repeat(np.arange(len(counts)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    column = low[triangle, 0] + offset % box[triangle, 0]
    row = low[triangle, 1] + offset // box[triangle, 0]
    a, b, c = corners[triangle, 0], corners[triangle, 1], corners[triangle, 2]
    denominator = (b[:, 1] - c[:, 1]) * (a[:, 0] - c[:, 0]) + (c[:, 0] - b[:, 0]) * (a[:, 1] - c[:, 1])
    valid = np.abs(denominator) > 1e-12
    denominator = np.where(valid, denominator, 1.0)
    wa = ((b[:, 1] - c[:, 1]) * (column - c[:, 0]) + (c[:, 0] - b[:, 0]) * (row - c[:, 1])) / denominator
    wb = ((c[:, 1] - a[:, 1]) * (column - c[:, 0]) + (a[:, 0] - c[:, 0]) * (row - c[:, 1])) / denominator
    wc = 1.0 - wa - wb
    inside = valid & (wa >= -1e-9) & (wb >= -1e-9) & (wc >= -1e-9)
    z = wa * a[:, 2] + wb * b[:, 2] + wc * c[:, 2]
    out[row[inside], column[inside]] = z[inside]
