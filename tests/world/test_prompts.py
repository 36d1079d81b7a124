"""Prompt maps: one prompt, a grid per cell, or a coarse painted map stretched over the canvas."""

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.world.layout import WorldLayout
from mesa.world.prompts import make_prompt_map, pad_map, prompt_grid_from_parts


def test_one_prompt_covers_everything():
    prompt_map = make_prompt_map("hills", (16, 32))
    assert prompt_map.prompts == ("hills",) and prompt_map.labels.shape == (16, 32)
    assert not prompt_map.labels.any()


def test_a_coarse_map_is_stretched_over_the_canvas():
    prompt_map = make_prompt_map([["a", "b"], ["c", "a"]], (64, 64))
    assert prompt_map.prompts == ("a", "b", "c")  # distinct, in order of first appearance
    assert prompt_map.labels[0, 0] == 0 and prompt_map.labels[0, 63] == 1
    assert prompt_map.labels[63, 0] == 2 and prompt_map.labels[63, 63] == 0
    assert prompt_map.labels[31, 31] == 0 and prompt_map.labels[32, 31] == 2
    np.testing.assert_allclose(prompt_map.mixture(slice(16, 48), slice(16, 48)), [0.5, 0.25, 0.25])


def test_cell_prompts_report_each_cells_share():
    layout = WorldLayout(2, 1, 16, 2)
    prompt_map = make_prompt_map([["plains", "plains", "mountains"]], layout.latent_shape)
    assert prompt_map.cell_prompts(layout, 0, 0) == {"plains": 1.0}
    assert prompt_map.cell_prompts(layout, 1, 0) == {"plains": 0.375, "mountains": 0.625}


@pytest.mark.parametrize("grid, message", [
    ([], "non-empty grid"),
    ([["a", "b"], ["c"]], "same number of prompts"),
    ([["a", 3]], "must hold text"),
    (["ab", "cd"], "non-empty grid"),
    ([["a"] * 33], "takes at most 32 x 16"),
    (42, "non-empty grid"),
])
def test_bad_prompt_maps_are_refused(grid, message):
    with pytest.raises(UserError, match=message):
        make_prompt_map(grid, (16, 32))


def test_painted_biome_and_landform_maps_become_captions():
    grid = prompt_grid_from_parts([["deserts", "tundra"]], [["hills", "mountains"]], country="Chile")
    assert grid == [["A Sentinel-2 image of deserts and hills in Chile",
                     "A Sentinel-2 image of tundra and mountains in Chile"]]
    assert prompt_grid_from_parts(landforms=[["plains"]], month="May") == [["A Sentinel-2 image of plains in May"]]
    with pytest.raises(UserError, match="same shape"):
        prompt_grid_from_parts([["deserts"]], [["hills", "plains"]])
    with pytest.raises(UserError, match="give a biome map"):
        prompt_grid_from_parts()


def test_padding_continues_the_edge_or_paints_the_new_prompt():
    prompt_map = make_prompt_map([["a", "b"]], (4, 4))
    grown = pad_map(prompt_map, ((0, 0), (0, 2)), None)
    assert grown.prompts == ("a", "b") and (grown.labels[:, 4:] == 1).all()
    painted = pad_map(prompt_map, ((2, 0), (0, 0)), "c")
    assert painted.prompts == ("a", "b", "c") and (painted.labels[:2] == 2).all()
    assert (painted.labels[2:] == prompt_map.labels).all()
