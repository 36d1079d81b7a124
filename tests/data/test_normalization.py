"""ElevationNormalization: metres <-> [-1, 1] and its elevation.json file."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.data.normalization import ElevationNormalization


def test_global_round_trip_and_invalid_pixels():
    norm = ElevationNormalization()
    elevation = np.array([[-500.0, 4250.0], [9000.0, 1234.5]], np.float32)
    valid = np.array([[True, True], [True, False]])
    unit = norm.to_unit(elevation, valid)
    np.testing.assert_allclose(unit, [[-1.0, 0.0], [1.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(norm.from_unit(unit)[valid], elevation[valid], atol=1e-3)


def test_per_tile_stretches_the_valid_range():
    norm = ElevationNormalization("per_tile", 0.0, 1000.0)
    elevation = np.array([[100.0, 300.0], [200.0, -32767.0]], np.float32)
    unit = norm.to_unit(elevation, elevation > -1000)
    np.testing.assert_allclose(unit, [[-1.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="at least one valid pixel"):
        norm.to_unit(elevation, np.zeros((2, 2), bool))


def test_json_and_directory_round_trip(tmp_path):
    norm = ElevationNormalization("per_tile", -10.0, 2500.0)
    assert ElevationNormalization.from_json(norm.to_json()) == norm
    path = norm.save(tmp_path)
    assert path.name == "elevation.json" and '"format": "mesa-elevation-normalization"' in path.read_text()
    assert ElevationNormalization.load(tmp_path) == norm


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="mode"):
        ElevationNormalization("tile")
    with pytest.raises(ValueError, match="max_m > min_m"):
        ElevationNormalization("global", 10.0, 10.0)
    with pytest.raises(ValueError, match="format"):
        ElevationNormalization.from_json('{"mode": "global", "min_m": 0, "max_m": 1}')
