"""Boundary checks for the arrays and numbers users hand to MESA Studio; each failure is one clear UserError."""

from __future__ import annotations

import math

import numpy as np

from mesa.errors import UserError


def check_elevation(elevation_m: np.ndarray) -> np.ndarray:
    """Return `elevation_m` as (H, W) float64 after checking it is 2-D, at least 2 x 2 and finite."""
    elevation = np.asarray(elevation_m)
    if elevation.ndim != 2:
        raise UserError(f"elevation must be a 2-D (height, width) array, got shape {elevation.shape}")
    if min(elevation.shape) < 2:
        raise UserError(f"elevation must be at least 2 x 2 pixels, got {elevation.shape[1]} x {elevation.shape[0]}")
    if not np.issubdtype(elevation.dtype, np.number) or np.issubdtype(elevation.dtype, np.complexfloating):
        raise UserError(f"elevation must hold real numbers, got dtype {elevation.dtype}")
    elevation = elevation.astype(np.float64)
    bad = ~np.isfinite(elevation)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise UserError(
            f"elevation has {int(bad.sum())} NaN or infinite value(s), first at row {row}, column {column}; "
            "fill the holes before exporting"
        )
    return elevation


def check_rgb(rgb: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray | None:
    """Return `rgb` as (H, W, 3) uint8 after checking it matches the elevation's (H, W)."""
    if rgb is None:
        return None
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise UserError(f"rgb must be a (height, width, 3) uint8 image, got {rgb.shape} {rgb.dtype}")
    if rgb.shape[:2] != shape:
        raise UserError(
            f"rgb is {rgb.shape[1]} x {rgb.shape[0]} px but the elevation is {shape[1]} x {shape[0]} px; "
            "they must be the same size"
        )
    return rgb


def check_positive(name: str, value: float) -> float:
    """Return `value` as float after checking it is finite and > 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise UserError(f"{name} must be a finite number > 0, got {value}")
    return number
