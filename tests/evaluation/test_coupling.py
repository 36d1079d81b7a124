"""Image-elevation coupling: a tile lit by its own relief is coupled, shuffled pairings are not."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.evaluation.coupling import (
    block_means,
    coupling,
    distance_correlation,
    image_elevation_dcor,
    shading_correlation,
    shuffled_partner,
)
from tests.evaluation.conftest import METERS_PER_PIXEL, make_terrain, shaded_terrain
from tests.evaluation.test_statistics import power_law_surface


def rough_tiles(count: int) -> list:
    return [shaded_terrain(power_law_surface(3.0, size=32, seed=seed) * 40 + 500, seed=seed) for seed in range(count)]


def test_an_image_that_is_its_hillshade_is_fully_coupled_and_shuffling_removes_it():
    tiles = rough_tiles(6)
    result = coupling(tiles)
    assert result.shading == pytest.approx(1.0, abs=0.01)
    assert abs(result.shading_shuffled) < 0.2
    assert result.tiles == 6


def test_an_image_coloured_by_its_elevation_is_dependent_and_shuffling_removes_it():
    tiles = []
    for seed in range(6):
        elevation = power_law_surface(4.0, size=32, seed=seed)
        ramp = (elevation - elevation.min()) / np.ptp(elevation)
        tiles.append(make_terrain(np.stack([ramp, 1 - ramp, 0.5 * ramp], axis=-1), elevation * 100, seed=seed))
    result = coupling(tiles)
    assert result.dcor > 0.95
    assert result.dcor_shuffled < 0.6


def test_the_held_out_synthetic_tiles_are_coupled(synthetic_reference_set):
    result = coupling(synthetic_reference_set.terrains)
    assert result.shading > 0.3 > abs(result.shading_shuffled)


def test_distance_correlation_known_answers():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    assert distance_correlation(x, x) == pytest.approx(1.0)
    assert distance_correlation(x, 3 * x + 2) == pytest.approx(1.0)
    assert distance_correlation(x, x**2) > 0.3  # dependent but uncorrelated: Pearson r is ~0 here
    assert abs(np.corrcoef(x, x**2)[0, 1]) < 0.2
    assert distance_correlation(x, rng.normal(size=300)) < 0.15
    assert distance_correlation(x, np.ones(300)) == 0.0


def test_snow_above_a_line_is_a_dependence():
    elevation = np.tile(np.linspace(0, 2000, 32)[:, None], (1, 32))
    rgb = np.where((elevation > 1200)[..., None], 0.9, 0.2) * np.ones((32, 32, 3))
    terrain = make_terrain(rgb, elevation)
    assert image_elevation_dcor(terrain.rgb, terrain.elevation_m) > 0.5


def test_shading_of_uniform_input_is_zero_and_blocks_average():
    flat = make_terrain(np.full((32, 32, 3), 0.5), np.zeros((32, 32)))
    assert shading_correlation(flat.rgb, flat.elevation_m, METERS_PER_PIXEL) == 0.0
    np.testing.assert_allclose(block_means(np.arange(16.0).reshape(4, 4), 2), [[2.5, 4.5], [10.5, 12.5]])
    assert list(shuffled_partner(4)) == [2, 3, 0, 1]
    with pytest.raises(ValueError, match="at least 2"):
        coupling(rough_tiles(1))
