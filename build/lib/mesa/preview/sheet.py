"""Sheets of terrains: `contact_sheet` (one row per prompt, one column per seed, each cell the
colour image beside its elevation, optionally a 3D render: Table 2 of the MESA paper) and
`tile_grid` (labelled cells in reading order, e.g. training tiles with their captions)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np

from mesa.preview.colors import grayscale_rgb, shaded_relief
from mesa.terrain import Terrain

_LABEL_PX = 200
_HEADER_PX = 28
_GAP_PX = 6
_CELL_LABEL_PX = 14


def contact_sheet(terrains: Sequence[Terrain], tile_px: int = 192, include_render: bool = False) -> np.ndarray:
    """(H, W, 3) uint8 sheet of `terrains`, grouped by prompt (rows) and seed (columns).

    Each cell holds the RGB tile and its elevation as a grey ramp stretched to the tile's own
    range, plus an off-screen 3D render when `include_render`. Rows and columns keep the order in
    which prompts and seeds first appear; a missing (prompt, seed) pair is left blank.

    Args:
        terrains: generated terrains (several seeds of one or more prompts).
        tile_px: side of each square thumbnail in pixels.
        include_render: add a `render_terrain` view to each cell (slower: about 0.3 s each).
    """
    from PIL import Image, ImageDraw

    if not terrains:
        raise ValueError("contact_sheet needs at least one terrain")
    prompts = list(dict.fromkeys(t.prompt for t in terrains))
    seeds = list(dict.fromkeys(t.seed for t in terrains))
    panels = 3 if include_render else 2
    cell_w = panels * tile_px + (panels - 1) * 2 + _GAP_PX
    cell_h = tile_px + _GAP_PX
    sheet = Image.new("RGB", (_LABEL_PX + len(seeds) * cell_w, _HEADER_PX + len(prompts) * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    for column, seed in enumerate(seeds):
        draw.text((_LABEL_PX + column * cell_w + 4, 8), f"seed {seed}  (RGB | elevation{' | 3D' * include_render})", fill="black")
    for row, prompt in enumerate(prompts):
        label = "\n".join(textwrap.wrap(prompt, width=30)[:8])
        draw.multiline_text((6, _HEADER_PX + row * cell_h + 4), label, fill="black")
    for terrain in terrains:
        x = _LABEL_PX + seeds.index(terrain.seed) * cell_w
        y = _HEADER_PX + prompts.index(terrain.prompt) * cell_h
        for k, panel in enumerate(_cell_panels(terrain, include_render)):
            sheet.paste(Image.fromarray(panel).resize((tile_px, tile_px), Image.Resampling.LANCZOS), (x + k * (tile_px + 2), y))
    return np.asarray(sheet)


def _cell_panels(terrain: Terrain, include_render: bool) -> list[np.ndarray]:
    """The (h, w, 3) uint8 images of one cell: RGB, elevation grey ramp, optional 3D render."""
    panels = [terrain.rgb, grayscale_rgb(terrain.elevation_m)]
    if include_render:
        from mesa.preview.render import render_terrain

        panels.append(render_terrain(terrain.elevation_m, terrain.meters_per_pixel, terrain.rgb, window_size=(512, 512)))
    return panels


def tile_grid(cells: Sequence[tuple[str, Terrain]], columns: int = 4, tile_px: int | None = None) -> np.ndarray:
    """(H, W, 3) uint8 grid of labelled cells, each the colour image beside its shaded relief.

    Args:
        cells: (label, terrain) pairs in reading order; the label is one line above the cell.
        columns: cells per row.
        tile_px: side of each panel in pixels (default: the first terrain's width).
    """
    from PIL import Image, ImageDraw

    if not cells:
        raise ValueError("tile_grid needs at least one cell")
    if columns < 1:
        raise ValueError(f"columns must be >= 1, got {columns}")
    tile_px = tile_px or cells[0][1].rgb.shape[1]
    cell_w, cell_h = 2 * tile_px + 2 + _GAP_PX, tile_px + _CELL_LABEL_PX + _GAP_PX
    rows = -(-len(cells) // columns)
    sheet = Image.new("RGB", (columns * cell_w, rows * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    for k, (label, terrain) in enumerate(cells):
        x, y = (k % columns) * cell_w, (k // columns) * cell_h
        panels = [terrain.rgb, shaded_relief(terrain.elevation_m, terrain.meters_per_pixel)]
        for j, panel in enumerate(panels):
            image = Image.fromarray(panel).resize((tile_px, tile_px), Image.Resampling.LANCZOS)
            sheet.paste(image, (x + j * (tile_px + 2), y + _CELL_LABEL_PX))
        draw.text((x + 1, y + 1), label[: cell_w // 6], fill="black")
    return np.asarray(sheet)
