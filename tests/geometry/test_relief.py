import numpy as np
import pytest

from mesa.geometry import height_range


def test_p2_p98_ignore_a_few_spikes_that_set_min_and_max():
    elevation = np.tile(np.linspace(100.0, 600.0, 100), (100, 1))  # a clean 500 m ramp
    elevation[10, 10], elevation[50, 60] = 5000.0, -900.0
    heights = height_range(elevation)
    assert (heights.min_m, heights.max_m) == (-900.0, 5000.0) and heights.full_relief_m == 5900.0
    assert heights.p2_m == pytest.approx(np.percentile(elevation, 2)) and 100 < heights.p2_m < 115
    assert 585 < heights.p98_m < 600 and heights.relief_m == pytest.approx(heights.p98_m - heights.p2_m)
    assert heights.outlier_count == 2 and heights.outliers


def test_a_natural_summit_is_not_an_outlier():
    rows, columns = np.mgrid[-50:50, -50:50]
    cone = 3000.0 - 40.0 * np.hypot(rows, columns)  # the top 2 % rises well above p98
    heights = height_range(cone)
    assert heights.max_m == 3000.0 and heights.max_m > heights.p98_m + 100
    assert heights.outlier_count == 0 and not heights.outliers


def test_a_flat_tile_flags_only_what_leaves_it_by_more_than_the_fence():
    flat = np.full((40, 40), 12.0)
    flat[0, 0] = 13.4  # 1.4 m: within the 1.5 m fence of a flat tile
    assert not height_range(flat).outliers
    flat[0, 1] = 14.0
    assert height_range(flat).outlier_count == 1


def test_to_json_states_the_rule():
    document = height_range(np.arange(100.0).reshape(10, 10)).to_json()
    assert set(document) >= {"min_m", "max_m", "p2_m", "p98_m", "outlier_count", "outliers", "relief_p2_p98_m",
                             "relief_min_max_m", "outlier_rule"}
    assert document["relief_min_max_m"] == 99.0 and document["outliers"] is False
