"""Resampling weight maps and masks onto an engine's grid over the same ground.

Two sample layouts cover the engines:

* vertex-aligned (Unreal landscape layers, Terrain3D control maps, heightmap-sized masks): sample j
  sits on input position j * (W - 1) / (width - 1), so the first and last samples land on the
  tile's corners - the same mapping as the export's heightmap resampling (export.engines
  `resample_corners`), so every layer lines up with its heightmap vertex by vertex;
* texel-centred (Unity alphamaps, which are textures stretched over the terrain): texel j covers
  [j, j + 1] / width of the tile, its centre on input position (j + 0.5) * (W - 1) / width.

Both are bilinear: a convex combination of neighbours, so weights that sum to 1 still do and
values never leave the input's range.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from mesa.errors import UserError


def resample_maps(maps: np.ndarray, height: int, width: int, texel_centres: bool = False) -> np.ndarray:
    """Bilinear resample of (H, W) or (C, H, W) maps to (height, width) or (C, height, width) float32.

    Args:
        maps: one map (H, W) or a stack (C, H, W) over the tile, row 0 north.
        height, width: output size, >= 2 each (>= 1 with texel_centres).
        texel_centres: texel-centred layout (Unity alphamaps) instead of vertex-aligned.
    """
    maps = np.asarray(maps)
    stack = maps[None] if maps.ndim == 2 else maps
    in_height, in_width = stack.shape[1:]
    if (height, width) == (in_height, in_width) and not texel_centres:
        return stack.astype(np.float32).reshape(maps.shape)
    rows = _positions(in_height, height, texel_centres)
    columns = _positions(in_width, width, texel_centres)
    grid = np.meshgrid(rows, columns, indexing="ij")
    out = np.stack([ndimage.map_coordinates(np.asarray(m, np.float64), grid, order=1, mode="nearest") for m in stack])
    return out.astype(np.float32).reshape((height, width) if maps.ndim == 2 else out.shape)


def _positions(source: int, target: int, texel_centres: bool) -> np.ndarray:
    """Input positions (in pixels) of the `target` output samples along one axis of `source` pixels."""
    if texel_centres:
        if target < 1:
            raise UserError(f"cannot resample to {target} texels")
        return (np.arange(target) + 0.5) * (source - 1) / target
    if target < 2:
        raise UserError(f"cannot resample to {target} samples: a vertex grid needs at least 2")
    return np.linspace(0.0, source - 1, target)
