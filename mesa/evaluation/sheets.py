"""The scorecard's contact sheets (mesa.preview's contact_sheet and tile_grid):

    sheet_reference.png   one row per reference tile: the tile, then the terrains generated from
                          its caption (one per seed); the captions are listed in scorecard.md
    sheet_adherence.png   prompts x seeds for a few biomes at every landform (four-part prompts)
    sheet_prompts.png     prompts x seeds of the example prompts
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mesa.evaluation.prompt_cases import PromptCase
from mesa.preview import contact_sheet, tile_grid
from mesa.terrain import Terrain

SHEET_BIOMES = (1, 5, 11, 13, 15)  # tropical rainforests, conifer forests, tundra, deserts, rock and ice
TILE_PX = 128


def reference_sheet(rows: Sequence[Terrain], generated: Sequence[Sequence[Terrain]]) -> np.ndarray:
    """(H, W, 3) uint8: row i holds reference tile rows[i] and the terrains generated[i] of its caption."""
    cells = []
    for number, (tile, terrains) in enumerate(zip(rows, generated), start=1):
        cells.append((f"{number}. reference (tile {tile.seed})", tile))
        cells += [(f"{number}. generated, seed {t.seed}", t) for t in terrains]
    columns = 1 + max(len(terrains) for terrains in generated)
    return tile_grid(cells, columns=columns, tile_px=TILE_PX)


def adherence_sheet(cases: Sequence[PromptCase], terrains_by_prompt: Mapping[str, Sequence[Terrain]]) -> np.ndarray:
    """(H, W, 3) uint8 contact sheet of the four-part landform prompts of SHEET_BIOMES (all measured
    full-form biomes when none of those was)."""
    full = [c for c in cases if c.kind == "landform" and c.form == "full"]
    shown = [c for c in full if c.biome_id in SHEET_BIOMES] or full or list(cases)
    return contact_sheet([t for case in shown for t in terrains_by_prompt[case.prompt]], tile_px=TILE_PX)


def prompts_sheet(terrains: Sequence[Terrain]) -> np.ndarray:
    """(H, W, 3) uint8 contact sheet of the example prompts' terrains."""
    return contact_sheet(terrains, tile_px=TILE_PX)
