"""The sketch format: grey heights, red ridges, blue valleys, transparent blanks; anything else refused."""

import numpy as np
import pytest

from mesa.control import guide_from_sketch
from mesa.control.sketch import LINE_RELIEF, sketch_layers
from mesa.errors import UserError


def canvas(grey: int = 128, size: int = 32) -> np.ndarray:
    return np.full((size, size, 3), grey, np.uint8)


def test_layers_read_heights_ridges_valleys_and_blanks():
    image = np.dstack([canvas(), np.full((32, 32), 255, np.uint8)])
    image[:, 5] = (255, 0, 0, 255)
    image[:, 6] = (191, 64, 64, 255)  # a red stroke's anti-aliased edge over grey is still ridge
    image[:, 7] = (143, 113, 113, 255)  # a faint edge is a height (grey within 64)
    image[:, 20] = (0, 0, 255, 255)
    image[:, 25] = (0, 255, 0, 0)  # transparent: nothing, whatever the colour
    heights, painted, ridges, valleys = sketch_layers(image)
    assert ridges[:, 5].all() and ridges[:, 6].all() and not ridges[:, 7].any()
    assert valleys[:, 20].all() and valleys.sum() == 32 and ridges.sum() == 64
    assert not painted[:, 25].any() and painted[:, 7].all() and painted[:, 0].all()
    assert heights[0, 0] == pytest.approx(128 / 255) and heights[0, 7] == pytest.approx(123 / 255)


def test_greyscale_images_are_heights():
    heights, painted, ridges, valleys = sketch_layers(np.arange(64, dtype=np.uint8).reshape(8, 8) * 4)
    assert painted.all() and not ridges.any() and not valleys.any()
    assert heights[7, 7] == pytest.approx(252 / 255)


@pytest.mark.parametrize(
    "image, message",
    [
        (np.full((32, 32, 3), (0, 255, 0), np.uint8), r"neither grey \(a height\), red \(a ridge\) nor blue"),
        (np.full((32, 32, 3), 1.0, np.float32), "8-bit greyscale, RGB or RGBA"),
        (np.full((4, 4, 3), 9, np.uint8), "at least 8 x 8"),
        (canvas(), "no relief"),
    ],
)
def test_bad_sketches_are_one_clear_error(image, message):
    with pytest.raises(UserError, match=message):
        guide_from_sketch(image)


def test_ridges_rise_valleys_sink_and_grey_levels_keep_their_order():
    image = np.repeat(np.linspace(40, 200, 64).astype(np.uint8)[None, :, None], 64, 0).repeat(3, -1)
    image[:, 16] = (255, 0, 0)
    image[:, 48] = (0, 0, 255)
    guide = guide_from_sketch(image, 0.0, 1000.0)
    profile = guide.elevation_m()[32]
    assert guide.ridges[:, 16].all() and guide.valleys[:, 48].all()
    assert profile[16] > profile[8] and profile[16] > profile[24]  # a crest on the ridge line
    assert profile[48] < profile[40] and profile[48] < profile[56]  # a trough on the valley line
    assert profile[0] < profile[30]  # the grey slope under it
    assert profile[16] - np.interp(16, [0, 63], [40 / 255 * 1000, 200 / 255 * 1000]) == pytest.approx(
        LINE_RELIEF * 1000, rel=0.15)


def test_lines_alone_make_a_relative_guide():
    image = np.zeros((32, 32, 4), np.uint8)  # transparent
    image[10, :] = (255, 0, 0, 255)
    guide = guide_from_sketch(image)
    assert not guide.has_metres and guide.heights01[10].min() == 1.0 and guide.heights01[31].max() < 0.1
    with pytest.raises(UserError, match="no height range"):
        guide.elevation_m()


def test_height_range_needs_both_ends_and_order():
    image = np.tile(np.arange(32, dtype=np.uint8)[None] * 8, (32, 1))
    with pytest.raises(UserError, match="both"):
        guide_from_sketch(image, 0.0, None)
    with pytest.raises(UserError, match="max above min"):
        guide_from_sketch(image, 100.0, 100.0)
    guide = guide_from_sketch(image, 100.0, 355.0)
    assert (guide.low_m, guide.high_m) == pytest.approx((100.0, 348.0))  # 0 and 248 of 255
