"""Image layout for the app: shaded relief, overlay, tiles."""

import numpy as np
import pytest

from mesa.preview import shaded_relief
from ui.shading import blend, side_by_side, upscale_nearest


def test_shaded_relief_blend_and_tiles():
    elevation = np.random.default_rng(0).random((12, 10)).astype(np.float32) * 100
    relief = shaded_relief(elevation, 10.0)
    assert relief.shape == (12, 10, 3) and relief.dtype == np.uint8
    rgb = np.full((12, 10, 3), 200, np.uint8)
    assert np.array_equal(blend(rgb, relief, 0.0), rgb) and np.array_equal(blend(rgb, relief, 1.0), relief)
    with pytest.raises(ValueError):
        blend(rgb, relief, 1.5)
    assert side_by_side([rgb, relief], gap_px=3).shape == (12, 23, 3)
    assert upscale_nearest(rgb, 30).shape == (36, 30, 3)
    assert upscale_nearest(rgb, 5) is rgb
