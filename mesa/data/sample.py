"""The training sample that every data source (Major TOM, synthetic) produces, and the protocol
through which the trainers read any source."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass
class TerrainSample:
    """One co-registered training pair, already cropped to the training resolution.

    Attributes:
        rgb: (H, W, 3) float32 colour in [0, 1].
        elevation_m: (H, W) float32 elevation in metres (invalid pixels hold any finite value).
        valid_mask: (H, W) bool, True where both modalities are valid (not nodata, not cloud).
        caption: the training caption (already augmented, if augmentation is on).
        grid_cell: identifier of the source cell (Major TOM grid cell or synthetic id); the
            held-out split is decided from it.
        meters_per_pixel: ground sampling distance, metres.
    """

    rgb: np.ndarray
    elevation_m: np.ndarray
    valid_mask: np.ndarray
    caption: str
    grid_cell: str
    meters_per_pixel: float = 10.0


class Captioner(Protocol):
    """Writes the caption of a training cell from its place, date and elevation (the data readers
    take one; `mesa.captions.CaptionBuilder` is the MESA recipe's)."""

    def caption(self, lat_deg: float, lon_deg: float, when: str | date | datetime,
                elevation_m: np.ndarray | None = None, valid: np.ndarray | None = None,
                meters_per_pixel: float = 10.0, rng: np.random.Generator | None = None) -> str: ...


@runtime_checkable
class TerrainSource(Protocol):
    """What the trainers read: samples by global position (see `mesa.training.data` for how
    positions are split across processes and loader workers).

    `sample_at(position)` must be a pure function of the position (so a resumed run reads the same
    samples) and may return None for a position that has no usable sample (a cloudy Major TOM
    cell); positions grow without bound, so a finite source wraps around (epochs).
    `meters_per_pixel` is the ground sampling distance of every sample, recorded with the trained model.
    """

    meters_per_pixel: float

    def sample_at(self, position: int) -> TerrainSample | None: ...
