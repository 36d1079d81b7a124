"""Per-tile statistics of a colour image (H, W, 3) uint8 (or float in [0, 1]), each a pure function (values on 0..1 colour).

    mean_red, mean_green, mean_blue   mean of each channel
    brightness_std                    standard deviation of brightness (mean of the channels)
    greenness                         mean excess green (2G - R - B) / (R + G + B): vegetation > 0
    aridity                           mean warm tint (R - B) / (R + G + B): sand and dry soil are
                                      warm (the synthetic deserts' soil +0.16), forests near 0,
                                      water and snow below
    snow_cover                        share of pixels bright in every channel (min > 0.6) and
                                      nearly grey (max - min < 0.15)
    sharpness                         mean magnitude of the brightness gradient (forward differences,
                                      which see the finest detail a tile can hold) per pixel: edges
                                      of fields, rivers and ridges; a blurred image scores low
"""

from __future__ import annotations

import numpy as np

IMAGE_STATISTICS = ("mean_red", "mean_green", "mean_blue", "brightness_std", "greenness", "aridity", "snow_cover",
                    "sharpness")
_EPSILON = 1e-3  # keeps the colour indices finite on black pixels


def as_unit_rgb(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1] from an 8-bit image (integers 0..255, as `Terrain.rgb`) or from
    float colour already in [0, 1] (as the synthetic tiles and the decoder give it).

    Float colour outside [0, 1] is refused: divided by 255 it would read as near-black (every
    measure near zero), taken as it is it would be a 0..255 image in the wrong dtype."""
    rgb = np.asarray(rgb)
    if np.issubdtype(rgb.dtype, np.integer):
        return rgb.astype(np.float32) / 255.0
    if not np.issubdtype(rgb.dtype, np.floating):
        raise TypeError(f"colour must be 8-bit integers 0..255 or floats in [0, 1], got dtype {rgb.dtype}")
    if rgb.size and not (np.nanmin(rgb) >= 0.0 and np.nanmax(rgb) <= 1.0):
        raise ValueError(f"float colour must lie in [0, 1] (got {np.nanmin(rgb):.3g}..{np.nanmax(rgb):.3g}); "
                         "pass an 8-bit image as uint8")
    return rgb.astype(np.float32)


def greenness(rgb: np.ndarray) -> float:
    """Mean excess-green index (2G - R - B) / (R + G + B), in [-1, 2]."""
    colour = as_unit_rgb(rgb)
    red, green, blue = colour[..., 0], colour[..., 1], colour[..., 2]
    return float(np.mean((2 * green - red - blue) / (red + green + blue + _EPSILON)))


def aridity(rgb: np.ndarray) -> float:
    """Mean warm tint (R - B) / (R + G + B), in [-1, 1]."""
    colour = as_unit_rgb(rgb)
    red, green, blue = colour[..., 0], colour[..., 1], colour[..., 2]
    return float(np.mean((red - blue) / (red + green + blue + _EPSILON)))


def snow_cover(rgb: np.ndarray) -> float:
    """Share of pixels that look like snow or ice: bright in every channel and nearly grey."""
    colour = as_unit_rgb(rgb)
    bright, grey = colour.min(axis=-1) > 0.6, (colour.max(axis=-1) - colour.min(axis=-1)) < 0.15
    return float(np.mean(bright & grey))


def sharpness(rgb: np.ndarray) -> float:
    """Mean magnitude of the forward-difference brightness gradient, brightness (0..1) per pixel."""
    brightness = as_unit_rgb(rgb).mean(axis=-1)
    d_rows, d_cols = np.diff(brightness, axis=0)[:, :-1], np.diff(brightness, axis=1)[:-1, :]
    return float(np.mean(np.hypot(d_rows, d_cols)))


def image_statistics(rgb: np.ndarray) -> dict[str, float]:
    """Every statistic of IMAGE_STATISTICS for one (H, W, 3) uint8 image."""
    colour = as_unit_rgb(rgb)
    means = colour.reshape(-1, 3).mean(axis=0)
    return {
        "mean_red": float(means[0]),
        "mean_green": float(means[1]),
        "mean_blue": float(means[2]),
        "brightness_std": float(colour.mean(axis=-1).std()),
        "greenness": greenness(rgb),
        "aridity": aridity(rgb),
        "snow_cover": snow_cover(rgb),
        "sharpness": sharpness(rgb),
    }
