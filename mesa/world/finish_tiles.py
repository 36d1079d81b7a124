"""A finished world's masks and material files cut into the engine's tiles.

The world is finished as one mosaic (`mesa.finishing.finish_terrain`: erosion, water and flow run
across tile borders, so nothing stops at a seam); the masks and material weights then go onto
the engine tile set's global grid exactly as the heightmaps do (vertex-aligned bilinear for
Unreal and Unity, edge-padded for Terrain3D regions, `mesa.world.engine_tiles`), and each tile's
block is written with `mesa.finishing.write_finish`. Neighbouring Unreal / Unity tiles therefore
hold identical values along their shared edge row / column.

File names put the tile suffix last, as the heightmap tiles do: `{name}_layer_rock_x0_y0.png`,
`{name}_mask_slope_x1_y0.png`, `{name}_splat_0_x0_y1.png`, `{name}_control_x0_y0.exr`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from mesa.finishing import FinishedFile, FinishResult, MaterialWeights, write_finish
from mesa.geometry.resample import resample_bilinear

BAND_BYTES_PER_SAMPLE = 4
"""One float32 value per map per sample of a band of tile rows (see `finish_tiles_bytes`)."""


def finish_tiles_bytes(finished: FinishResult, global_samples: tuple[int, int], tile_samples: int) -> int:
    """Upper bound of the extra memory `write_finish_tiles` needs beside `write_finish`'s own
    (which checks itself per tile): the band of tile rows holding every map, twice (its copy)."""
    maps = 1 + len(finished.masks) + (0 if finished.materials is None else len(finished.materials.layers))
    return 2 * BAND_BYTES_PER_SAMPLE * maps * tile_samples * int(global_samples[1])


def write_finish_tiles(finished: FinishResult, engine: str, tiles, global_samples: tuple[int, int],
                       spacing_m: float, folder: Path, name: str) -> tuple[tuple[FinishedFile, ...], dict]:
    """Write every tile's masks and material files into `folder`.

    Args:
        finished: the finished mosaic (its elevation is the one the tiles were cut from).
        engine: "unreal", "unity" or "godot".
        tiles: the set's `EngineTile`s (x, y, samples (rows, columns), first_sample (row, column)).
        global_samples: (rows, columns) of the set's global grid.
        spacing_m: ground spacing of the global grid, metres (east).
        folder: the engine folder (exists).
        name: file name stem of the set.
    Returns:
        (the files, renamed with the tile suffix last; the "finishing" entry for `{engine}_tiles.json`:
        per tile its files, and the layer order and import notes).
    """
    stack = _stack(finished)
    files: list[FinishedFile] = []
    per_tile: dict[str, list[dict]] = {}
    notes: dict = {}
    for first_row in sorted({t.first_sample[0] for t in tiles}):
        row_tiles = [t for t in tiles if t.first_sample[0] == first_row]
        band = _band(stack, engine, global_samples, first_row, row_tiles[0].samples[0])
        for tile in row_tiles:
            column = tile.first_sample[1]
            block = band[:, :, column:column + tile.samples[1]]
            written = write_finish(_tile_result(finished, block, spacing_m), folder, name, engine, tile.samples)
            suffix = f"_x{tile.x}_y{tile.y}"
            renamed = [_rename(f, suffix) for f in written.files]
            files += renamed
            per_tile[suffix[1:]] = [f.sidecar_entry() for f in renamed]
            notes = written.sidecar.get("layers", notes)
    return tuple(files), {"tile_suffix": "files are named like the heightmap tiles, the _x{i}_y{j} suffix last",
                          "layers": notes or None, "tiles": per_tile}


def _stack(finished: FinishResult) -> np.ndarray:
    """(1 + masks + layers, H, W) float32: elevation, then the masks, then the material weights."""
    maps = [finished.elevation_m, *finished.masks.values()]
    if finished.materials is not None:
        maps += list(finished.materials.weights)
    return np.stack([np.asarray(m, np.float32) for m in maps])


def _band(stack: np.ndarray, engine: str, global_samples: tuple[int, int], first_row: int, rows: int) -> np.ndarray:
    """The rows first_row .. first_row + rows of every map on the set's global grid."""
    if engine == "godot":  # Terrain3D regions: the mosaic itself, edge-padded to whole regions
        height, width = stack.shape[1:]
        padded_rows = np.clip(np.arange(first_row, first_row + rows), 0, height - 1)
        padded_columns = np.clip(np.arange(global_samples[1]), 0, width - 1)
        return stack[:, padded_rows][:, :, padded_columns]
    return resample_bilinear(stack, global_samples[0], global_samples[1], dtype=np.float32,
                             rows=(first_row, first_row + rows))


def _tile_result(finished: FinishResult, block: np.ndarray, spacing_m: float) -> FinishResult:
    """`finished` restricted to one tile's block of the global grid (figures stay on the mosaic's)."""
    mask_count = len(finished.masks)
    # bilinear values stay within the inputs' range; the clip only removes float32 rounding past 1
    masks = {key: np.minimum(block[1 + i], 1.0) for i, key in enumerate(finished.masks)}
    materials = None
    if finished.materials is not None:
        weights = block[1 + mask_count:]
        materials = MaterialWeights(finished.materials.layers, weights / weights.sum(axis=0, keepdims=True))
    return FinishResult(block[0], spacing_m, None, None, masks, materials, finished.mask_bits)


def _rename(file: FinishedFile, suffix: str) -> FinishedFile:
    """Move `file` to the same name with `suffix` before its extension."""
    target = file.path.with_name(file.path.stem + suffix + file.path.suffix)
    file.path.replace(target)
    return replace(file, path=target)
