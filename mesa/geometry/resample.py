"""Bilinear resampling of maps over a tile onto another grid over the same ground.

One implementation for every map an export writes - heightmaps, masks, material weights - so they
line up sample by sample. Two sample layouts cover the engines:

* vertex-aligned (heightmaps, Unreal landscape layers, Terrain3D control maps, masks): output
  sample j sits on input position j * (W - 1) / (width - 1), so the first and last samples land
  on the tile's corners and the tile keeps its extent;
* texel-centred (Unity alphamaps, textures stretched over the terrain): texel j covers
  [j, j + 1] / width of the tile, its centre on input position (j + 0.5) * (W - 1) / width.

Bilinear weights are a convex combination of neighbours, so the output never leaves the input's
min..max and maps that sum to 1 over a stack still do.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from mesa.errors import UserError


def resample_bilinear(
    values: np.ndarray,
    height: int,
    width: int,
    texel_centres: bool = False,
    dtype: type | np.dtype = np.float64,
    rows: tuple[int, int] | None = None,
) -> np.ndarray:
    """(height, width) or (C, height, width) bilinear resample of (H, W) or (C, H, W) maps.

    Args:
        values: one map (H, W) or a stack (C, H, W) over the tile, row 0 north.
        height, width: output size; >= 2 each vertex-aligned, >= 1 texel-centred.
        texel_centres: texel-centred layout (Unity alphamaps) instead of vertex-aligned.
        dtype: output element type (float64 for heightmaps, float32 for weights and masks).
        rows: (first, stop): only these rows of the full (height, width) result, so a writer can
            work block by block in bounded memory; None: all rows.
    Returns:
        The resampled map(s) as `dtype`; a vertex-aligned resample to the input's own size is the input
        itself when it already has `dtype` (never written to by callers).
    """
    values = np.asarray(values)
    stack = values[None] if values.ndim == 2 else values
    in_height, in_width = stack.shape[1:]
    row_positions = _positions(in_height, height, texel_centres)
    column_positions = _positions(in_width, width, texel_centres)
    first, stop = (0, height) if rows is None else rows
    if not 0 <= first < stop <= height:
        raise ValueError(f"rows {rows} are not a block of {height} rows")
    if (height, width) == (in_height, in_width) and not texel_centres:
        return np.asarray(values[..., first:stop, :], dtype)
    grid = np.meshgrid(row_positions[first:stop], column_positions, indexing="ij")
    out = np.empty((len(stack), stop - first, width), dtype)
    for index, layer in enumerate(stack):
        ndimage.map_coordinates(layer, grid, out[index], order=1, mode="nearest")
    return out[0] if values.ndim == 2 else out


def _positions(source: int, target: int, texel_centres: bool) -> np.ndarray:
    """Input positions (pixels) of the `target` output samples along one axis of `source` pixels."""
    if texel_centres:
        if target < 1:
            raise UserError(f"cannot resample to {target} texels")
        return (np.arange(target) + 0.5) * (source - 1) / target
    if target < 2:
        raise UserError(f"cannot resample to {target} samples: a vertex grid needs at least 2")
    return np.linspace(0.0, source - 1, target)
