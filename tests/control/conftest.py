"""Fixtures for spatial control: terrains and heightmaps as users bring them, and the bundled model."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from mesa.pipeline.elevation import CheckpointElevation


@pytest.fixture(scope="session")
def mesa_tiny():
    """The bundled mesa-tiny model (global metres, elevation.json), loaded once; read-only."""
    from mesa.pipeline import TerrainPipeline

    return TerrainPipeline.from_pretrained("mesa-tiny")


@pytest.fixture
def global_pipeline(tiny_pipeline):
    """The reference fixture as if it declared a global -100..8,100 m normalisation (a shallow
    copy: the shared fixture is not changed)."""
    pipe = copy.copy(tiny_pipeline)
    pipe.checkpoint_elevation = CheckpointElevation(-100.0, 8100.0, 60.0)
    return pipe


@pytest.fixture
def heightmap_m() -> np.ndarray:
    """(32, 32) float32 metres, 120..980 m: a ridge running north-south with a valley east of it."""
    rows, columns = np.mgrid[0:32, 0:32] / 31.0
    surface = 500 * np.exp(-((columns - 0.35) / 0.15) ** 2) - 300 * np.exp(-((columns - 0.75) / 0.1) ** 2)
    surface = surface + 200 * rows
    return (120 + 860 * (surface - surface.min()) / np.ptp(surface)).astype(np.float32)


@pytest.fixture(scope="session")
def held_out_tiles():
    """Two synthetic tiles mesa-tiny never saw (past its 2,000 training tiles, held-out cells)."""
    from mesa.data.split import is_held_out
    from mesa.data.synthetic import SyntheticTerrainDataset

    dataset = SyntheticTerrainDataset(128, 3000, seed=0, split="all")
    indices = [i for i in range(2000, 3000) if is_held_out(dataset.sample_params(i).grid_cell)]
    return [dataset.terrain(i) for i in indices[:2]]
