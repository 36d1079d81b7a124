"""From TerrainSample sources to resumable batches of tensors.

Positions: every source is a `TerrainSource`, read by integer position (`sample_at(p)`, None for a
skipped position such as a cloudy Major TOM cell). Each process (rank r of W) reads through
k "lanes" (k = data loader workers, at least 1); lane l reads positions r + W*l, then every W*k.
A lane fills a whole batch, and batch n of a rank comes from lane n % k, so the data position
(`DataPosition`) is just each lane's next position plus the batches consumed, and a resumed run
reads exactly the batches an uninterrupted one would have read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from mesa.data.normalization import ElevationNormalization
from mesa.data.raster import mask_to_latent
from mesa.data.sample import TerrainSample, TerrainSource
from mesa.errors import UserError
from mesa.training.config import DataConfig

MAX_EMPTY_POSITIONS = 10_000  # consecutive skipped positions before a lane gives up


@dataclass
class Batch:
    """One batch for the trainer.

    Attributes:
        rgb: (B, 3, H, W) float32 colour in [-1, 1] (rgb * 2 - 1).
        elevation: (B, 3, H, W) float32 normalised elevation in [-1, 1], replicated to 3 channels.
        pixel_mask: (B, 1, H, W) bool, True where both modalities are valid.
        latent_mask: (B, 1, H/f, W/f) bool, True where every pixel the latent covers is valid.
        input_ids: (B, L) int64 CLIP token ids, padded to the tokenizer's length (L = 0 without one).
        captions: the B captions (empty where caption dropout removed them).
        positions: the B source positions.
        lane: the lane that produced this batch.
        next_position: that lane's next position to read.
        meters_per_pixel: ground sampling distance shared by the B samples.
    """

    rgb: torch.Tensor
    elevation: torch.Tensor
    pixel_mask: torch.Tensor
    latent_mask: torch.Tensor
    input_ids: torch.Tensor
    captions: list[str]
    positions: list[int]
    lane: int
    next_position: int
    meters_per_pixel: float


@dataclass
class DataPosition:
    """Where one process is in the data: each lane's next position and the batches consumed."""

    lane_next: list[int]
    batches: int = 0

    @classmethod
    def start(cls, rank: int, world_size: int, lanes: int) -> DataPosition:
        return cls([rank + world_size * lane for lane in range(lanes)], 0)

    def advance(self, batch: Batch) -> None:
        self.lane_next[batch.lane] = batch.next_position
        self.batches += 1

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, value: object) -> DataPosition:
        """The position a checkpoint recorded; ValueError unless it is {"lane_next": [int >= 0, ...],
        "batches": int >= 0} with at least one lane."""
        if not isinstance(value, dict) or set(value) != {"lane_next", "batches"}:
            raise ValueError("a data position is {\"lane_next\": [...], \"batches\": n}")
        lane_next, batches = value["lane_next"], value["batches"]
        if not isinstance(lane_next, list) or not lane_next or not all(_count(p) for p in [*lane_next, batches]):
            raise ValueError("data position values must be whole numbers >= 0, with at least one lane")
        return cls(list(lane_next), batches)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass
class Collator:
    """TerrainSample list -> Batch (tokenises, normalises elevation, builds the masks).

    `tokenizer` may be None (the VAE trainer needs no text): input_ids is then (B, 0).
    """

    tokenizer: object
    normalization: ElevationNormalization
    latent_factor: int
    caption_dropout: float = 0.0
    seed: int = 0

    def __call__(self, positioned: list[tuple[int, TerrainSample]], lane: int, next_position: int) -> Batch:
        positions = [position for position, _ in positioned]
        samples = [sample for _, sample in positioned]
        if len({sample.meters_per_pixel for sample in samples}) > 1:
            raise ValueError("a batch mixes ground sampling distances; train on one meters_per_pixel")
        rgb = np.stack([sample.rgb.astype(np.float32) * 2.0 - 1.0 for sample in samples])
        unit = np.stack([self.normalization.to_unit(s.elevation_m, s.valid_mask) for s in samples])
        masks = np.stack([sample.valid_mask.astype(bool) for sample in samples])
        latent_masks = np.stack([mask_to_latent(mask, self.latent_factor) for mask in masks])
        captions = [self._caption(sample.caption, position) for position, sample in positioned]
        input_ids = torch.zeros(len(samples), 0, dtype=torch.int64)
        if self.tokenizer is not None:
            input_ids = self.tokenizer(captions, padding="max_length", max_length=self.tokenizer.model_max_length,
                                       truncation=True, return_tensors="pt").input_ids
        return Batch(
            rgb=torch.from_numpy(rgb).permute(0, 3, 1, 2).contiguous(),
            elevation=torch.from_numpy(unit)[:, None].expand(-1, 3, -1, -1).contiguous(),
            pixel_mask=torch.from_numpy(masks)[:, None],
            latent_mask=torch.from_numpy(latent_masks)[:, None],
            input_ids=input_ids, captions=captions, positions=positions, lane=lane,
            next_position=next_position, meters_per_pixel=float(samples[0].meters_per_pixel),
        )

    def _caption(self, caption: str, position: int) -> str:
        if self.caption_dropout and np.random.default_rng([self.seed, position, 1]).random() < self.caption_dropout:
            return ""
        return caption


@dataclass
class BatchStream(torch.utils.data.IterableDataset):
    """Endless batches for one process; see the module docstring for the lane layout."""

    source: TerrainSource
    collate: Collator
    batch_size: int
    world_size: int
    position: DataPosition
    _lanes: int = field(init=False)

    def __post_init__(self) -> None:
        super().__init__()
        self._lanes = len(self.position.lane_next)

    def __iter__(self) -> Iterator[Batch]:
        info = torch.utils.data.get_worker_info()
        worker, workers = (0, 1) if info is None else (info.id, info.num_workers)
        if workers != self._lanes:
            raise RuntimeError(f"stream built for {self._lanes} lanes but read by {workers} workers")
        lane = (self.position.batches + worker) % self._lanes
        next_position, stride = self.position.lane_next[lane], self.world_size * self._lanes
        while True:
            positioned, empty = [], 0
            while len(positioned) < self.batch_size:
                sample = self.source.sample_at(next_position)
                if sample is not None:
                    positioned.append((next_position, sample))
                    empty = 0
                elif (empty := empty + 1) > MAX_EMPTY_POSITIONS:
                    raise UserError(f"{MAX_EMPTY_POSITIONS} positions in a row had no valid sample; check the data")
                next_position += stride
            yield self.collate(positioned, lane, next_position)


def normalization_of(config: DataConfig) -> ElevationNormalization:
    """The elevation normalisation the config asks for (recorded in the model's elevation.json)."""
    try:
        return ElevationNormalization(config.elevation_mode, config.elevation_min_m, config.elevation_max_m)
    except ValueError as error:
        raise UserError(str(error)) from None


def build_loader(source: TerrainSource, collate: Collator, batch_size: int, world_size: int,
                 position: DataPosition, num_workers: int) -> torch.utils.data.DataLoader:
    """A DataLoader over a BatchStream; `num_workers` must equal the lanes (or be 0 for one lane)."""
    stream = BatchStream(source, collate, batch_size, world_size, position)
    return torch.utils.data.DataLoader(stream, batch_size=None, num_workers=num_workers,
                                       persistent_workers=num_workers > 0)
