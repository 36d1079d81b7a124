"""User metres to the model's relative elevation (0..1) and back.

A checkpoint with a global normalisation (mesa-tiny's `elevation.json`: -100..8,100 m) reads any
map on that one scale, so a map outside the range cannot be encoded and is refused. The published
weights were trained on elevation normalised per tile, so a map is stretched over 0..1 by its own
lowest and highest point and the result is brought back to the same metres.
"""

from __future__ import annotations

import numpy as np

from mesa.control.grid import MIN_SIDE_PX
from mesa.errors import UserError
from mesa.pipeline.elevation import ElevationScale

MAX_ABS_ELEVATION_M = 100_000.0  # ten times Earth's surface; more is a unit mistake
RELATIVE_SOURCE = "the map's own range (checkpoint elevation is relative per tile)"


def encoding_scale(pipe, elevation_m: np.ndarray) -> ElevationScale:
    """How `elevation_m` becomes the model's dem: `dem = (elevation_m - base_m) / relief_m`.

    Raises UserError when a global checkpoint cannot hold the map's range. A flat map on a
    relative checkpoint gets relief 1 m (its dem is 0 everywhere)."""
    checkpoint = pipe.checkpoint_elevation
    low, high = float(np.min(elevation_m)), float(np.max(elevation_m))
    if checkpoint.min_m is not None and checkpoint.max_m is not None:
        if low < checkpoint.min_m or high > checkpoint.max_m:
            raise UserError(f"the elevation spans {low:.1f}..{high:.1f} m but this model ({pipe.model_id}) reads "
                            f"elevation from {checkpoint.min_m:g} to {checkpoint.max_m:g} m; shift or rescale the map "
                            f"into that range")
        return ElevationScale(checkpoint.min_m, checkpoint.max_m - checkpoint.min_m, "checkpoint elevation.json")
    return ElevationScale(low, high - low if high > low else 1.0, RELATIVE_SOURCE)


def to_model_dem(elevation_m: np.ndarray, scale: ElevationScale) -> np.ndarray:
    """(H, W) float32 relative elevation the VAE encodes."""
    return ((np.asarray(elevation_m, dtype=np.float64) - scale.base_m) / scale.relief_m).astype(np.float32)


def check_user_elevation(elevation_m, what: str = "the heightmap") -> np.ndarray:
    """`elevation_m` (H, W) metres after the boundary checks: 2-D, at least MIN_SIDE_PX a side,
    real, finite, within +-MAX_ABS_ELEVATION_M. A float32 or float64 array comes back as is (no
    copy, no cast: its bits are what texture mode returns); other real dtypes as float64."""
    values = np.asarray(elevation_m)
    if values.ndim != 2 or min(values.shape) < MIN_SIDE_PX:
        raise UserError(f"{what} must be a 2-D (height, width) array of at least {MIN_SIDE_PX} x {MIN_SIDE_PX} "
                        f"pixels, got shape {values.shape}")
    if not np.issubdtype(values.dtype, np.number) or np.issubdtype(values.dtype, np.complexfloating):
        raise UserError(f"{what} must hold real numbers (metres), got dtype {values.dtype}")
    if values.dtype not in (np.float32, np.float64):
        values = values.astype(np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise UserError(f"{what} has {int(bad.sum())} NaN or infinite value(s), first at row {row}, column "
                        f"{column}; fill the holes first")
    if np.abs(values).max() > MAX_ABS_ELEVATION_M:
        raise UserError(f"{what} reaches {float(np.abs(values).max()):.3g} m; elevation is read in metres and at "
                        f"most {MAX_ABS_ELEVATION_M:.0f} m from sea level is accepted (a unit mistake?)")
    return values
