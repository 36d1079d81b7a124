"""The figures the benchmark reports, on maps whose answers are known."""

import numpy as np
import pytest

from mesa.control.measures import border_ratio, line_iou, lowpass_correlation, max_change_outside

ROWS, COLUMNS = np.mgrid[0:128, 0:128]


def ridge_and_valley_lines() -> tuple[np.ndarray, np.ndarray]:
    return np.abs(COLUMNS - 40) < 1, np.abs(COLUMNS - 90) < 1


def test_lowpass_correlation_sees_large_shapes_not_detail():
    shape = np.sin(COLUMNS / 20.0)
    detail = np.random.default_rng(0).normal(0, 1.0, shape.shape)
    assert lowpass_correlation(shape + detail, shape) > 0.95
    assert abs(lowpass_correlation(np.sin(ROWS / 20.0), shape)) < 0.1
    assert lowpass_correlation(np.zeros_like(shape), shape) == 0.0


def test_line_iou_is_high_for_matching_lines_and_near_chance_otherwise():
    ridge, valley = ridge_and_valley_lines()
    surface = np.exp(-((COLUMNS - 40) / 12.0) ** 2) - np.exp(-((COLUMNS - 90) / 12.0) ** 2)
    assert line_iou(surface, ridge, "ridge") > 0.7 and line_iou(surface, valley, "valley") > 0.7
    assert line_iou(surface, valley, "ridge") == 0.0  # the ridge is not where the valley was drawn
    unrelated = np.exp(-((ROWS - 64) / 12.0) ** 2)  # an east-west ridge crosses the north-south line once
    assert line_iou(unrelated, ridge, "ridge") < 0.1
    with pytest.raises(ValueError):
        line_iou(surface, ridge, "crest")


def test_border_ratio_tells_a_seam_from_a_seamless_edit():
    mask = (ROWS - 64) ** 2 + (COLUMNS - 64) ** 2 <= 30**2
    slope = COLUMNS * 2.0
    assert border_ratio(slope, mask) == pytest.approx(1.0, abs=0.01)
    assert border_ratio(slope + 100.0 * mask, mask) > 5
    rgb = np.dstack([slope] * 3)
    assert border_ratio(rgb, mask) == pytest.approx(1.0, abs=0.01)


def test_max_change_outside_ignores_the_inside():
    mask = np.zeros((8, 8), bool)
    mask[2:4, 2:4] = True
    before = np.zeros((8, 8, 3))
    after = before.copy()
    after[2, 2] = 50
    assert max_change_outside(before, after, mask) == 0.0
    after[7, 7, 1] = 3
    assert max_change_outside(before, after, mask) == 3.0
