"""Seam scores: how much a mosaic changes across tile borders compared with near them.

For each border between two tiles, the score takes the absolute difference between the two pixels
that face each other across it (the gradient component a seam shows in) and divides its mean by
the mean of the same differences between the other neighbouring lines near the border (within an
eighth of a tile on each side: the same terrain, so a rougher region does not read as a seam).
1.0 means the borders are as smooth as their surroundings (an invisible seam); independent tiles
placed side by side score well above 1. Colour differences are averaged over the three channels
(0..255), elevation differences are in metres.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BAND_FRACTION = 8
"""The interior reference: the lines within tile_px / BAND_FRACTION of each border."""


@dataclass(frozen=True)
class SeamScores:
    """Border / interior ratios of one mosaic (None where the mosaic has no border)."""

    elevation: float | None
    colour: float | None
    borders: int


def seam_score(values: np.ndarray, border_columns: Sequence[int] = (), border_rows: Sequence[int] = (),
               band_px: int | None = None) -> float | None:
    """Mean |difference| across the borders / mean |difference| between the other neighbouring
    lines within `band_px` of a border (all other lines when None), for (H, W) or (H, W, C) values.

    A border at column c lies between columns c - 1 and c (at row r, between rows r - 1 and r)."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 2:
        values = values[..., None]
    border, other = [], []
    for axis, borders in ((1, border_columns), (0, border_rows)):
        if not borders:
            continue
        steps = np.moveaxis(np.abs(np.diff(values, axis=axis)).mean(axis=-1), axis, 0)  # step i: between i, i + 1
        is_border = np.zeros(steps.shape[0], dtype=bool)
        is_border[np.asarray(borders) - 1] = True
        near = np.ones(steps.shape[0], dtype=bool) if band_px is None else _near(steps.shape[0], borders, band_px)
        border.append(steps[is_border].ravel())
        other.append(steps[near & ~is_border].ravel())
    if not border or not np.concatenate(other).size:
        return None
    reference = np.concatenate(other).mean()
    return None if reference == 0 else float(np.concatenate(border).mean() / reference)


def _near(count: int, borders: Sequence[int], band_px: int) -> np.ndarray:
    """(count,) bool: steps within `band_px` lines of a border's step."""
    index = np.arange(count)
    return np.any([np.abs(index - (b - 1)) <= band_px for b in borders], axis=0)


def tile_seam_scores(rgb: np.ndarray, elevation_m: np.ndarray, tile_px: int) -> SeamScores:
    """Seam scores on the borders between the `tile_px` tiles of a mosaic, against the lines within
    an eighth of a tile of each border (the same terrain, so a rough region does not read as a seam)."""
    height, width = elevation_m.shape
    columns = list(range(tile_px, width, tile_px))
    rows = list(range(tile_px, height, tile_px))
    band = max(1, tile_px // BAND_FRACTION)
    return SeamScores(seam_score(elevation_m, columns, rows, band), seam_score(rgb, columns, rows, band),
                      len(columns) + len(rows))
