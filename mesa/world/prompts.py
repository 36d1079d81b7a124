"""Which prompt holds where in a world: one prompt, a prompt per cell, or a coarse painted map.

A map of any shape (rows x columns of prompts) is stretched over the whole canvas, so a 3 x 2 grid
on a 3 x 2 world is a prompt per cell and a 2 x 2 map on a 4 x 4 world paints quarters. The map is
kept as labels at latent resolution (`PromptMap`), which an extension pads outwards. A window
is conditioned on the mix of the prompts under it (the CLIP hidden states averaged with the share
of the window each prompt covers), so prompts change smoothly across the windows that straddle a
boundary instead of switching at a cell edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mesa.errors import UserError
from mesa.prompts import PromptParts, build_prompt
from mesa.world.layout import WorldLayout


@dataclass(frozen=True)
class PromptMap:
    """Prompts over a canvas.

    Attributes:
        labels: (h, w) int16 index into `prompts` for every latent pixel (row 0 north).
        prompts: the distinct prompts, in order of first appearance (row-major).
    """

    labels: np.ndarray
    prompts: tuple[str, ...]

    def mixture(self, rows: slice, columns: slice) -> np.ndarray:
        """(len(prompts),) float64 share of each prompt in a region (sums to 1)."""
        counts = np.bincount(self.labels[rows, columns].ravel(), minlength=len(self.prompts))
        return counts / counts.sum()

    def cell_prompts(self, layout: WorldLayout, column: int, row: int) -> dict[str, float]:
        """{prompt: share} of one cell (canvas cell coordinates), shares rounded to 4 digits."""
        size = layout.tile_latent
        shares = self.mixture(slice(row * size, (row + 1) * size), slice(column * size, (column + 1) * size))
        return {prompt: round(float(share), 4) for prompt, share in zip(self.prompts, shares) if share > 0}


def make_prompt_map(prompts: str | Sequence[Sequence[str]], latent_shape: tuple[int, int]) -> PromptMap:
    """The `PromptMap` of one prompt or a map of prompts (rows of equal length, north first)."""
    grid = check_prompt_grid(prompts, latent_shape)
    distinct = tuple(dict.fromkeys(prompt for row in grid for prompt in row))
    index = {prompt: i for i, prompt in enumerate(distinct)}
    codes = np.array([[index[prompt] for prompt in row] for row in grid], dtype=np.int16)
    height, width = latent_shape
    map_rows = (np.arange(height) * codes.shape[0]) // height
    map_columns = (np.arange(width) * codes.shape[1]) // width
    return PromptMap(codes[map_rows][:, map_columns], distinct)


def check_prompt_grid(prompts, latent_shape: tuple[int, int]) -> list[list[str]]:
    """Rows of prompts from a string or a non-empty rectangular grid; UserError otherwise."""
    if isinstance(prompts, str):
        return [[prompts]]
    example = 'e.g. [["deserts and hills", "deserts and mountains"], ["tundra and hills", "tundra and plains"]]'
    if not isinstance(prompts, Sequence) or not prompts or any(
            isinstance(row, str) or not isinstance(row, Sequence) or not row for row in prompts):
        raise UserError(f"prompts must be one prompt or a non-empty grid (rows of prompts, north first), {example}")
    grid = [list(row) for row in prompts]
    if len({len(row) for row in grid}) != 1:
        raise UserError(f"every row of the prompt grid must have the same number of prompts, got "
                        f"{[len(row) for row in grid]}")
    bad = [prompt for row in grid for prompt in row if not isinstance(prompt, str)]
    if bad:
        raise UserError(f"the prompt grid must hold text, got {bad[0]!r}")
    if len(grid) > latent_shape[0] or len(grid[0]) > latent_shape[1]:
        raise UserError(f"the prompt map has {len(grid[0])} x {len(grid)} cells; a world of this size takes at most "
                        f"{latent_shape[1]} x {latent_shape[0]}")
    return grid


def prompt_grid_from_parts(biomes: Sequence[Sequence[str | None]] | None = None,
                           landforms: Sequence[Sequence[str | None]] | None = None,
                           country: str | None = None, month: str | None = None) -> list[list[str]]:
    """A grid of MESA captions from a painted biome map and/or landform map (same shape when both
    are given), e.g. `prompt_grid_from_parts([["deserts", "tundra"]], [["hills", "mountains"]], "Chile")`."""
    maps = [m for m in (biomes, landforms) if m is not None]
    if not maps:
        raise UserError("give a biome map, a landform map or both")
    shapes = {(len(m), len(m[0]) if m else 0) for m in maps}
    if len(shapes) != 1:
        raise UserError(f"the biome and landform maps must have the same shape, got {sorted(shapes)}")
    rows, columns = shapes.pop()
    return [[build_prompt(PromptParts(biomes[r][c] if biomes else None, landforms[r][c] if landforms else None,
                                      country, month)) for c in range(columns)] for r in range(rows)]


def pad_map(prompt_map: PromptMap, pad: tuple[tuple[int, int], tuple[int, int]],
              new_prompt: str | None) -> PromptMap:
    """`prompt_map` grown by `pad` ((north, south), (west, east)) latent pixels: the new part gets
    `new_prompt`, or continues the edge's prompts outwards when it is None."""
    if new_prompt is None:
        return PromptMap(np.pad(prompt_map.labels, pad, mode="edge"), prompt_map.prompts)
    prompts = prompt_map.prompts if new_prompt in prompt_map.prompts else prompt_map.prompts + (new_prompt,)
    code = prompts.index(new_prompt)
    return PromptMap(np.pad(prompt_map.labels, pad, mode="constant", constant_values=code), prompts)
