"""`erode`: the one entry point front ends call - erosion kind and strength to settings, a memory
check, then hydraulic and/or thermal erosion on the same grid."""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import torch

from mesa.errors import UserError
from mesa.finishing.checks import check_range
from mesa.finishing.erosion_result import ErosionResult, Progress
from mesa.finishing.hydraulic import HydraulicErosion, hydraulic_erosion
from mesa.finishing.thermal import ThermalErosion, thermal_erosion
from mesa.limits import check_memory
from mesa.validation import check_elevation

EROSION_KINDS = ("hydraulic", "thermal", "hydraulic+thermal")
MAX_STRENGTH = 10.0
BYTES_PER_CELL = 200
"""Peak host memory of one erosion run per grid cell: up to 31 float32 working grids (8 of them the
per-neighbour drops, 8 the thermal excess) plus the float64 input and the result arrays."""


def erosion_settings(
    kind: str, strength: float = 1.0
) -> tuple[HydraulicErosion | None, ThermalErosion | None]:
    """The (hydraulic, thermal) settings for a kind and a strength (None where the kind skips one).

    Strength scales time: the number of iterations (strength 2 rains twice as long), so every
    other setting keeps its physical meaning. With both kinds the thermal steps interleave the
    hydraulic ones (one each), so only the hydraulic iteration count applies.

    Args:
        kind: one of EROSION_KINDS.
        strength: > 0 and <= MAX_STRENGTH; 1 gives the defaults (100 hydraulic, 50 thermal steps).
    """
    if kind not in EROSION_KINDS:
        raise UserError(f"unknown erosion {kind!r}; choose one of {', '.join(EROSION_KINDS)}")
    strength = check_range("erosion strength", strength, 0.0, MAX_STRENGTH)
    if strength == 0.0:
        raise UserError(f"erosion strength must be above 0 and at most {MAX_STRENGTH:g}, got 0")
    hydraulic = thermal = None
    if "hydraulic" in kind:
        hydraulic = replace(HydraulicErosion(), iterations=max(1, round(HydraulicErosion.iterations * strength)))
    if "thermal" in kind:
        thermal = replace(ThermalErosion(), iterations=max(1, round(ThermalErosion.iterations * strength)))
    return hydraulic, thermal


def erode(
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    kind: str = "hydraulic",
    strength: float = 1.0,
    device: str | torch.device = "cpu",
    hydraulic: HydraulicErosion | None = None,
    thermal: ThermalErosion | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ErosionResult:
    """Erode a terrain: hydraulic, thermal, or both interleaved (a thermal step after every
    hydraulic one, so collapsed banks are carried off by the water).

    Args:
        elevation_m: (H, W) finite elevation, metres, row 0 north.
        meters_per_pixel: ground spacing, metres.
        kind, strength: see `erosion_settings`.
        device: "cpu", "cuda", "mps" or "auto".
        hydraulic, thermal: explicit settings that replace the ones `kind` and `strength` pick.
        progress: called with (iterations done, total) after every iteration (a progress bar).
        cancel: when set, the run stops with ErosionCancelled after the current iteration.
    Returns:
        ErosionResult on the input grid (the colour image stays co-registered).
    """
    elevation = check_elevation(elevation_m)
    chosen_hydraulic, chosen_thermal = erosion_settings(kind, strength)
    hydraulic = hydraulic if hydraulic is not None and chosen_hydraulic else chosen_hydraulic
    thermal = thermal if thermal is not None and chosen_thermal else chosen_thermal
    check_memory(BYTES_PER_CELL * elevation.size, f"{kind} erosion of {elevation.shape[1]} x {elevation.shape[0]} px",
                 "erode a smaller elevation map")
    if hydraulic is None:
        return thermal_erosion(elevation, meters_per_pixel, thermal, device, progress, cancel)
    return hydraulic_erosion(elevation, meters_per_pixel, hydraulic, device, thermal, progress, cancel)
