"""`ErosionResult`: what an erosion run did to a terrain, in metres and cubic metres."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

Progress = Callable[[int, int], None]
"""Called as progress(iterations_done, iterations_total) after each erosion iteration."""


class ErosionCancelled(Exception):
    """Raised when a caller's cancel event is set during an erosion run."""


def report_iteration(done: int, total: int, progress: Progress | None, cancel: threading.Event | None) -> None:
    """Tell `progress` that `done` of `total` iterations ran; ErosionCancelled once `cancel` is set."""
    if progress is not None:
        progress(done, total)
    if cancel is not None and cancel.is_set():
        raise ErosionCancelled(f"erosion cancelled after {done} of {total} iterations")


@dataclass(frozen=True)
class ErosionResult:
    """The eroded terrain and how it changed; every array is on the input's (H, W) grid.

    Attributes:
        kind: "hydraulic", "thermal" or "hydraulic+thermal".
        elevation_m: (H, W) float32 eroded elevation, metres.
        change_m: (H, W) float32 eroded minus original elevation, metres (negative: worn away).
        flow_m: (H, W) float32 water that flowed out of each cell, summed over the iterations,
            metres of depth (zeros for thermal erosion): the erosion's own flow map.
        meters_per_pixel: ground spacing, metres.
        iterations: time steps run.
        eroded_m3: volume of ground lowered, summed over cells that went down, m^3.
        deposited_m3: volume of ground raised, summed over cells that went up, m^3.
        carried_out_m3: sediment the water carried across the tile border, tallied where it left, m^3.
        max_change_m: largest absolute elevation change of any cell, metres.
    """

    kind: str
    elevation_m: np.ndarray
    change_m: np.ndarray
    flow_m: np.ndarray
    meters_per_pixel: float
    iterations: int
    eroded_m3: float
    deposited_m3: float
    carried_out_m3: float
    max_change_m: float

    @property
    def wear_m(self) -> np.ndarray:
        """(H, W) float32 depth of ground worn away, metres (>= 0)."""
        return np.maximum(-self.change_m, 0.0)

    @property
    def deposit_m(self) -> np.ndarray:
        """(H, W) float32 thickness of sediment laid down, metres (>= 0)."""
        return np.maximum(self.change_m, 0.0)

    @property
    def volume_moved_m3(self) -> float:
        """Volume of ground that changed place (the eroded volume), m^3."""
        return self.eroded_m3

    @property
    def conservation_error(self) -> float:
        """|eroded - deposited - carried out| / eroded: 0 when no material appeared or vanished."""
        if self.eroded_m3 == 0.0:
            return abs(self.deposited_m3 - self.carried_out_m3)
        return abs(self.eroded_m3 - self.deposited_m3 - self.carried_out_m3) / self.eroded_m3

    def summary(self) -> dict:
        """JSON-ready figures (for the sidecar and the app): volumes, max change, conservation."""
        return {
            "kind": self.kind,
            "iterations": self.iterations,
            "eroded_m3": self.eroded_m3,
            "deposited_m3": self.deposited_m3,
            "carried_out_m3": self.carried_out_m3,
            "volume_moved_m3": self.volume_moved_m3,
            "max_change_m": self.max_change_m,
            "conservation_error": self.conservation_error,
        }


def summarise_erosion(
    kind: str,
    elevation: np.ndarray,
    change: torch.Tensor,
    flow: torch.Tensor,
    carried_out_m3: torch.Tensor | float,
    meters_per_pixel: float,
    iterations: int,
) -> ErosionResult:
    """ErosionResult from a run's (H, W) change and flow tensors (metres) and its border tally.

    Args:
        elevation: (H, W) float64 original elevation, metres.
        carried_out_m3: what left across the border, in metres of thickness summed over cells
            (multiplied by the cell area here) - a scalar tensor or float.
    """
    change_m = change.detach().to("cpu", torch.float64).numpy()
    cell_m2 = meters_per_pixel * meters_per_pixel
    carried = float(carried_out_m3) * cell_m2
    return ErosionResult(
        kind=kind,
        elevation_m=(elevation + change_m).astype(np.float32),
        change_m=change_m.astype(np.float32),
        flow_m=flow.detach().to("cpu", torch.float32).numpy(),
        meters_per_pixel=meters_per_pixel,
        iterations=iterations,
        eroded_m3=float(-change_m[change_m < 0].sum()) * cell_m2,
        deposited_m3=float(change_m[change_m > 0].sum()) * cell_m2,
        carried_out_m3=carried,
        max_change_m=float(np.abs(change_m).max(initial=0.0)),
    )
