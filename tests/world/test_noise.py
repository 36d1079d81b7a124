"""A cell's starting noise depends only on (seed, cell position)."""

import torch

from mesa.pipeline.request import MAX_SEED
from mesa.world.noise import canvas_noise, cell_seed


def test_cell_seeds_are_the_seed_at_the_origin_and_derived_elsewhere():
    assert cell_seed(7, 0, 0) == 7
    seeds = {cell_seed(7, column, row) for column in range(-2, 3) for row in range(-2, 3)}
    assert len(seeds) == 25 and all(0 <= s <= MAX_SEED for s in seeds)
    assert cell_seed(7, 1, 0) == cell_seed(7, 1, 0) != cell_seed(8, 1, 0)
    assert cell_seed(7, 1, 0) != cell_seed(7, 0, 1)


def test_a_one_cell_canvas_is_the_pipelines_own_noise(tiny_pipeline):
    noise, _ = tiny_pipeline.initial_noise([7], 32, 32)
    assert torch.equal(canvas_noise(tiny_pipeline, 7, 1, 1), noise)


def test_a_cell_has_the_same_noise_in_any_world_that_holds_it(tiny_pipeline):
    small = canvas_noise(tiny_pipeline, 7, 2, 1)
    large = canvas_noise(tiny_pipeline, 7, 3, 2)
    assert small.shape == (1, 8, 16, 32) and large.shape == (1, 8, 32, 48)
    assert torch.equal(small, large[..., :16, :32])
    grown_west = canvas_noise(tiny_pipeline, 7, 3, 1, origin=(-1, 0))
    assert torch.equal(grown_west[..., 16:], small)
    alone, _ = tiny_pipeline.initial_noise([cell_seed(7, 1, 0)], 32, 32)
    assert torch.equal(large[..., :16, 16:32], alone)
    assert not torch.equal(small[..., :16], small[..., 16:])
