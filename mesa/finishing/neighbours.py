"""The 8-neighbourhood of a torch grid: offsets, distances, shifted views and flux scatter.

Both erosion models move material and water between a cell and its eight neighbours. They work on
a copy of the grid padded by one ghost cell on every side: `padded[1 + dr : 1 + dr + H, 1 + dc :
1 + dc + W]` is the neighbour at offset (dr, dc) of every cell (a view, no copy), and what a cell
sends towards (dr, dc) is added into the same window of a padded inflow buffer, so whatever lands
in the ghost ring has left the tile. Row index grows southward, column index eastward.
"""

from __future__ import annotations

import math

import torch

from mesa.devices import pick_device

OFFSETS: tuple[tuple[int, int], ...] = ((-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))
"""(d_row, d_col) of the eight neighbours: the four edge neighbours first, then the diagonals."""
DISTANCES_PX: tuple[float, ...] = tuple(math.hypot(dr, dc) for dr, dc in OFFSETS)
"""Centre-to-centre distance of each neighbour in OFFSETS, in cells (1 or sqrt 2)."""


def resolve_device(device: str | torch.device) -> torch.device:
    """The torch device to compute on (`mesa.devices.pick_device`: "auto" -> cuda, then mps, then
    cpu; an unknown or unavailable device is a UserError)."""
    if isinstance(device, torch.device):
        return device
    return torch.device(pick_device(device))


def neighbour_view(padded: torch.Tensor, offset: tuple[int, int]) -> torch.Tensor:
    """(H, W) view of `padded` (H + 2, W + 2): the neighbour at `offset` of every interior cell."""
    d_row, d_col = offset
    height, width = padded.shape[0] - 2, padded.shape[1] - 2
    return padded[1 + d_row : 1 + d_row + height, 1 + d_col : 1 + d_col + width]


def interior(padded: torch.Tensor) -> torch.Tensor:
    """(H, W) view of the cells of `padded` (H + 2, W + 2) without its ghost ring."""
    return padded[1:-1, 1:-1]


def drops_to_neighbours(padded: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """Height of every cell above each neighbour, written into `out`.

    Args:
        padded: (H + 2, W + 2) heights with a ghost ring.
        out: (8, H, W) buffer; out[k] = centre - neighbour at OFFSETS[k] (negative where the
            neighbour is higher).
    Returns:
        `out`.
    """
    centre = interior(padded)
    for k, offset in enumerate(OFFSETS):
        torch.sub(centre, neighbour_view(padded, offset), out=out[k])
    return out


def scatter_to_neighbours(amounts: torch.Tensor, inflow: torch.Tensor) -> torch.Tensor:
    """Add what every cell sends to each neighbour into the padded `inflow` (H + 2, W + 2).

    Args:
        amounts: (8, H, W); amounts[k] leaves each cell towards OFFSETS[k].
        inflow: (H + 2, W + 2) accumulator; its ghost ring collects what left the tile.
    Returns:
        `inflow`.
    """
    for k, offset in enumerate(OFFSETS):
        neighbour_view(inflow, offset).add_(amounts[k])
    return inflow


def ghost_ring_sum(padded: torch.Tensor) -> torch.Tensor:
    """Scalar float64 tensor: the sum over the ghost ring of `padded` (what left the tile)."""
    ring = padded[0].sum(dtype=torch.float64) + padded[-1].sum(dtype=torch.float64)
    return ring + padded[1:-1, 0].sum(dtype=torch.float64) + padded[1:-1, -1].sum(dtype=torch.float64)


def outflow_ghosts(ground: torch.Tensor) -> torch.Tensor:
    """(H + 2, W + 2) ghost-ring ground for an open border (interior zeros), from (H, W) `ground`.

    A ghost cell continues the ground's slope across the border: linear extrapolation from the
    edge cell and the one inside it. Computed once from the original terrain, it is a fixed base
    level outside the tile (recomputing it from the eroding edge would feed back: a lower edge
    would lower its ghost twice as fast). Needs H, W >= 2.
    """
    ghosts = torch.zeros((ground.shape[0] + 2, ground.shape[1] + 2), dtype=ground.dtype, device=ground.device)
    ghosts[0, 1:-1] = 2.0 * ground[0] - ground[1]
    ghosts[-1, 1:-1] = 2.0 * ground[-1] - ground[-2]
    ghosts[1:-1, 0] = 2.0 * ground[:, 0] - ground[:, 1]
    ghosts[1:-1, -1] = 2.0 * ground[:, -1] - ground[:, -2]
    for row, inner_row in ((0, 1), (-1, -2)):
        for column, inner_column in ((0, 1), (-1, -2)):
            ghosts[row, column] = 2.0 * ground[row, column] - ground[inner_row, inner_column]
    return ghosts


def fill_ghost_surface(padded: torch.Tensor, ghosts: torch.Tensor, water: torch.Tensor) -> torch.Tensor:
    """Set the ghost ring of the padded water surface: ghost ground (`outflow_ghosts`) plus the
    water depth of the adjacent edge cell (a zero-gradient outflow boundary, as in shallow-water
    models): water leaves where the ground falls towards the border, a flat or rising border holds it."""
    padded[0, 1:-1] = ghosts[0, 1:-1] + water[0]
    padded[-1, 1:-1] = ghosts[-1, 1:-1] + water[-1]
    padded[1:-1, 0] = ghosts[1:-1, 0] + water[:, 0]
    padded[1:-1, -1] = ghosts[1:-1, -1] + water[:, -1]
    for row in (0, -1):
        for column in (0, -1):
            padded[row, column] = ghosts[row, column] + water[row, column]
    return padded
