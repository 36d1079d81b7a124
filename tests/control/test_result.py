"""Results are `Terrain`s that also carry how they were controlled; progress over several passes."""

import json

import numpy as np
import pytest

from mesa.control import ControlledTerrain, ControlSettings
from mesa.control.result import chained_progress
from mesa.pipeline import StepProgress
from mesa.terrain import GenerationSettings, Terrain


def test_controlled_terrain_is_a_terrain_with_its_control_in_the_provenance():
    terrain = Terrain(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.float32), np.zeros((4, 4), np.float32),
                      30.0, 5, GenerationSettings("hills"))
    controlled = ControlledTerrain.of(terrain, ControlSettings("guide", 0.5, "sketch", {"guide_scale_px": 8.0}))
    assert isinstance(controlled, Terrain) and controlled.rgb is terrain.rgb and controlled.seed == 5
    provenance = json.loads(json.dumps(controlled.provenance()))
    assert provenance["prompt"] == "hills" and provenance["seed"] == 5
    assert provenance["control"] == {"mode": "guide", "strength": 0.5, "source": "sketch",
                                     "details": {"guide_scale_px": 8.0}}
    with pytest.raises(ValueError, match="mode"):
        ControlSettings("inpaint")


def test_chained_progress_counts_on_across_passes():
    seen = []
    first, second = chained_progress(lambda p: seen.append((p.step, p.total_steps)), [3, 2])
    for step in (1, 2, 3):
        first(StepProgress(step, 3, 999))
    for step in (1, 2):
        second(StepProgress(step, 2, 500))
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
    assert chained_progress(None, [3, 2]) == [None, None]
