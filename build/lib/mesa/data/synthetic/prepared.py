"""Prepared synthetic tiles: generated once into arrays, then read by position (a training source).

Generating a 128 px synthetic tile takes ~0.1 s of CPU (flow routing, erosion), as long as a
training step of a tiny model, so a training run prepares a fixed set of tiles first (in
parallel) and every epoch re-reads it. Captions are re-drawn per read position: the four descriptors of a
tile are stored, and a position-seeded `drop_random_parts` picks which to keep, as the synthetic
dataset does per index.
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np

from mesa.data.sample import TerrainSample
from mesa.data.synthetic.captions import caption_parts
from mesa.data.synthetic.dataset import SyntheticTerrainDataset
from mesa.data.synthetic.generate import generate_tile
from mesa.data.synthetic.params import STREAM_CAPTION
from mesa.prompts import PromptParts, build_prompt, drop_random_parts

ARRAYS = ("rgb", "elevation_m")


def _generate(args: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, dict, float]:
    seed, index, resolution = args
    dataset = SyntheticTerrainDataset(resolution=resolution, length=index + 1, seed=seed)
    params = dataset.sample_params(index)
    tile = generate_tile(params, resolution, dataset.meters_per_pixel)
    parts = asdict(caption_parts(params))
    return tile.rgb.astype(np.float16), tile.elevation_m.astype(np.float32), parts, tile.meters_per_pixel


def prepare_tiles(directory: str | Path, count: int, seed: int, resolution: int, workers: int = 2) -> Path:
    """Generate synthetic tiles 0..count-1 of the dataset `seed` into `directory` (skipped if done).

    Writes rgb.npy (count, H, W, 3) float16 in [0, 1], elevation_m.npy (count, H, W) float32
    metres, and tiles.json (caption parts per tile, meters_per_pixel, seed, resolution).
    """
    directory = Path(directory)
    index_file = directory / "tiles.json"
    if index_file.is_file():
        info = json.loads(index_file.read_text(encoding="utf-8"))
        if (info["count"], info["seed"], info["resolution"]) == (count, seed, resolution):
            return directory
    directory.mkdir(parents=True, exist_ok=True)
    rgb = np.zeros((count, resolution, resolution, 3), np.float16)
    elevation_m = np.zeros((count, resolution, resolution), np.float32)
    parts, meters_per_pixel = [], None
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = ((seed, index, resolution) for index in range(count))
        for index, (tile_rgb, tile_elevation, tile_parts, mpp) in enumerate(pool.map(_generate, jobs, chunksize=16)):
            rgb[index], elevation_m[index], meters_per_pixel = tile_rgb, tile_elevation, mpp
            parts.append(tile_parts)
    np.save(directory / "rgb.npy", rgb)
    np.save(directory / "elevation_m.npy", elevation_m)
    info = {"count": count, "seed": seed, "resolution": resolution, "meters_per_pixel": meters_per_pixel,
            "parts": parts}
    index_file.write_text(json.dumps(info) + "\n", encoding="utf-8")
    return directory


class PreparedTiles:
    """A TerrainSample source over prepared tiles, read by global position (see training/data.py).

    Position p reads tile p % count; its caption keeps a random subset of the tile's four parts,
    seeded by (seed, p), so each epoch pairs a tile with other captions.

    Args:
        crop: side of a random square crop in pixels (None: whole tiles). The crop corner is
            seeded by (seed, p); the VAE trains on crops to save compute.
    """

    def __init__(self, directory: str | Path, seed: int = 0, crop: int | None = None):
        directory = Path(directory)
        info = json.loads((directory / "tiles.json").read_text(encoding="utf-8"))
        self.rgb = np.load(directory / "rgb.npy", mmap_mode="r")
        self.elevation_m = np.load(directory / "elevation_m.npy", mmap_mode="r")
        self.parts = [PromptParts(**parts) for parts in info["parts"]]
        self.meters_per_pixel = float(info["meters_per_pixel"])
        self.resolution = int(info["resolution"])
        self.seed = seed
        if crop is not None and not 8 <= crop <= self.resolution:
            raise ValueError(f"crop must be 8..{self.resolution} pixels, got {crop}")
        self.crop = crop

    def __len__(self) -> int:
        return len(self.parts)

    def sample_at(self, position: int) -> TerrainSample:
        index = position % len(self)
        rng = np.random.default_rng([self.seed, position, STREAM_CAPTION])
        caption = build_prompt(drop_random_parts(self.parts[index], rng))
        rows = cols = slice(None)
        if self.crop is not None:
            top, left = rng.integers(0, self.resolution - self.crop + 1, size=2)
            rows, cols = slice(top, top + self.crop), slice(left, left + self.crop)
        elevation_m = np.asarray(self.elevation_m[index, rows, cols], dtype=np.float32)
        return TerrainSample(
            rgb=np.asarray(self.rgb[index, rows, cols], dtype=np.float32),
            elevation_m=elevation_m,
            valid_mask=np.ones(elevation_m.shape, dtype=bool),
            caption=caption,
            grid_cell=f"synthetic-tile-{index}",
            meters_per_pixel=self.meters_per_pixel,
        )

    def __getitem__(self, position: int) -> TerrainSample:
        return self.sample_at(position)
