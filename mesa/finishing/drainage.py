"""D8 steepest-descent receivers on a depression-filled surface and flow accumulation, vectorised.

The filled surface (Priority-Flood level, from the drainage tree of
`mesa.geometry.hydrology.route_flow`) has no pits, only slopes and flats. On slopes each
cell drains to the neighbour of steepest descent, drop / distance with diagonals sqrt 2 away
(D8, O'Callaghan & Mark 1984). A border cell with no lower neighbour inside the tile drains out of
it. On flats (filled lakes, plateaus) a cell follows the drainage tree towards the spill point.
Along any route the filled level never rises and strictly falls on every D8 step, and the tree has
no cycles, so every cell reaches the border.

Accumulation: each cell's distance to the border along its route comes from pointer doubling
(log2(cells) vectorised steps); cells are then summed into their receivers farthest-first, one
distance at a time.
"""

from __future__ import annotations

import math

import numpy as np

OUTSIDE = -1
_OFFSETS = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


def steepest_receivers(filled_m: np.ndarray, tree_receiver: np.ndarray) -> np.ndarray:
    """(H * W,) int64 flat index of the cell each cell drains into, OUTSIDE for the tile's outlets.

    Args:
        filled_m: (H, W) depression-filled elevation, metres.
        tree_receiver: (H * W,) receivers of the drainage tree (OUTSIDE at its outlets), used
            where a cell has no lower neighbour.
    """
    height, width = filled_m.shape
    padded = np.pad(filled_m.astype(np.float64), 1, constant_values=np.inf)
    index = np.pad(np.arange(height * width).reshape(height, width), 1, constant_values=OUTSIDE)
    best_slope = np.zeros((height, width))
    best = np.full((height, width), OUTSIDE, dtype=np.int64)
    for d_row, d_col in _OFFSETS:
        window = (slice(1 + d_row, 1 + d_row + height), slice(1 + d_col, 1 + d_col + width))
        slope = (filled_m - padded[window]) / math.hypot(d_row, d_col)
        steeper = slope > best_slope
        best_slope = np.where(steeper, slope, best_slope)
        best = np.where(steeper, index[window], best)
    receiver = best.ravel()
    flat = receiver == OUTSIDE
    on_border = np.zeros((height, width), bool)
    on_border[[0, -1], :] = on_border[:, [0, -1]] = True
    use_tree = flat & ~on_border.ravel()
    return np.where(use_tree, tree_receiver, receiver)


def route_lengths(receiver: np.ndarray) -> np.ndarray:
    """(n,) int64 number of cells on each cell's route out of the tile, itself included (pointer doubling)."""
    n = receiver.size
    jump = np.where(receiver == OUTSIDE, n, receiver)
    jump = np.append(jump, n)
    length = np.append(np.ones(n, dtype=np.int64), 0)
    for _ in range(int(np.ceil(np.log2(n + 1))) + 1):
        length = length + length[jump]
        jump = jump[jump]
        if np.all(jump == n):
            break
    return length[:n]


def accumulate(receiver: np.ndarray) -> np.ndarray:
    """(n,) float64 number of cells draining through each cell, itself included."""
    n = receiver.size
    length = route_lengths(receiver)
    target = np.where(receiver == OUTSIDE, n, receiver)
    accumulation = np.ones(n + 1)
    order = np.argsort(-length, kind="stable")
    boundaries = np.flatnonzero(np.diff(length[order])) + 1
    for level in np.split(order, boundaries):
        np.add.at(accumulation, target[level], accumulation[level])
    return accumulation[:n]
