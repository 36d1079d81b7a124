"""Prepared synthetic tiles: generated once into arrays, then read by position (a training source).

Generating a 128 px synthetic tile takes ~0.1 s of CPU (flow routing, erosion), as long as a
training step of a tiny model, so a training run prepares a fixed set of tiles first (in
parallel) and every epoch re-reads it. Captions are re-drawn per read position: the four descriptors of a
tile are stored, and a position-seeded `drop_random_parts` picks which to keep, as the synthetic
dataset does per index.

Held-out split: `prepare_tiles` prepares the first `count` tiles of one split of the synthetic
world ("train" by default, see dataset.py) and records each tile's grid cell; `PreparedTiles`
reads only the tiles of the split it is given ("train" by default), so a training run never
reads a held-out tile, whatever was prepared.

Season twins: `month_shifts=(0, 6)` prepares every terrain twice, in its drawn month and six months
later (the same ground, relief and water, coloured for the other season), at adjacent positions.
`PreparedTiles` gives twins one caption draw (the same parts kept, the same crop), so when the month
is kept the two captions differ in the month alone and the colour difference is the month's to explain.
`other_hemisphere=True` adds each month's tile placed in a country of the other hemisphere (params.py
`other_hemisphere_place`): four tiles per terrain, (own country, month), (own, month + 6), (other, month),
(other, month + 6), so the captions' country and month differ in a 2 x 2 design and the season's flip
between hemispheres is in the data, not only the month's main effect.
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, fields, replace
from pathlib import Path

import numpy as np

from mesa.data.sample import TerrainSample
from mesa.data.split import HELD_OUT_FRACTION, in_split
from mesa.data.synthetic.captions import caption_parts
from mesa.data.synthetic.dataset import SyntheticTerrainDataset
from mesa.data.synthetic.generate import TILE_EXTENT_M, generate_tile
from mesa.data.synthetic.params import STREAM_CAPTION, other_hemisphere_place, sample_params
from mesa.prompts import PromptParts, build_prompt, drop_random_parts

ARRAYS = ("rgb", "elevation_m")


def shift_month(month: int, shift: int) -> int:
    """The month (1..12) `shift` months after `month`, wrapping round the year."""
    return (month - 1 + shift) % 12 + 1


def _places(other_hemisphere: bool) -> tuple[bool, ...]:
    """A terrain's places per month shift: its own country, then (other_hemisphere) one across the equator."""
    return (False, True) if other_hemisphere else (False,)


def _generate(args: tuple[int, int, int, int, bool]) -> tuple[np.ndarray, np.ndarray, dict, str, float]:
    seed, world_index, resolution, month_shift, other_hemisphere = args
    params = sample_params(seed, world_index)
    if other_hemisphere:
        params = other_hemisphere_place(params)
    params = replace(params, month=shift_month(params.month, month_shift))
    tile = generate_tile(params, resolution, TILE_EXTENT_M / resolution)
    parts = asdict(caption_parts(params))
    return (tile.rgb.astype(np.float16), tile.elevation_m.astype(np.float32), parts, params.grid_cell,
            tile.meters_per_pixel)


def prepare_tiles(directory: str | Path, count: int, seed: int, resolution: int, workers: int = 2,
                  split: str = "train", month_shifts: tuple[int, ...] = (0,),
                  other_hemisphere: bool = False) -> Path:
    """Generate the first `count` terrains of `split` of the synthetic world `seed` into `directory`,
    each once per month shift (0: its drawn month), and with `other_hemisphere` once more per shift
    in a country of the other hemisphere; a terrain's tiles adjacent (skipped if done).

    Writes rgb.npy (count * twins, H, W, 3) float16 in [0, 1], elevation_m.npy (count * twins, H, W)
    float32 metres, and tiles.json (caption parts and grid cell per tile, meters_per_pixel, seed,
    resolution, split, month_shifts, other_hemisphere), twins = len(month_shifts) * (2 if other_hemisphere else 1).
    """
    month_shifts = tuple(int(shift) for shift in month_shifts)
    if not month_shifts or len({shift % 12 for shift in month_shifts}) != len(month_shifts):
        raise ValueError(f"month_shifts must be distinct months apart, e.g. (0,) or (0, 6); got {month_shifts}")
    directory = Path(directory)
    index_file = directory / "tiles.json"
    if index_file.is_file():
        info = json.loads(index_file.read_text(encoding="utf-8"))
        done = (info["count"], info["seed"], info["resolution"], info.get("split"),
                tuple(info.get("month_shifts", (0,))), info.get("other_hemisphere", False))
        if done == (count, seed, resolution, split, month_shifts, other_hemisphere):
            return directory
    world = SyntheticTerrainDataset(resolution=resolution, length=count, seed=seed, split=split)
    directory.mkdir(parents=True, exist_ok=True)
    places = _places(other_hemisphere)
    total = count * len(month_shifts) * len(places)
    rgb = np.zeros((total, resolution, resolution, 3), np.float16)
    elevation_m = np.zeros((total, resolution, resolution), np.float32)
    parts, grid_cells, meters_per_pixel = [], [], None
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = ((seed, world.world_index(index), resolution, shift, place)
                for index in range(count) for place in places for shift in month_shifts)
        for index, (tile_rgb, tile_elevation, tile_parts, grid_cell, mpp) in enumerate(
                pool.map(_generate, jobs, chunksize=16)):
            rgb[index], elevation_m[index], meters_per_pixel = tile_rgb, tile_elevation, mpp
            parts.append(tile_parts)
            grid_cells.append(grid_cell)
    np.save(directory / "rgb.npy", rgb)
    np.save(directory / "elevation_m.npy", elevation_m)
    info = {"count": count, "seed": seed, "resolution": resolution, "split": split,
            "month_shifts": list(month_shifts), "other_hemisphere": other_hemisphere,
            "meters_per_pixel": meters_per_pixel, "parts": parts, "grid_cells": grid_cells}
    index_file.write_text(json.dumps(info) + "\n", encoding="utf-8")
    return directory


class PreparedTiles:
    """A TerrainSample source over prepared tiles, read by global position (see training/data.py).

    Position p reads tile p % len of the split's tiles; its caption keeps a random subset of the
    tile's four parts, seeded by (seed, p), so each epoch pairs a tile with other captions. Season
    twins (tiles prepared with several month shifts) share the draw of their pair's first position.

    Args:
        crop: side of a random square crop in pixels (None: whole tiles). The crop corner is
            seeded by (seed, p); the VAE trains on crops to save compute.
        split: read only the prepared tiles of this split: "train" (default), "val" or "all".
        held_out_fraction: share of the world's tiles in "val" (as when they were prepared).
        keep_parts: caption parts never dropped (e.g. ("month",) for season twins: a pair whose
            captions lose the month teaches nothing about it); the others are dropped as usual.
    """

    def __init__(self, directory: str | Path, seed: int = 0, crop: int | None = None, split: str = "train",
                 held_out_fraction: float = HELD_OUT_FRACTION, keep_parts: tuple[str, ...] = ()):
        directory = Path(directory)
        info = json.loads((directory / "tiles.json").read_text(encoding="utf-8"))
        if "grid_cells" not in info:
            raise ValueError(f"{directory} was prepared before tiles recorded their grid cells (the held-out "
                             "split needs them); prepare it again with prepare_tiles")
        self.rgb = np.load(directory / "rgb.npy", mmap_mode="r")
        self.elevation_m = np.load(directory / "elevation_m.npy", mmap_mode="r")
        self.tiles = [index for index, cell in enumerate(info["grid_cells"])
                      if in_split(cell, split, held_out_fraction)]
        if not self.tiles:
            raise ValueError(f"{directory} holds no tile of the {split!r} split (it was prepared as "
                             f"{info.get('split')!r})")
        self.grid_cells = [info["grid_cells"][index] for index in self.tiles]
        self.parts = [PromptParts(**info["parts"][index]) for index in self.tiles]
        self.meters_per_pixel = float(info["meters_per_pixel"])
        self.resolution = int(info["resolution"])
        self.seed, self.split = seed, split
        # tiles per terrain, adjacent
        self.twins = len(info.get("month_shifts", (0,))) * len(_places(info.get("other_hemisphere", False)))
        if crop is not None and not 8 <= crop <= self.resolution:
            raise ValueError(f"crop must be 8..{self.resolution} pixels, got {crop}")
        self.crop = crop
        names = [f.name for f in fields(PromptParts)]
        if unknown := [name for name in keep_parts if name not in names]:
            raise ValueError(f"keep_parts: unknown part(s) {unknown}; the parts are {names}")
        if len(set(keep_parts)) == len(names):
            raise ValueError("keep_parts cannot keep every part (nothing would be dropped); leave one out")
        self.keep_parts = tuple(keep_parts)

    def __len__(self) -> int:
        return len(self.tiles)

    def caption_at(self, position: int) -> str:
        """The caption position `position` reads (without reading its tile)."""
        return self._draw(position)[0]

    def _draw(self, position: int) -> tuple[str, np.random.Generator]:
        index = position % len(self)
        draw = position - index % self.twins  # twins: the same parts kept, the same crop
        rng = np.random.default_rng([self.seed, draw, STREAM_CAPTION])
        parts = self.parts[index]
        kept = {name: getattr(parts, name) for name in self.keep_parts}
        return build_prompt(replace(drop_random_parts(replace(parts, **dict.fromkeys(kept)), rng), **kept)), rng

    def sample_at(self, position: int) -> TerrainSample:
        index = position % len(self)
        caption, rng = self._draw(position)
        rows = cols = slice(None)
        if self.crop is not None:
            top, left = rng.integers(0, self.resolution - self.crop + 1, size=2)
            rows, cols = slice(top, top + self.crop), slice(left, left + self.crop)
        stored = self.tiles[index]
        elevation_m = np.asarray(self.elevation_m[stored, rows, cols], dtype=np.float32)
        return TerrainSample(
            rgb=np.asarray(self.rgb[stored, rows, cols], dtype=np.float32),
            elevation_m=elevation_m,
            valid_mask=np.ones(elevation_m.shape, dtype=bool),
            caption=caption,
            grid_cell=self.grid_cells[index],
            meters_per_pixel=self.meters_per_pixel,
        )

    def __getitem__(self, position: int) -> TerrainSample:
        return self.sample_at(position)
