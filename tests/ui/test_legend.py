"""The metres legend: round ticks within the range, drawn in the bundled font."""

import numpy as np

from mesa.geometry.relief import height_range
from ui.legend import FONT_FILE, elevation_legend, legend_font, tick_values_m


def test_ticks_are_round_and_inside_the_range():
    assert tick_values_m(12.0, 987.0) == [200.0, 400.0, 600.0, 800.0]
    assert tick_values_m(-35.0, 40.0) == [-20.0, 0.0, 20.0, 40.0]
    assert tick_values_m(5.0, 5.0) == [5.0]


def test_legend_uses_the_bundled_font_and_the_views_colours():
    assert FONT_FILE.is_file() and legend_font().path == str(FONT_FILE)
    heights = height_range(np.linspace(0.0, 1000.0, 64, dtype=np.float32).reshape(8, 8))
    legend = elevation_legend(heights, 512)
    assert legend.shape[1] == 512 and legend.dtype == np.uint8
    bar_row = legend[30]  # inside the colour bar
    assert bar_row[12][1] > bar_row[12][0] and min(bar_row[-14]) > 235  # lowland green .. summit snow
