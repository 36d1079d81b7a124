"""A guide for the generated elevation: a coarse heightmap, or a sketch turned into one.

`Guide` is what `follow_guide` reads, whatever the guide was drawn as: relative heights (0 = the
guide's lowest point, 1 = its highest), the metres those stand for when known, and the ridge and
valley lines of a sketch (kept to measure how well a result follows them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesa.control.encoding import check_user_elevation
from mesa.errors import UserError


@dataclass(frozen=True)
class Guide:
    """Large shapes the generated elevation should follow.

    Attributes:
        heights01: (H, W) float32 relative heights in [0, 1] (0 lowest, 1 highest).
        low_m, high_m: metres of heights01 = 0 and 1, or None for a relative guide (a sketch
            drawn without a height range): the prompt's landform then decides the metres.
        ridges, valleys: (H, W) bool lines drawn on a sketch (all False for a heightmap).
        source: "heightmap" or "sketch".
    """

    heights01: np.ndarray
    low_m: float | None
    high_m: float | None
    ridges: np.ndarray
    valleys: np.ndarray
    source: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.heights01.shape

    @property
    def has_metres(self) -> bool:
        return self.low_m is not None and self.high_m is not None

    def elevation_m(self) -> np.ndarray:
        """(H, W) float64 metres (UserError for a relative guide)."""
        if not self.has_metres:
            raise UserError("this guide has no height range in metres; give min_m and max_m")
        return self.low_m + self.heights01.astype(np.float64) * (self.high_m - self.low_m)


def guide_from_heightmap(elevation_m: np.ndarray) -> Guide:
    """A guide from a coarse heightmap in metres (any size with the output's aspect ratio).

    Raises UserError for NaN or infinite heights, fewer than 8 x 8 pixels, or a flat map (a
    guide with no relief says nothing about shapes)."""
    elevation = check_user_elevation(elevation_m, "the guide heightmap").astype(np.float64)
    low, high = float(elevation.min()), float(elevation.max())
    if not high > low:
        raise UserError(f"the guide heightmap is flat (every pixel {low:g} m); a guide needs some relief")
    heights01 = ((elevation - low) / (high - low)).astype(np.float32)
    no_lines = np.zeros(elevation.shape, dtype=bool)
    return Guide(heights01, low, high, no_lines, no_lines.copy(), "heightmap")
