"""The metres legend under the elevation view: the view's own colour ramp with heights written
in the bundled font (`assets/fonts`), so the labels look the same on every machine."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from mesa.geometry.relief import HeightRange
from mesa.preview import hypsometric_rgb

FONT_DIR = Path(__file__).resolve().parents[1] / "assets" / "fonts"
FONT_FILE = FONT_DIR / "SourceSansPro-Regular.woff2"
BAR_PX = 18  # height of the colour bar
TEXT_PX = 15
MARGIN_PX = 10


@lru_cache(maxsize=4)
def legend_font(size_px: int = TEXT_PX) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The bundled Source Sans Pro at `size_px` (PIL's built-in font if FreeType cannot read it)."""
    try:
        return ImageFont.truetype(str(FONT_FILE), size_px)
    except OSError:
        return ImageFont.load_default(size_px)


def tick_values_m(low_m: float, high_m: float, max_ticks: int = 6) -> list[float]:
    """Round heights (1, 2 or 5 x 10^k metres apart) between `low_m` and `high_m`, at most `max_ticks`.

    >>> tick_values_m(12.0, 987.0)
    [200.0, 400.0, 600.0, 800.0]
    """
    span = high_m - low_m
    if not span > 0:
        return [low_m]
    raw_step = span / max(1, max_ticks - 1)
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    first = math.ceil(low_m / step) * step
    return [float(first + k * step) for k in range(int((high_m - first) // step) + 1)]


def elevation_legend(heights: HeightRange, width_px: int) -> np.ndarray:
    """(H, width_px, 3) uint8: the hypsometric ramp from the map's lowest to its highest sample
    (as the elevation view colours it) with round heights in metres, the p2 and p98 heights marked
    underneath, and a title line."""
    bar_width = width_px - 2 * MARGIN_PX
    low, high = heights.min_m, heights.max_m
    ramp = hypsometric_rgb(np.linspace(low, high, bar_width)[None, :])
    font = legend_font()
    image = Image.new("RGB", (width_px, BAR_PX + 4 * TEXT_PX + 30), "white")
    image.paste(Image.fromarray(np.repeat(ramp, BAR_PX, axis=0)), (MARGIN_PX, TEXT_PX + 8))
    draw = ImageDraw.Draw(image)
    draw.text((MARGIN_PX, 2), "Elevation in metres (colours span the lowest to the highest sample)", fill="black",
              font=font)
    bar_top, bar_bottom = TEXT_PX + 8, TEXT_PX + 8 + BAR_PX

    def x_of(value_m: float) -> float:
        return MARGIN_PX + (value_m - low) / (high - low) * (bar_width - 1) if high > low else MARGIN_PX

    for value in tick_values_m(low, high):
        x = x_of(value)
        draw.line([(x, bar_top), (x, bar_bottom + 3)], fill="black")
        text = f"{value:,.0f}"
        half = draw.textlength(text, font=font) / 2
        draw.text((min(max(x, half + 1), width_px - half - 1), bar_bottom + 4), text, fill="black", font=font,
                  anchor="ma")
    for name, value in (("p2", heights.p2_m), ("p98", heights.p98_m)):
        x = x_of(value)
        draw.polygon([(x, bar_bottom + 2 * TEXT_PX + 6), (x - 4, bar_bottom + 2 * TEXT_PX + 12),
                      (x + 4, bar_bottom + 2 * TEXT_PX + 12)], fill="#b45309")
        draw.text((x, bar_bottom + 2 * TEXT_PX + 13), name, fill="#b45309", font=font, anchor="ma")
    return np.asarray(image)
