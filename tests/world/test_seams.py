"""Seam scores on arrays whose answer is known."""

import numpy as np
import pytest

from mesa.world.seams import seam_score, tile_seam_scores


def test_a_smooth_ramp_scores_one_and_a_step_scores_more():
    ramp = np.tile(np.arange(64, dtype=float), (8, 1))  # every step is 1
    assert seam_score(ramp, [32]) == pytest.approx(1.0)
    stepped = ramp.copy()
    stepped[:, 32:] += 3.0
    assert seam_score(stepped, [32]) == pytest.approx(4.0)
    assert seam_score(stepped, [16]) == pytest.approx(62 / 65)  # a border elsewhere sees no seam


def test_rows_and_colour_channels_count_alike():
    image = np.zeros((64, 64, 3))
    image += np.arange(64)[:, None, None] * np.array([1.0, 2.0, 3.0])
    image[32:] += np.array([4.0, 4.0, 4.0])
    assert seam_score(image, border_rows=[32]) == pytest.approx(3.0)  # (2 + 4) / 2


def test_the_band_limits_the_reference_to_lines_near_the_border():
    values = np.tile(np.arange(64, dtype=float), (4, 1))
    values[:, :16] *= 10.0  # rough far from the border, smooth near it
    assert seam_score(values, [48], band_px=4) == pytest.approx(1.0)
    assert seam_score(values, [48]) < 0.5


def test_tiles_borders_come_from_the_tile_size():
    rgb = np.zeros((32, 64, 3), dtype=np.uint8)
    elevation = np.tile(np.arange(64, dtype=np.float32), (32, 1))
    elevation[:, 32:] += 5
    scores = tile_seam_scores(rgb, elevation, 32)
    assert scores.borders == 1 and scores.elevation == pytest.approx(6.0) and scores.colour is None
    assert tile_seam_scores(rgb[:, :32], elevation[:, :32], 32).elevation is None
