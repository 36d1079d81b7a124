"""Where the windows of a world lie on its latent canvas, and how their predictions are weighted.

A world of `columns` x `rows` cells is one latent canvas of (rows * L, columns * L) latent pixels,
L being the model's native latent size (one cell = one native tile). The model sees it through
windows of L x L at a stride of L / k (k = `windows_per_tile`): the window lattice starts at the
canvas corner and, because the stride divides L, its last window ends exactly on the far edge, so
a window's position depends only on where it is, never on how large the world is.

Window weights are separable raised-cosine ramps over the overlap with each neighbouring window
(sin^2 up, cos^2 down): with 50 % overlap two neighbours' ramps sum to exactly 1. The outer sides
of windows on the canvas edge are not tapered. `normalised_weights` divides every window's
weights by the sum of all windows' weights at each pixel, so fused predictions are convex
combinations (and a world of one window reproduces that window exactly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from mesa.errors import UserError

MAX_TILES_PER_SIDE = 64


@dataclass(frozen=True)
class Window:
    """One L x L window of the canvas, in latent pixels (row 0 north, column 0 west)."""

    index: int
    row: int
    column: int
    size: int

    def latent_slices(self) -> tuple[slice, slice]:
        return slice(self.row, self.row + self.size), slice(self.column, self.column + self.size)

    def pixel_slices(self, scale: int) -> tuple[slice, slice]:
        """The same window in pixels of a canvas `scale` times finer (the decoded image)."""
        return (slice(self.row * scale, (self.row + self.size) * scale),
                slice(self.column * scale, (self.column + self.size) * scale))


@dataclass(frozen=True)
class WorldLayout:
    """The geometry of a world's canvas.

    Attributes:
        columns, rows: cells west-east and north-south.
        tile_latent: L, the model's native latent size (latent pixels per cell side).
        vae_scale_factor: pixels per latent pixel.
        windows_per_tile: k; windows step L / k latent pixels (k = 1: no overlap, independent tiles).
    """

    columns: int
    rows: int
    tile_latent: int
    vae_scale_factor: int
    windows_per_tile: int = 2

    @property
    def stride(self) -> int:
        return self.tile_latent // self.windows_per_tile

    @property
    def overlap(self) -> float:
        """Share of a window shared with its next neighbour (0, 0.5, 0.75, ...)."""
        return 1.0 - 1.0 / self.windows_per_tile

    @property
    def tile_px(self) -> int:
        return self.tile_latent * self.vae_scale_factor

    @property
    def latent_shape(self) -> tuple[int, int]:
        return self.rows * self.tile_latent, self.columns * self.tile_latent

    @property
    def pixel_shape(self) -> tuple[int, int]:
        return self.rows * self.tile_px, self.columns * self.tile_px

    @cached_property
    def windows(self) -> tuple[Window, ...]:
        """Row-major windows: (k * rows - k + 1) x (k * columns - k + 1) of them."""
        height, width = self.latent_shape
        starts_y = range(0, height - self.tile_latent + 1, self.stride)
        starts_x = range(0, width - self.tile_latent + 1, self.stride)
        return tuple(Window(i, y, x, self.tile_latent)
                     for i, (y, x) in enumerate((y, x) for y in starts_y for x in starts_x))

    def window_weights(self, window: Window, scale: int = 1) -> np.ndarray:
        """(L * scale, L * scale) float64 raw weights of one window (before normalisation)."""
        height, width = self.latent_shape
        size = self.tile_latent * scale
        ramp = (self.tile_latent - self.stride) * scale
        rows = _profile(size, ramp, window.row > 0, window.row + window.size < height)
        columns = _profile(size, ramp, window.column > 0, window.column + window.size < width)
        return np.outer(rows, columns)

    def weight_total(self, scale: int = 1) -> np.ndarray:
        """(h * scale, w * scale) float64 sum of all windows' raw weights (> 0 everywhere)."""
        total = np.zeros((self.latent_shape[0] * scale, self.latent_shape[1] * scale))
        for window in self.windows:
            total[window.pixel_slices(scale)] += self.window_weights(window, scale)
        return total

    def normalised_weights(self, window: Window, total: np.ndarray, scale: int = 1) -> np.ndarray:
        """(L * scale)^2 float64 weights of one window divided by `total` (`weight_total`): over all
        windows they sum to 1 at every pixel (exactly 1 where one window alone covers a pixel)."""
        return self.window_weights(window, scale) / total[window.pixel_slices(scale)]

    def cell_of(self, latent_row: int, latent_column: int) -> tuple[int, int]:
        """(column, row) of the cell that holds a latent pixel."""
        return latent_column // self.tile_latent, latent_row // self.tile_latent


def _profile(size: int, ramp: int, taper_start: bool, taper_end: bool) -> np.ndarray:
    """(size,) raised-cosine ramp over `ramp` samples at each tapered end, 1 elsewhere."""
    profile = np.ones(size)
    if ramp <= 0:
        return profile
    up = np.sin(0.5 * math.pi * (np.arange(ramp) + 0.5) / ramp) ** 2
    if taper_start:
        profile[:ramp] *= up
    if taper_end:
        profile[size - ramp:] *= up[::-1]
    return profile


def windows_per_tile(overlap: float, tile_latent: int) -> int:
    """k for an overlap fraction 1 - 1/k; UserError unless the stride L / k is a whole number."""
    accepted = [1.0 - 1.0 / k for k in range(1, tile_latent + 1) if tile_latent % k == 0 and k <= 8]
    names = ", ".join(f"{value:g}" for value in accepted)
    if isinstance(overlap, bool) or not isinstance(overlap, (int, float, np.integer, np.floating)):
        raise UserError(f"overlap must be a number, one of {names} (share of a tile two windows share)")
    for k in range(1, 9):
        if tile_latent % k == 0 and math.isclose(float(overlap), 1.0 - 1.0 / k, abs_tol=1e-9):
            return k
    raise UserError(f"overlap {overlap!r} is not accepted for this model; choose one of {names} "
                    f"(0: independent tiles, 0.5: the default)")


def check_tiles(tiles) -> tuple[int, int]:
    """(columns, rows) from a (nx, ny) pair; UserError unless both are integers in 1..MAX_TILES_PER_SIDE."""
    try:
        columns, rows = tiles
    except (TypeError, ValueError):
        raise UserError(f"tiles must be a pair (columns, rows), e.g. (3, 2), got {tiles!r}") from None
    for name, value in (("columns", columns), ("rows", rows)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 1 <= value <= MAX_TILES_PER_SIDE:
            raise UserError(f"tiles: {name} must be an integer from 1 to {MAX_TILES_PER_SIDE}, got {value!r}")
    return int(columns), int(rows)


def weights_tensor(weights: list[np.ndarray], device: torch.device) -> torch.Tensor:
    """(N, 1, S, S) float32 tensor of per-window weights, ready to multiply (N, C, S, S) predictions."""
    return torch.from_numpy(np.stack(weights)[:, None].astype(np.float32)).to(device)
