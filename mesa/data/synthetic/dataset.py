"""`SyntheticTerrainDataset`: procedurally generated TerrainSamples, deterministic per (seed, index).

Held-out split: tile `k` of the synthetic world `seed` has the grid cell "synthetic-{seed}-{k}"
and belongs to "val" when `mesa.data.split.is_held_out` says so (the SHA-256 rule Major TOM cells
use, ~10 %). A dataset of split "train" (the default, what training reads) or "val" numbers the
tiles of its split 0, 1, 2, ...: sample i is the i-th tile of the world in that split, so no
"train" dataset of any length ever yields a "val" tile.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from mesa.data.sample import TerrainSample
from mesa.data.split import HELD_OUT_FRACTION, SPLITS, in_split
from mesa.data.synthetic.captions import make_caption
from mesa.data.synthetic.generate import MIN_RESOLUTION, TILE_EXTENT_M, generate_tile
from mesa.data.synthetic.params import SyntheticParams, sample_params
from mesa.terrain import GenerationSettings, Terrain


class SyntheticTerrainDataset:
    """A map-style dataset of synthetic terrain tiles (usable as a torch Dataset).

    Sample i is a pure function of (seed, split, i, resolution, meters_per_pixel, augment_captions):
    regenerating it, in any order or process, gives identical arrays and caption.

    Args:
        resolution: tile side, pixels (>= 32).
        length: number of samples (>= 1).
        seed: dataset seed (>= 0).
        meters_per_pixel: ground sampling distance; default 7680 / resolution, so a tile always
            covers a 7.68 km Major TOM cell.
        augment_captions: drop caption parts at random as for real training data.
        split: "train" (default), "val" (the held-out tiles) or "all" (every tile: sample i is
            tile i of the world, the numbering before the split existed).
        held_out_fraction: share of the world's tiles in "val".
    """

    def __init__(
        self,
        resolution: int = 128,
        length: int = 10_000,
        seed: int = 0,
        meters_per_pixel: float | None = None,
        augment_captions: bool = True,
        split: str = "train",
        held_out_fraction: float = HELD_OUT_FRACTION,
    ) -> None:
        if not isinstance(resolution, int) or resolution < MIN_RESOLUTION:
            raise ValueError(f"resolution must be an int >= {MIN_RESOLUTION}, got {resolution!r}")
        if not isinstance(length, int) or length < 1:
            raise ValueError(f"length must be an int >= 1, got {length!r}")
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")
        if meters_per_pixel is not None and not meters_per_pixel > 0:
            raise ValueError(f"meters_per_pixel must be > 0 (or None for 7680 / resolution), got {meters_per_pixel!r}")
        self.resolution = resolution
        self.length = length
        self.seed = seed
        self.meters_per_pixel = float(meters_per_pixel or TILE_EXTENT_M / resolution)
        self.augment_captions = augment_captions
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        if not (0.0 < held_out_fraction < 1.0 or (held_out_fraction == 0.0 and split != "val")):
            raise ValueError(f"held_out_fraction must be in (0, 1) (0 only without a val split), got {held_out_fraction!r}")
        self.split = split
        self.held_out_fraction = held_out_fraction
        self._world_indices = split_indices(seed, length, split, held_out_fraction)

    def __len__(self) -> int:
        return self.length

    def _check_index(self, index: int) -> int:
        if not isinstance(index, (int, np.integer)):
            raise TypeError(f"index must be an int, got {type(index).__name__}")
        if not -self.length <= index < self.length:
            raise IndexError(f"index {index} out of range for a dataset of {self.length} samples")
        return int(index) % self.length

    def world_index(self, index: int) -> int:
        """The world tile number (the k of grid cell "synthetic-{seed}-{k}") of sample `index`."""
        return int(self._world_indices[self._check_index(index)])

    def sample_params(self, index: int) -> SyntheticParams:
        """The typed parameters (biome, landform, country, month, hemisphere, relief...) of sample `index`."""
        return sample_params(self.seed, self.world_index(index))

    def sample_at(self, position: int) -> TerrainSample:
        """The sample at a stream position: tile position % length (epochs repeat the tiles)."""
        return self[position % self.length]

    def __getitem__(self, index: int) -> TerrainSample:
        params = self.sample_params(index)
        tile = generate_tile(params, self.resolution, self.meters_per_pixel)
        return TerrainSample(
            rgb=tile.rgb,
            elevation_m=tile.elevation_m,
            valid_mask=np.ones(tile.elevation_m.shape, dtype=bool),
            caption=make_caption(params, self.augment_captions),
            grid_cell=params.grid_cell,
            meters_per_pixel=tile.meters_per_pixel,
        )

    def terrain(self, index: int) -> Terrain:
        """Sample `index` as a `Terrain`, the form generated terrains take (for side-by-side
        sheets and the scorecard): rgb as uint8, the unaugmented caption as its prompt, the
        world tile number as its seed, model id "synthetic"."""
        params = self.sample_params(index)
        tile = generate_tile(params, self.resolution, self.meters_per_pixel)
        elevation_m = tile.elevation_m.astype(np.float32)
        low, span = float(elevation_m.min()), float(np.ptp(elevation_m))
        dem = ((elevation_m - low) / span if span > 0 else np.zeros_like(elevation_m)).astype(np.float32)
        settings = GenerationSettings(make_caption(params, augment=False), height=self.resolution,
                                      width=self.resolution, relief_m=span, base_m=low, model_id="synthetic")
        rgb = np.rint(np.clip(tile.rgb, 0.0, 1.0) * 255.0).astype(np.uint8)
        return Terrain(rgb, dem, elevation_m, tile.meters_per_pixel, int(params.index), settings)

    def iter_samples(self, start: int = 0) -> Iterator[TerrainSample]:
        """Samples start, start + 1, ..., len - 1 (resume a run from where it stopped)."""
        if not 0 <= start <= self.length:
            raise IndexError(f"start must be in 0..{self.length}, got {start}")
        for index in range(start, self.length):
            yield self[index]

    def __iter__(self) -> Iterator[TerrainSample]:
        return self.iter_samples(0)


def grid_cell_of(seed: int, world_index: int) -> str:
    """The grid cell id of world tile `world_index` (as `SyntheticParams.grid_cell` spells it)."""
    return f"synthetic-{seed}-{world_index}"


def split_indices(seed: int, length: int, split: str, held_out_fraction: float = HELD_OUT_FRACTION) -> np.ndarray:
    """(length,) int64 world tile numbers of the first `length` tiles of `split`, in order."""
    if split == "all":
        return np.arange(length, dtype=np.int64)
    indices, world_index = [], 0
    while len(indices) < length:
        if in_split(grid_cell_of(seed, world_index), split, held_out_fraction):
            indices.append(world_index)
        world_index += 1
    return np.asarray(indices, dtype=np.int64)
