"""Flow routing on a tile: depression filling, drainage tree and flow accumulation, vectorised.

Water leaves the tile across its border. The drainage tree is the minimum spanning tree of the
8-connected grid (plus one "outside" node joined to every border cell) with edge weight
`max(z_u, z_v) + 1e-4 * min(z_u, z_v)`. In that tree:

* the path from a cell to the outside is its minimax path, so the highest elevation on it is the
  cell's depression-filled level (the spill height of the closed low it sits in, or its own
  elevation when it drains freely);
* a cell's parent is its lowest neighbour whenever it has a lower one (the tie-break term), so
  on slopes the tree is D8 steepest-descent routing and in closed lows it routes over the spill.

Filled levels and tree depths come from pointer doubling (log2(cells) vectorised steps); flow
accumulation sums children into parents one depth level at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

OUTSIDE = -1
"""`Drainage.receiver` value of cells that drain straight out of the tile."""


@dataclass
class Drainage:
    """Flow routing of one (H, W) elevation grid.

    Attributes:
        receiver: (H*W,) int64 flat index of the cell each cell drains into, OUTSIDE at the border.
        filled_m: (H, W) float32 depression-filled elevation, metres (>= the input elevation).
        accumulation_px: (H, W) float32 number of cells draining through each cell (itself included).
    """

    receiver: np.ndarray
    filled_m: np.ndarray
    accumulation_px: np.ndarray

    def depression_depth_m(self, elevation_m: np.ndarray) -> np.ndarray:
        """(H, W) float32 water depth a closed low would hold if filled to its spill point, metres."""
        return np.maximum(self.filled_m - elevation_m, 0.0).astype(np.float32)


@lru_cache(maxsize=8)
def _grid_edges(height: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """8-connected edges (a, b) of an (height, width) grid and the flat indices of its border."""
    idx = np.arange(height * width).reshape(height, width)
    pairs = [
        (idx[:, :-1], idx[:, 1:]),
        (idx[:-1, :], idx[1:, :]),
        (idx[:-1, :-1], idx[1:, 1:]),
        (idx[:-1, 1:], idx[1:, :-1]),
    ]
    a = np.concatenate([p[0].ravel() for p in pairs])
    b = np.concatenate([p[1].ravel() for p in pairs])
    border = np.unique(np.concatenate([idx[0], idx[-1], idx[:, 0], idx[:, -1]]))
    return a, b, border


def _drainage_parents(z: np.ndarray, height: int, width: int) -> np.ndarray:
    """Parent of every cell in the drainage tree; index n (= outside) for border outlets.

    Args:
        z: (n,) float64 elevation, shifted to be >= 1 so weights are strictly positive.
    Returns:
        (n,) int64.
    """
    n = z.size
    a, b, border = _grid_edges(height, width)
    weights = np.concatenate(
        [np.maximum(z[a], z[b]) + 1e-4 * np.minimum(z[a], z[b]), z[border] * (1.0 + 1e-4)]
    )
    rows = np.concatenate([a, border])
    cols = np.concatenate([b, np.full(border.size, n)])
    graph = coo_matrix((weights, (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    tree = minimum_spanning_tree(graph)
    _, predecessors = breadth_first_order(tree + tree.T, n, directed=False, return_predecessors=True)
    return predecessors[:n].astype(np.int64)


def _path_max_and_depth(z: np.ndarray, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Highest value of `z` on each cell's path to the outside, and the path's length (pointer doubling)."""
    n = z.size
    jump = np.append(parent, n)
    high = np.append(z, -np.inf)
    depth = np.append(np.ones(n, dtype=np.int64), 0)
    for _ in range(int(np.ceil(np.log2(n + 1))) + 1):
        high = np.maximum(high, high[jump])
        depth = depth + depth[jump]
        jump = jump[jump]
        if np.all(jump == n):
            break
    return high[:n], depth[:n]


def _accumulate(parent: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Number of cells in each cell's subtree, summed leaf-ward first, one depth level at a time."""
    n = parent.size
    accumulation = np.ones(n + 1)
    order = np.argsort(-depth, kind="stable")
    boundaries = np.flatnonzero(np.diff(depth[order])) + 1
    for level in np.split(order, boundaries):
        np.add.at(accumulation, parent[level], accumulation[level])
    return accumulation[:n]


def route_flow(elevation_m: np.ndarray) -> Drainage:
    """Fill closed lows, route every cell to the tile border and accumulate flow.

    Args:
        elevation_m: (H, W) finite elevation, metres; H, W >= 3.
    Returns:
        Drainage for that grid.
    """
    if elevation_m.ndim != 2 or min(elevation_m.shape) < 3:
        raise ValueError(f"route_flow needs a 2-D grid of at least 3x3 cells, got shape {elevation_m.shape}")
    if not np.all(np.isfinite(elevation_m)):
        raise ValueError("route_flow needs finite elevations (got NaN or inf)")
    height, width = elevation_m.shape
    offset = float(elevation_m.min()) - 1.0
    z = elevation_m.astype(np.float64).ravel() - offset
    parent = _drainage_parents(z, height, width)
    filled, depth = _path_max_and_depth(z, parent)
    accumulation = _accumulate(parent, depth)
    receiver = np.where(parent == z.size, OUTSIDE, parent)
    return Drainage(
        receiver=receiver,
        filled_m=(filled + offset).reshape(height, width).astype(np.float32),
        accumulation_px=accumulation.reshape(height, width).astype(np.float32),
    )
