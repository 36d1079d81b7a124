"""Reference sets: held-out tiles the model never trained on, in the form generated terrains take,
and descriptors of training tiles for the memorisation check.

    "synthetic"   held-out ("val") tiles of mesa.data.synthetic (the SHA-256 grid-cell split;
                  training reads "train" only) at the model's native size and ground spacing;
                  training pool: the first `pool` "train" tiles of the same world seed
    a folder      held-out Major TOM cells in the layout the trainer reads: FOLDER/Core-S2L2A and
                  FOLDER/Core-DEM (and FOLDER/Core-S2L1C when present), read by
                  MajorTomDataset(split="val") with full captions (CaptionBuilder(augment=False)),
                  centre crops averaged down to the model's ground spacing; cells with any cloud
                  or nodata pixel in the crop are skipped; training pool: "train" cells

Each tile is a `Terrain` whose prompt is its full caption and whose seed is its tile number.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mesa.errors import UserError
from mesa.evaluation.coupling import block_means
from mesa.evaluation.memorisation import descriptor
from mesa.terrain import GenerationSettings, Terrain

SYNTHETIC = "synthetic"
S2_METERS_PER_PIXEL = 10.0


@dataclass
class ReferenceSet:
    """Held-out tiles and the training pool they are compared with.

    Attributes:
        name: "synthetic" or the Major TOM folder.
        terrains: held-out tiles (prompt: full caption; seed: tile number).
        pool: (M, D) float32 memorisation descriptors of training tiles (memorisation.descriptor).
        description: JSON-ready details (source, split, seeds, counts, sizes).
    """

    name: str
    terrains: list[Terrain]
    pool: np.ndarray
    description: dict = field(default_factory=dict)


def _synthetic_terrain(args: tuple[int, str, int, int, float]) -> Terrain:
    from mesa.data.synthetic import SyntheticTerrainDataset

    seed, split, index, resolution, meters_per_pixel = args
    dataset = SyntheticTerrainDataset(resolution, index + 1, seed, meters_per_pixel, augment_captions=False,
                                      split=split)
    return dataset.terrain(index)


def _synthetic_descriptor(args: tuple[int, str, int, int, float]) -> np.ndarray:
    return descriptor(_synthetic_terrain(args).elevation_m)


def synthetic_reference(tiles: int, pool: int, resolution: int, meters_per_pixel: float, seed: int = 0,
                        workers: int = 2) -> ReferenceSet:
    """`tiles` held-out synthetic tiles and the descriptors of the first `pool` training tiles."""
    held_out = [(seed, "val", index, resolution, meters_per_pixel) for index in range(tiles)]
    training = [(seed, "train", index, resolution, meters_per_pixel) for index in range(pool)]
    with ProcessPoolExecutor(max_workers=workers) as executor:
        terrains = list(executor.map(_synthetic_terrain, held_out, chunksize=8))
        descriptors = list(executor.map(_synthetic_descriptor, training, chunksize=16))
    description = {"source": SYNTHETIC, "split": "val", "world_seed": seed, "tiles": tiles,
                   "tile_numbers": [t.seed for t in terrains], "training_pool": {"split": "train", "tiles": pool},
                   "resolution": resolution, "meters_per_pixel": meters_per_pixel}
    return ReferenceSet(SYNTHETIC, terrains, np.stack(descriptors), description)


def terrain_from_sample(sample, factor: int, number: int) -> Terrain:
    """A Major TOM `TerrainSample` averaged down by `factor` as a `Terrain` (seed = `number`)."""
    rgb = block_means(sample.rgb, sample.rgb.shape[0] // factor) if factor > 1 else sample.rgb
    elevation_m = block_means(sample.elevation_m, sample.elevation_m.shape[0] // factor) if factor > 1 \
        else sample.elevation_m
    elevation_m = np.asarray(elevation_m, np.float32)
    low, span = float(elevation_m.min()), float(np.ptp(elevation_m))
    dem = ((elevation_m - low) / span if span > 0 else np.zeros_like(elevation_m)).astype(np.float32)
    size = elevation_m.shape[0]
    settings = GenerationSettings(sample.caption, height=size, width=size, relief_m=span, base_m=low,
                                  model_id="majortom")
    rgb8 = np.rint(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)
    return Terrain(rgb8, dem, elevation_m, sample.meters_per_pixel * factor, number, settings)


def _valid_majortom_terrains(dataset, count: int, factor: int) -> list[Terrain]:
    terrains = []
    for positioned in itertools.islice(
            (p for p in dataset.iter_samples(0, len(dataset)) if p.sample.valid_mask.all()), count):
        terrains.append(terrain_from_sample(positioned.sample, factor, positioned.position))
    return terrains


def majortom_reference(root: Path, tiles: int, pool: int, resolution: int, meters_per_pixel: float,
                       ecoregions: Path | None = None) -> ReferenceSet:
    """Held-out Major TOM cells under `root` (see the module docstring) at the model's size and spacing."""
    from mesa.captions.builder import CaptionBuilder
    from mesa.data.majortom import MajorTomDataset

    factor = meters_per_pixel / S2_METERS_PER_PIXEL
    if factor < 1 or abs(factor - round(factor)) > 1e-6:
        raise UserError(f"a Major TOM reference needs a model whose metres per pixel are a whole multiple of "
                        f"{S2_METERS_PER_PIXEL:g} (Sentinel-2's); this one has {meters_per_pixel:g}")
    factor = round(factor)
    collections = {name: root / f"Core-{name}" for name in ("S2L2A", "DEM", "S2L1C")}
    for name in ("S2L2A", "DEM"):
        if not collections[name].is_dir():
            raise UserError(f"{root} is not a Major TOM reference: it lacks {collections[name].name}/ "
                            "(expected Core-S2L2A/ and Core-DEM/, optionally Core-S2L1C/, as the trainer reads them)")
    l1c = collections["S2L1C"] if collections["S2L1C"].is_dir() else None
    builder = CaptionBuilder.from_files(ecoregions, augment=False)

    def dataset(split: str):
        return MajorTomDataset(collections["S2L2A"], collections["DEM"], l1c, resolution=resolution * factor,
                               split=split, crop="centre", shuffle=False, caption_builder=builder)

    terrains = _valid_majortom_terrains(dataset("val"), tiles, factor)
    training = _valid_majortom_terrains(dataset("train"), pool, factor)
    if len(terrains) < 4 or not training:
        raise UserError(f"{root} has {len(terrains)} usable held-out cells and {len(training)} training cells; "
                        "the scorecard needs at least 4 held-out cells (cloud- and nodata-free) and 1 training cell")
    description = {"source": str(root), "split": "val", "tiles": len(terrains),
                   "cells": [t.seed for t in terrains], "training_pool": {"split": "train", "tiles": len(training)},
                   "resolution": resolution, "meters_per_pixel": meters_per_pixel, "averaged_by": factor}
    return ReferenceSet(str(root), terrains, np.stack([descriptor(t.elevation_m) for t in training]), description)
