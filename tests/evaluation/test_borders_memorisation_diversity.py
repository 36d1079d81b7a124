"""Border artefacts, near-copies of training tiles and seed-to-seed differences on fixed inputs."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.evaluation.borders import (
    CORNER_SPIKE_RELIEFS,
    border_artefacts,
    corner_spike_reliefs,
    ring_step_m,
)
from mesa.evaluation.diversity import diversity, mean_pairwise_rmse_m, seed_difference
from mesa.evaluation.memorisation import (
    descriptor,
    descriptors,
    memorisation,
    nearest_distances,
)
from tests.evaluation.conftest import make_terrain
from tests.evaluation.test_statistics import power_law_surface

GREY = np.full((32, 32, 3), 0.4)


def test_a_raised_rim_is_the_ring_step():
    elevation = np.full((32, 32), 100.0)
    elevation[:4, :] = elevation[-4:, :] = elevation[:, :4] = elevation[:, -4:] = 150.0
    assert ring_step_m(elevation) == pytest.approx(50.0)
    assert ring_step_m(np.full((32, 32), 7.0)) == 0.0
    tilted = np.tile(np.arange(32.0), (32, 1))  # a plane: the rings' means are equal
    assert ring_step_m(tilted) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="too small"):
        ring_step_m(np.zeros((16, 16)))


def test_a_corner_spike_is_found_and_a_smooth_tile_has_none():
    elevation = power_law_surface(3.0, size=32) * 10 + 100
    assert corner_spike_reliefs(elevation) < CORNER_SPIKE_RELIEFS
    spiked = elevation.copy()
    relief = np.percentile(elevation, 98) - np.percentile(elevation, 2)
    spiked[0, -1] = np.percentile(elevation, 98) + 3 * relief
    assert corner_spike_reliefs(spiked) == pytest.approx(3.0, rel=0.05)
    result = border_artefacts([make_terrain(GREY, elevation), make_terrain(GREY, spiked)])
    assert result.corner_spike_share == 0.5 and result.tiles == 2


def test_copies_of_training_tiles_are_near_copies_and_fresh_tiles_are_not():
    pool_tiles = [power_law_surface(3.0, size=64, seed=seed) * 50 for seed in range(20)]
    held_out = [power_law_surface(3.0, size=64, seed=100 + seed) * 50 for seed in range(20)]
    pool, held = np.stack([descriptor(t) for t in pool_tiles]), np.stack([descriptor(t) for t in held_out])
    rng = np.random.default_rng(0)
    copies = np.stack([descriptor(t + 300 + rng.normal(size=t.shape)) for t in pool_tiles[:10]])  # lifted, noisy
    distances, nearest = nearest_distances(copies, pool)
    assert list(nearest) == list(range(10)) and distances.max() < 0.1
    copied = memorisation(copies, held, pool)
    assert copied.near_copy_share == 1.0 and copied.median_ratio < 0.2
    fresh = memorisation(np.stack([descriptor(power_law_surface(3.0, size=64, seed=200 + s) * 50) for s in range(10)]),
                         held, pool)
    assert fresh.near_copy_share == 0.0 and fresh.held_out_near_copy_share <= 0.05
    assert 0.7 < fresh.median_ratio < 1.4 and fresh.pool_size == 20


def test_descriptors_are_coarse_and_mean_free(synthetic_reference_set):
    table = descriptors(synthetic_reference_set.terrains)
    assert table.shape == (8, 32 * 32) and table.dtype == np.float32
    np.testing.assert_allclose(table.mean(axis=1), 0.0, atol=1e-3)
    assert synthetic_reference_set.pool.shape == (12, 32 * 32)


def test_identical_seeds_collapse_and_different_seeds_do_not():
    tiles = [make_terrain(GREY, power_law_surface(3.0, size=32, seed=seed) * 20) for seed in range(3)]
    assert seed_difference(tiles[0], tiles[0]) == (0.0, 0.0)
    collapsed = diversity({"same": [tiles[0], tiles[0]], "other": tiles})
    assert collapsed.collapsed_share == 0.5 and collapsed.prompts == 2 and collapsed.min_elevation_difference == 0.0
    assert np.isnan(collapsed.generated_pairwise_rmse_m)
    varied = diversity({"other": tiles}, tiles, tiles[:2])
    assert varied.collapsed_share == 0.0 and varied.median_elevation_difference > 0.1
    assert varied.reference_pairwise_rmse_m == pytest.approx(mean_pairwise_rmse_m(tiles[:2]))
    with pytest.raises(ValueError, match="two seeds"):
        diversity({"one": tiles[:1]})
