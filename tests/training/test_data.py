"""Batches: value ranges, the latent mask rule, and exact resumption of the data position."""

from __future__ import annotations

import itertools

import numpy as np
import torch
from transformers import CLIPTokenizer

from mesa.data.normalization import ElevationNormalization
from mesa.training.data import BatchStream, Collator, DataPosition, build_loader
from tests.training.conftest import ListSource


def collator(pipeline_dir, dropout: float = 0.0) -> Collator:
    tokenizer = CLIPTokenizer.from_pretrained(pipeline_dir / "tokenizer")
    return Collator(tokenizer, ElevationNormalization("global", 0.0, 2000.0), latent_factor=8, caption_dropout=dropout)


def test_collate_ranges_channels_and_masks(pipeline_dir):
    source = ListSource(count=2)
    source.samples[0].valid_mask[3, 3] = False  # one pixel invalidates its 8 x 8 latent pixel
    batch = collator(pipeline_dir)([(0, source[0]), (1, source[1])], lane=0, next_position=2)
    assert batch.rgb.shape == batch.elevation.shape == (2, 3, 32, 32)
    assert batch.rgb.min() >= -1 and batch.rgb.max() <= 1
    assert torch.equal(batch.elevation[:, 0], batch.elevation[:, 2])
    expected = source[0].elevation_m / 1000.0 - 1.0
    assert np.allclose(batch.elevation[0, 0].numpy()[source[0].valid_mask], expected[source[0].valid_mask], atol=1e-5)
    assert batch.latent_mask.shape == (2, 1, 4, 4)
    assert not batch.latent_mask[0, 0, 0, 0] and batch.latent_mask[0, 0].sum() == 15
    assert batch.latent_mask[1, 0, :, :2].all() and not batch.latent_mask[1, 0, :, 2:].any()
    assert batch.input_ids.shape[0] == 2 and batch.meters_per_pixel == 30.0


def test_caption_dropout_is_deterministic_per_position(pipeline_dir):
    collate = collator(pipeline_dir, dropout=0.5)
    source = ListSource(count=1)
    first = [collate([(p, source[0])], 0, p + 1).captions[0] for p in range(40)]
    again = [collate([(p, source[0])], 0, p + 1).captions[0] for p in range(40)]
    assert first == again and "" in first and "terrain number 0" in first


class Skipping(ListSource):
    """Skips every third position, like a cloudy Major TOM cell."""

    def sample_at(self, position: int):
        return None if position % 3 == 2 else self.samples[position % len(self.samples)]


def take(stream: BatchStream, count: int, position: DataPosition) -> list:
    batches = list(itertools.islice(iter(stream), count))
    for batch in batches:
        position.advance(batch)
    return batches


def test_resumed_stream_continues_exactly(pipeline_dir):
    collate, source = collator(pipeline_dir), Skipping(count=5)
    full = take(BatchStream(source, collate, 2, 1, DataPosition.start(0, 1, 1)), 6, DataPosition.start(0, 1, 1))
    position = DataPosition.start(0, 1, 1)
    take(BatchStream(source, collate, 2, 1, position), 3, position)
    resumed = take(BatchStream(source, collate, 2, 1, DataPosition(list(position.lane_next), position.batches)), 3,
                   position)
    assert [b.positions for b in full] == [b.positions for b in full[:3]] + [b.positions for b in resumed]
    assert all(p % 3 != 2 for b in full for p in b.positions)


def loader_batches(source, collate, rank: int, position: DataPosition, count: int) -> list:
    batches = list(itertools.islice(iter(build_loader(source, collate, 2, 2, position, num_workers=2)), count))
    for batch in batches:
        position.advance(batch)
    return batches


def test_ranks_and_worker_lanes_are_disjoint_and_resume_exactly(pipeline_dir):
    """2 processes x 2 worker lanes: no position read twice; a resumed loader continues the sequence."""
    collate, source = collator(pipeline_dir), Skipping(count=4)
    seen = []
    for rank in range(2):
        full = loader_batches(source, collate, rank, DataPosition.start(rank, 2, 2), 6)
        position = DataPosition.start(rank, 2, 2)
        first = loader_batches(source, collate, rank, position, 3)
        resumed = loader_batches(source, collate, rank, DataPosition(list(position.lane_next), position.batches), 3)
        assert [b.positions for b in full] == [b.positions for b in first + resumed]
        seen.append([p for b in full for p in b.positions])
    assert len(set(seen[0]) | set(seen[1])) == len(seen[0]) + len(seen[1]) == 24
