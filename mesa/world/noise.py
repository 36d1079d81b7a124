"""The starting noise of a world: each cell's noise depends only on (seed, cell position).

Cell (0, 0) uses the seed itself, drawn exactly as `TerrainPipeline.initial_noise` draws one
terrain's noise, so a 1 x 1 world starts from the same noise as `pipe(prompt, seeds=[seed])`.
Every other cell uses a seed derived from (seed, column, row) by SHA-256, so growing the world
(more cells, or an extension to the west with negative columns) never changes a cell's noise.
"""

from __future__ import annotations

import hashlib

import torch

from mesa.pipeline.request import MAX_SEED


def cell_seed(seed: int, column: int, row: int) -> int:
    """The noise seed of the cell at (column, row) in world cell coordinates (east, south)."""
    if column == 0 and row == 0:
        return int(seed)
    digest = hashlib.sha256(f"mesa-world:{int(seed)}:{int(column)}:{int(row)}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & MAX_SEED


def canvas_noise(pipe, seed: int, columns: int, rows: int, origin: tuple[int, int] = (0, 0)) -> torch.Tensor:
    """(1, 8, rows * L, columns * L) standard normal latents, cell by cell.

    Args:
        pipe: a `TerrainPipeline` (its `initial_noise` draws each cell's (1, 8, L, L) noise).
        seed: the world's seed.
        columns, rows: cells of the canvas.
        origin: world cell coordinates (column, row) of the canvas's north-west cell.
    """
    seeds = [cell_seed(seed, origin[0] + column, origin[1] + row) for row in range(rows) for column in range(columns)]
    size = pipe.native_size
    cells, _ = pipe.initial_noise(seeds, size, size)
    channels, latent = cells.shape[1], cells.shape[2]
    grid = cells.reshape(rows, columns, channels, latent, latent).permute(2, 0, 3, 1, 4)
    return grid.reshape(1, channels, rows * latent, columns * latent).contiguous()
