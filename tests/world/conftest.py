"""Worlds made once per session from the reference fixture (tiny random weights, 32 px tiles,
no elevation.json: the published model's relative-elevation path), two DDIM steps each."""

from __future__ import annotations

import pytest

STEPS = 2
SEED = 7


@pytest.fixture(scope="session")
def hills_world(tiny_pipeline):
    """A 2 x 1 world of one prompt at the default 0.5 overlap."""
    from mesa.world import generate_world

    return generate_world(tiny_pipeline, "hills", SEED, tiles=(2, 1), steps=STEPS)


@pytest.fixture(scope="session")
def landform_world(tiny_pipeline):
    """A 2 x 1 world painted "plains" in the west and "mountains" in the east."""
    from mesa.world import generate_world

    return generate_world(tiny_pipeline, [["plains", "mountains"]], SEED, tiles=(2, 1), steps=STEPS)
