"""Sketches: rough heights painted in grey, ridge lines in red, valley lines in blue.

The format (an 8-bit greyscale, RGB or RGBA image, row 0 north, with the output's aspect ratio):

* grey pixels (largest minus smallest channel <= 64) are rough heights: black 0 is the lowest,
  white 255 the highest (metres: `low_m + value / 255 * (high_m - low_m)` when a range is given);
* red pixels (red >= both other channels + 64) are ridge lines; blue pixels (blue >= both
  others + 64) are valley lines (rivers). Anti-aliased stroke edges fall in one of these classes;
* transparent pixels (alpha < 128) carry nothing;
* any other colour (green, yellow, ...) is refused, so a wrongly exported sketch is not misread.

`guide_from_sketch` turns it into a heightmap guide: unknown heights (under lines, transparent)
are filled smoothly from the painted ones (0.5 where nothing is painted); ridges then rise and
valleys sink by LINE_RELIEF of the black-to-white range, with a Gaussian profile LINE_WIDTH wide.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from mesa.control.grid import MIN_SIDE_PX
from mesa.control.guide import Guide
from mesa.errors import UserError

GREY_SPREAD = 64  # largest - smallest channel of a grey (height) pixel, at most
LINE_DOMINANCE = 64  # a line's colour channel exceeds both others by at least this
OPAQUE_ALPHA = 128
LINE_RELIEF = 0.35  # ridges rise (valleys sink) by this share of the black-to-white range
LINE_WIDTH = 1 / 24  # Gaussian sigma of a line's profile, as a share of the sketch's shorter side
FILL_SCALE = 1 / 8  # Gaussian sigma of the fill under lines and blank areas, share of the shorter side


def sketch_layers(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split a sketch into (heights01 (H, W) float32, painted (H, W) bool, ridges bool, valleys bool).

    Raises UserError for a wrong shape or dtype, or colours outside the format."""
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise UserError(f"a sketch must be an 8-bit greyscale, RGB or RGBA image, got shape {image.shape} "
                        f"{image.dtype}")
    if min(image.shape[:2]) < MIN_SIDE_PX:
        raise UserError(f"a sketch must be at least {MIN_SIDE_PX} x {MIN_SIDE_PX} pixels, got "
                        f"{image.shape[1]} x {image.shape[0]}")
    rgb = np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image[..., :3]
    opaque = np.ones(image.shape[:2], bool) if image.ndim == 2 or image.shape[2] == 3 else image[..., 3] >= OPAQUE_ALPHA
    channels = rgb.astype(np.int16)
    red, green, blue = channels[..., 0], channels[..., 1], channels[..., 2]
    grey = (channels.max(-1) - channels.min(-1)) <= GREY_SPREAD
    ridges = opaque & ~grey & (red >= np.maximum(green, blue) + LINE_DOMINANCE)
    valleys = opaque & ~grey & (blue >= np.maximum(red, green) + LINE_DOMINANCE)
    other = opaque & ~grey & ~ridges & ~valleys
    if other.any():
        row, column = np.argwhere(other)[0]
        raise UserError(f"the sketch has {int(other.sum())} pixel(s) that are neither grey (a height), red (a ridge) "
                        f"nor blue (a valley), e.g. {tuple(int(c) for c in rgb[row, column])} at row {row}, column "
                        f"{column}")
    painted = opaque & grey
    heights01 = (channels.mean(-1) / 255.0).astype(np.float32)
    return heights01, painted, ridges, valleys


def guide_from_sketch(image: np.ndarray, low_m: float | None = None, high_m: float | None = None) -> Guide:
    """A `Guide` from a sketch image (format above); `low_m`/`high_m` are the metres of black and
    white (both or neither; without them the guide is relative)."""
    if (low_m is None) != (high_m is None):
        raise UserError("give both the lowest and the highest height of the sketch in metres, or neither")
    if low_m is not None and not (np.isfinite(low_m) and np.isfinite(high_m) and high_m > low_m):
        raise UserError(f"the sketch's height range must be finite with max above min, got {low_m} .. {high_m} m")
    heights, painted, ridges, valleys = sketch_layers(image)
    side = min(heights.shape)
    base = fill_unpainted(heights, painted, FILL_SCALE * side)
    line_sigma = LINE_WIDTH * side
    composed = base + LINE_RELIEF * (line_profile(ridges, line_sigma) - line_profile(valleys, line_sigma))
    low, high = float(composed.min()), float(composed.max())
    if not high - low > 1e-6:
        raise UserError("the sketch has no relief (one grey everywhere and no lines); paint heights or draw lines")
    heights01 = ((composed - low) / (high - low)).astype(np.float32)
    metres = (None, None) if low_m is None else (low_m + low * (high_m - low_m), low_m + high * (high_m - low_m))
    return Guide(heights01, metres[0], metres[1], ridges, valleys, "sketch")


def fill_unpainted(heights01: np.ndarray, painted: np.ndarray, sigma_px: float) -> np.ndarray:
    """Painted heights kept; the others filled by normalised Gaussian convolution of the painted
    ones (0.5 everywhere when nothing is painted). (H, W) float64."""
    if not painted.any():
        return np.full(heights01.shape, 0.5)
    weight = ndimage.gaussian_filter(painted.astype(np.float64), sigma_px, mode="nearest")
    total = ndimage.gaussian_filter(np.where(painted, heights01, 0.0).astype(np.float64), sigma_px, mode="nearest")
    mean = float(heights01[painted].mean())
    filled = np.where(weight > 1e-9, total / np.maximum(weight, 1e-9), mean)
    return np.where(painted, heights01, filled)


def line_profile(lines: np.ndarray, sigma_px: float) -> np.ndarray:
    """(H, W) float64 in [0, 1]: 1 on the lines, a Gaussian of the distance away from them."""
    if not lines.any():
        return np.zeros(lines.shape)
    distance = ndimage.distance_transform_edt(~lines)
    return np.exp(-0.5 * (distance / sigma_px) ** 2)
