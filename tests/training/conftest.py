"""Tiny training fixtures: the reference checkpoint's text encoder and VAE, a 2-level UNet config,
and an in-memory TerrainSample source (no network, no real weights)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mesa.data.sample import TerrainSample
from mesa.training.config import TrainConfig

RESOLUTION = 32  # pixels; the reference VAE halves it: 16 x 16 latents

TINY_UNET = {
    "sample_size": 16, "in_channels": 4, "out_channels": 4, "layers_per_block": 1,
    "block_out_channels": [8, 16], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "cross_attention_dim": 32,
    "attention_head_dim": 2, "norm_num_groups": 4, "use_linear_projection": True,
}


class ListSource:
    """A TerrainSource of a few fixed tiles read in turn (half of tile 1 is invalid)."""

    meters_per_pixel = 30.0

    def __init__(self, count: int = 4, size: int = RESOLUTION, seed: int = 0):
        rng = np.random.default_rng(seed)
        yy, xx = np.mgrid[0:size, 0:size] / size
        self.samples = []
        for index in range(count):
            elevation_m = (1000 + 800 * np.sin(6 * xx + index) * np.cos(4 * yy)).astype(np.float32)
            rgb = np.stack([xx, yy, 0.5 + 0.4 * np.sin(3 * xx * (index + 1))], axis=-1).astype(np.float32)
            rgb = np.clip(rgb + rng.normal(0, 0.02, rgb.shape), 0, 1).astype(np.float32)
            valid = np.ones((size, size), dtype=bool)
            if index == 1:
                valid[:, size // 2:] = False
            self.samples.append(TerrainSample(rgb, elevation_m, valid, f"terrain number {index}", f"cell_{index}", 30.0))

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> TerrainSample:
        return self.samples[index]

    def sample_at(self, position: int) -> TerrainSample:
        return self.samples[position % len(self.samples)]


@pytest.fixture(autouse=True)
def fresh_accelerate_state():
    """Accelerate keeps process-wide state; start every test from a clean one."""
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=True)
    yield
    AcceleratorState._reset_state(reset_partial_state=True)


@pytest.fixture
def pipeline_dir(reference_dir: Path) -> Path:
    return reference_dir / "pipeline"


@pytest.fixture
def tiny_unet_config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny_unet.json"
    path.write_text(json.dumps(TINY_UNET), encoding="utf-8")
    return path


@pytest.fixture
def tiny_config(tmp_path: Path, tiny_unet_config: Path, pipeline_dir: Path):
    """A factory of TrainConfig for a tiny from-scratch UNet around the reference components."""

    def make(**overrides) -> TrainConfig:
        values = dict(init_from_config=str(tiny_unet_config), components_from=str(pipeline_dir),
                      resolution=RESOLUTION, batch_size=2, max_steps=4, checkpoint_every=2, log_every=1,
                      validation_every=0, learning_rate=1e-3, output_dir=str(tmp_path / "run"), seed=3)
        values.update(overrides)
        return TrainConfig(**values)

    return make
