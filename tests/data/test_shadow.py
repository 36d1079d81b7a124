"""Histogram matching of L1C colours to L2A."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.data.shadow import match_histograms


def test_matching_gives_reference_distribution_and_keeps_order():
    rng = np.random.default_rng(0)
    source = rng.uniform(0.2, 0.6, size=(32, 32, 3)).astype(np.float32)
    reference = rng.normal(0.3, 0.05, size=(32, 32, 3)).astype(np.float32)
    valid = np.ones((32, 32), bool)
    valid[0] = False
    matched = match_histograms(source, reference, valid)
    for c in range(3):
        quantiles = np.linspace(2, 98, 25)
        np.testing.assert_allclose(np.percentile(matched[..., c][valid], quantiles),
                                   np.percentile(reference[..., c][valid], quantiles), atol=2e-3)
        order = np.argsort(source[..., c][valid])
        assert np.all(np.diff(matched[..., c][valid][order]) >= 0)
    np.testing.assert_array_equal(matched[0], source[0])


def test_matching_to_itself_is_identity_and_shapes_checked():
    image = np.random.default_rng(1).integers(0, 5, size=(8, 8, 3)).astype(np.float32) / 4
    np.testing.assert_allclose(match_histograms(image, image, np.ones((8, 8), bool)), image, atol=1 / 4096)
    with pytest.raises(ValueError, match="shapes differ"):
        match_histograms(image, image[:4], np.ones((8, 8), bool))
