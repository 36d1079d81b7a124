"""benchmarks/biomes_mesa_tiny.py: cells of biome x landform read apart, beside held-out tiles of the cell."""

from types import SimpleNamespace

import numpy as np
import pytest

from benchmarks.biomes_mesa_tiny import contrast, generated_measures, held_out_tiles, training_counts
from mesa.evaluation.adherence import DESERT, RAINFOREST


def test_held_out_cells_show_the_data_s_biome_colour():
    tiles = held_out_tiles([(DESERT, "plains"), (RAINFOREST, "plains")], count=3, resolution=32)
    assert [len(found) for found in tiles.values()] == [3, 3]
    desert, forest = (np.array(tiles[(b, "plains")]) for b in (DESERT, RAINFOREST))
    assert desert[:, 1].mean() > forest[:, 1].mean() + 0.03  # aridity: sand against forest
    assert forest[:, 2].mean() > desert[:, 2].mean() + 0.03  # greenness


def test_held_out_hills_rise_above_plains_in_a_wet_biome_too():
    tiles = held_out_tiles([(RAINFOREST, "plains"), (RAINFOREST, "hills")], count=3, resolution=32)
    plains, hills = (np.array(tiles[(RAINFOREST, lf)])[:, 0] for lf in ("plains", "hills"))
    assert np.median(hills) > 2 * np.median(plains)


def test_a_cell_the_world_never_draws_comes_back_empty_without_hanging():
    tiles = held_out_tiles([(DESERT, "no such landform")], count=2, resolution=32, limit=50)
    assert tiles == {(DESERT, "no such landform"): []}


def test_training_counts_cover_every_terrain_and_desert_mountains_are_rare():
    counts = training_counts(400)
    assert sum(counts.values()) == 400
    deserts = sum(n for (biome, _), n in counts.items() if biome == DESERT)
    assert counts[(DESERT, "mountains")] < 0.25 * max(deserts, 1)


def test_contrast_is_paired_by_seed():
    mean, share = contrast([0.3, 0.1, 0.2, 0.0], [0.1, 0.2, 0.1, 0.1])
    assert mean == pytest.approx(0.025)
    assert share == 0.5


def _painter(prompt, seeds):
    colour = (200, 170, 110) if "deserts" in prompt else (40, 110, 50)
    rise = 500.0 if "mountains" in prompt else 20.0
    ramp = np.linspace(0.0, rise, 64, dtype=np.float32).reshape(8, 8)
    return [SimpleNamespace(rgb=np.full((8, 8, 3), colour, np.uint8), elevation_m=ramp) for _ in seeds]


def test_generated_measures_use_the_scorecard_prompt_of_each_cell():
    made = generated_measures(_painter, [DESERT, RAINFOREST], ["plains", "mountains"], range(3))
    assert set(made) == {(b, lf) for b in (DESERT, RAINFOREST) for lf in ("plains", "mountains")}
    assert made[(DESERT, "mountains")].shape == (3, 4)
    assert made[(DESERT, "mountains")][0, 0] > 10 * made[(DESERT, "plains")][0, 0]  # relief, metres
    mean, share = contrast(made[(DESERT, "mountains")][:, 1], made[(RAINFOREST, "mountains")][:, 1])
    assert mean > 0.2 and share == 1.0
    with pytest.raises(ValueError, match="no scorecard prompt"):
        generated_measures(_painter, [DESERT], ["no such landform"], range(1))


@pytest.mark.parametrize("arguments, named", [(["--biomes", "13", "99"], "unknown biome id"),
                                              (["--landforms", "plains", "craters"], "unknown landform"),
                                              (["--seeds", "0"], "--seeds must be at least 1")])
def test_bad_arguments_are_refused_before_any_model_loads(arguments, named, capsys):
    from benchmarks.biomes_mesa_tiny import main

    with pytest.raises(SystemExit) as stop:
        main(arguments + ["--model", "no-such-model"])
    assert stop.value.code == 2
    assert named in capsys.readouterr().err
