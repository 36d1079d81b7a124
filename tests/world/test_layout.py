"""Window lattice and weights of a world's canvas (no model)."""

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.world.layout import WorldLayout, check_tiles, windows_per_tile


def positions(layout):
    return {(w.row, w.column) for w in layout.windows}


def summed(layout, scale=1):
    total = layout.weight_total(scale)
    out = np.zeros_like(total)
    for window in layout.windows:
        out[window.pixel_slices(scale)] += layout.normalised_weights(window, total, scale)
    return out


def test_windows_step_a_fraction_of_a_tile_and_end_on_the_far_edge():
    layout = WorldLayout(columns=3, rows=2, tile_latent=16, vae_scale_factor=2, windows_per_tile=2)
    assert layout.latent_shape == (32, 48) and layout.pixel_shape == (64, 96) and layout.tile_px == 32
    assert len(layout.windows) == 3 * 5
    assert {w.column for w in layout.windows} == {0, 8, 16, 24, 32}
    assert max(w.column + w.size for w in layout.windows) == 48
    assert WorldLayout(3, 2, 16, 2, windows_per_tile=1).windows[4].column == 16  # no overlap: one per cell


def test_a_window_lies_where_it_lies_whatever_the_world_size():
    small, large = WorldLayout(2, 1, 16, 2), WorldLayout(4, 3, 16, 2)
    assert positions(small) < positions(large)


@pytest.mark.parametrize("k", [1, 2, 4])
def test_normalised_weights_sum_to_one_everywhere(k):
    layout = WorldLayout(3, 2, 16, 2, windows_per_tile=k)
    np.testing.assert_allclose(summed(layout), 1.0, atol=1e-12)
    np.testing.assert_allclose(summed(layout, scale=2), 1.0, atol=1e-12)


def test_half_overlap_ramps_are_a_partition_of_unity_and_the_canvas_edge_is_not_tapered():
    layout = WorldLayout(2, 1, 16, 2)
    np.testing.assert_allclose(layout.weight_total(), 1.0, atol=1e-12)  # raw sin^2 + cos^2
    west = layout.window_weights(layout.windows[0])
    assert west[0, 0] == 1.0 and west[8, 0] == 1.0  # the canvas's west edge
    assert west[8, -1] < 0.01  # tapered towards its east neighbour
    assert np.all(np.diff(west[8, 8:]) < 0)  # a smooth ramp down


def test_a_lone_window_has_weight_exactly_one():
    layout = WorldLayout(1, 1, 16, 2)
    total = layout.weight_total(2)
    assert np.all(layout.normalised_weights(layout.windows[0], total, 2) == 1.0)


@pytest.mark.parametrize("overlap, k", [(0, 1), (0.5, 2), (0.75, 4), (0.875, 8)])
def test_overlap_names_the_windows_per_tile(overlap, k):
    assert windows_per_tile(overlap, 32) == k


@pytest.mark.parametrize("overlap", [0.3, 1.0, -0.5, "0.5", None, True])
def test_overlaps_that_do_not_divide_a_tile_are_refused(overlap):
    with pytest.raises(UserError, match="overlap"):
        windows_per_tile(overlap, 32)


def test_overlap_must_give_a_whole_stride():
    with pytest.raises(UserError, match="choose one of 0, 0.5"):
        windows_per_tile(0.75, 6)  # 6 / 4 latent pixels is not a stride


@pytest.mark.parametrize("tiles", [(0, 1), (1, 65), (1.5, 2), (True, 2), "3x2", (3,), None])
def test_bad_tile_counts_are_refused(tiles):
    with pytest.raises(UserError, match="tiles"):
        check_tiles(tiles)


def test_tile_counts_are_columns_then_rows():
    assert check_tiles((3, 2)) == (3, 2)
    assert check_tiles([np.int64(4), 1]) == (4, 1)
