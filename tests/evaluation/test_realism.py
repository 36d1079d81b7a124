"""Realism protocol on fixed tables: the reference against itself sits exactly at the noise floor,
an independent sample of the same distribution near it, a shifted model above it by the shift."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.evaluation.realism import (
    STATISTICS,
    realism,
    statistics_table,
    wasserstein_1d,
)

NAMES = ("a", "b", "c")


def mixture(count: int, rng: np.random.Generator, captions: np.ndarray) -> np.ndarray:
    """(count, 3) values whose mean depends on the caption (0..3), like relief on the landform."""
    return captions[:, None] * 2.0 + rng.normal(size=(count, 3))


def test_wasserstein_known_answers():
    assert wasserstein_1d([0, 1], [2, 3]) == 2.0
    assert wasserstein_1d([0.0], [0.0, 1.0]) == pytest.approx(0.5)
    assert wasserstein_1d([3, 1, 2], [2, 3, 1]) == 0.0
    assert wasserstein_1d([1.0, np.nan], [1.0]) == 0.0
    assert np.isnan(wasserstein_1d([np.nan], [1.0]))


def test_the_reference_against_itself_is_the_noise_floor():
    rng = np.random.default_rng(0)
    reference = mixture(40, rng, rng.integers(0, 4, 40))
    result = realism(reference.copy(), reference, NAMES, partitions=50)
    assert result.distance == pytest.approx(result.noise_floor, rel=1e-12)
    assert result.ratio == pytest.approx(1.0)
    assert result.set_size == 20 and result.partitions == 50
    for term in result.terms:
        assert term.distance == pytest.approx(term.noise_floor, rel=1e-12)


def test_a_model_that_samples_the_reference_distribution_sits_near_the_floor():
    rng = np.random.default_rng(1)
    ratios = []
    for _ in range(10):
        captions = rng.integers(0, 4, 64)
        ratios.append(realism(mixture(64, rng, captions), mixture(64, rng, captions), NAMES, partitions=50).ratio)
    assert 0.9 < np.mean(ratios) < 1.1


def test_a_shift_shows_in_its_own_term():
    rng = np.random.default_rng(2)
    reference = rng.normal(size=(200, 3))
    generated = rng.normal(size=(200, 3))
    generated[:, 1] += 3.0  # three reference standard deviations
    result = realism(generated, reference, NAMES, partitions=20)
    terms = {term.statistic: term for term in result.terms}
    assert terms["b"].distance == pytest.approx(3.0, abs=0.3)
    assert terms["a"].distance < 2 * terms["a"].noise_floor
    assert result.distance > 2 * result.noise_floor
    assert terms["b"].generated_mean - terms["b"].reference_mean == pytest.approx(3.0, abs=0.3)


def test_a_collapsed_model_is_far_even_with_the_right_mean():
    rng = np.random.default_rng(3)
    reference = rng.normal(size=(100, 3)) * 5.0
    generated = np.zeros((100, 3))  # every tile at the average: right mean, no spread
    assert realism(generated, reference, NAMES, partitions=20).ratio > 3


def test_bad_tables_are_refused():
    with pytest.raises(ValueError, match="at least 4"):
        realism(np.zeros((3, 3)), np.zeros((3, 3)), NAMES)
    with pytest.raises(ValueError, match="must both be"):
        realism(np.zeros((6, 2)), np.zeros((6, 3)), NAMES)


def test_statistics_table_of_terrains(synthetic_reference_set):
    table = statistics_table(synthetic_reference_set.terrains)
    assert table.shape == (8, len(STATISTICS))
    assert np.isfinite(table).all()
    relief = table[:, STATISTICS.index("relief_m")]
    assert (relief > 0).all()
