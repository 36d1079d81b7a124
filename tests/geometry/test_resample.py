"""The one bilinear resampling every exported map goes through (heightmaps, masks, weights)."""

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.geometry.resample import resample_bilinear


def test_vertex_aligned_samples_keep_the_corners_and_the_range():
    elevation = np.random.default_rng(1).normal(size=(30, 40))
    resampled = resample_bilinear(elevation, 65, 65)
    assert resampled.shape == (65, 65) and resampled.dtype == np.float64
    for corner in [(0, 0), (0, -1), (-1, 0), (-1, -1)]:
        assert resampled[corner] == pytest.approx(elevation[corner])
    assert elevation.min() <= resampled.min() and resampled.max() <= elevation.max()


def test_vertex_aligned_sample_j_lies_on_input_position_j_times_w_minus_1_over_width_minus_1():
    ramp = np.arange(5.0)[None, :].repeat(3, axis=0) * 10.0  # value = 10 x column
    np.testing.assert_allclose(resample_bilinear(ramp, 2, 9)[0], np.linspace(0.0, 40.0, 9))
    plane = np.add.outer(np.arange(7.0) * 3.0, np.arange(4.0))  # bilinear reproduces a plane exactly
    rows, columns = np.linspace(0, 6, 13), np.linspace(0, 3, 10)
    np.testing.assert_allclose(resample_bilinear(plane, 13, 10), np.add.outer(rows * 3.0, columns), atol=1e-12)


def test_texel_centred_samples_sit_on_texel_centres():
    ramp = np.linspace(0.0, 1.0, 5)[None, :].repeat(2, axis=0)  # columns at 0, .25, .5, .75, 1
    np.testing.assert_allclose(resample_bilinear(ramp, 1, 4, texel_centres=True)[0], [0.125, 0.375, 0.625, 0.875])


def test_a_stack_is_resampled_map_by_map_and_still_sums_to_one():
    field = np.random.default_rng(2).random((37, 53))
    stack = resample_bilinear(np.stack([field, 1.0 - field]), 101, 61, dtype=np.float32)
    assert stack.shape == (2, 101, 61) and stack.dtype == np.float32
    np.testing.assert_allclose(stack.sum(axis=0), 1.0, atol=1e-6)
    np.testing.assert_array_equal(stack[0], resample_bilinear(field, 101, 61, dtype=np.float32))


def test_the_same_size_is_not_copied_and_too_few_samples_are_refused():
    field = np.random.default_rng(3).random((6, 8))
    same = resample_bilinear(field, 6, 8)
    assert np.shares_memory(same, field) and np.array_equal(same, field)  # no copy
    assert resample_bilinear(field, 6, 8, dtype=np.float32).dtype == np.float32
    with pytest.raises(UserError, match="at least 2"):
        resample_bilinear(field, 1, 8)
    with pytest.raises(UserError, match="0 texels"):
        resample_bilinear(field, 0, 8, texel_centres=True)


def test_a_block_of_rows_is_those_rows_of_the_whole():
    field = np.random.default_rng(4).random((3, 19, 23))
    whole = resample_bilinear(field, 40, 31, dtype=np.float32)
    np.testing.assert_array_equal(resample_bilinear(field, 40, 31, dtype=np.float32, rows=(13, 27)), whole[:, 13:27])
    whole_texels = resample_bilinear(field[0], 16, 16, texel_centres=True)
    np.testing.assert_array_equal(resample_bilinear(field[0], 16, 16, True, rows=(15, 16)), whole_texels[15:])
    with pytest.raises(ValueError, match="not a block"):
        resample_bilinear(field, 40, 31, rows=(30, 41))
