"""Thermal erosion (talus relaxation) on a grid, vectorised in torch (CPU or GPU).

Loose material slides off slopes steeper than its angle of repose (Musgrave, Kolb & Mace 1989;
the 8-neighbour form of Olsen 2004, "Realtime procedural terrain generation"). Each iteration, on
every cell at once: the excess drop towards each neighbour is
`excess_k = max(z - z_k - tan(talus) * distance_k, 0)`; the cell sheds
`rate * max_k(excess_k) / 2`, shared among those neighbours in proportion to `excess_k`, so no
neighbour ends higher than the cell it came from. The border is a wall (ghost cells are never
lower), so the volume of ground is conserved exactly up to float rounding.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
import torch

from mesa.finishing.checks import check_fraction, check_iterations, check_range
from mesa.finishing.erosion_result import ErosionResult, Progress, report_iteration, summarise_erosion
from mesa.finishing.neighbours import (
    DISTANCES_PX,
    drops_to_neighbours,
    interior,
    resolve_device,
    scatter_to_neighbours,
)
from mesa.validation import check_elevation, check_positive

_TINY = 1e-12


@dataclass(frozen=True)
class ThermalErosion:
    """Settings of `thermal_erosion`.

    Attributes:
        talus_deg: angle of repose, degrees from horizontal (0 < talus < 90); scree settles at it.
        iterations: relaxation steps.
        rate: share of the excess drop a cell sheds per step, 0..1.
    """

    talus_deg: float = 35.0
    iterations: int = 50
    rate: float = 0.5

    def checked(self) -> ThermalErosion:
        """These settings after boundary checks (UserError naming the bad one)."""
        check_range("talus_deg", self.talus_deg, 1.0, 89.0)
        check_iterations(self.iterations)
        check_fraction("rate", self.rate)
        return self


def thermal_erosion(
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    settings: ThermalErosion = ThermalErosion(),
    device: str | torch.device = "cpu",
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ErosionResult:
    """Relax slopes steeper than the talus angle (see the module docstring).

    Args:
        elevation_m: (H, W) finite elevation, metres, row 0 north; H, W >= 2.
        meters_per_pixel: ground spacing, metres.
        settings: talus angle in degrees, iterations, rate.
        device: "cpu", "cuda", "mps" or "auto".
        progress, cancel: as for `hydraulic_erosion`.
    Returns:
        ErosionResult on the same grid; carried_out_m3 is 0 (the border is a wall).
    """
    elevation = check_elevation(elevation_m)
    meters_per_pixel = check_positive("meters_per_pixel", meters_per_pixel)
    settings = settings.checked()
    device = resolve_device(device)
    base = torch.as_tensor(elevation - elevation.mean(), dtype=torch.float32, device=device)
    change = torch.zeros_like(base)
    relaxation = Relaxation.allocate(base.shape, settings, meters_per_pixel, device)
    with torch.no_grad():
        for done in range(1, settings.iterations + 1):
            relaxation.step(base, change)
            report_iteration(done, settings.iterations, progress, cancel)
    flow = torch.zeros_like(base)
    return summarise_erosion("thermal", elevation, change, flow, 0.0, meters_per_pixel, settings.iterations)


@dataclass
class Relaxation:
    """Buffers and constants of thermal relaxation on one (H, W) grid (also used between hydraulic steps).

    Attributes:
        padded: (H + 2, W + 2) ground with a ghost ring of +inf (a wall: never lower).
        inflow: (H + 2, W + 2) material received, zeroed after each step.
        excess: (8, H, W) excess drop towards each neighbour, metres.
        talus_m: (8, 1, 1) drop at the talus angle to each neighbour, metres.
        rate: share of the largest excess shed per step.
    """

    padded: torch.Tensor
    inflow: torch.Tensor
    excess: torch.Tensor
    talus_m: torch.Tensor
    rate: float

    @classmethod
    def allocate(
        cls, shape: tuple[int, int], settings: ThermalErosion, meters_per_pixel: float, device: torch.device
    ) -> Relaxation:
        height, width = shape
        rise = math.tan(math.radians(settings.talus_deg)) * meters_per_pixel
        talus = torch.tensor([rise * d for d in DISTANCES_PX], dtype=torch.float32, device=device).view(8, 1, 1)
        return cls(
            padded=torch.full((height + 2, width + 2), math.inf, dtype=torch.float32, device=device),
            inflow=torch.zeros((height + 2, width + 2), dtype=torch.float32, device=device),
            excess=torch.zeros((8, height, width), dtype=torch.float32, device=device),
            talus_m=talus,
            rate=settings.rate,
        )

    def step(self, base: torch.Tensor, change: torch.Tensor) -> None:
        """One relaxation of the ground `base + change` (both (H, W)); updates `change` in place."""
        torch.add(base, change, out=interior(self.padded))
        excess = drops_to_neighbours(self.padded, self.excess).sub_(self.talus_m).clamp_(min=0.0)
        shed = excess.amax(dim=0).mul_(0.5 * self.rate)
        excess.mul_(shed.div_(excess.sum(dim=0).add_(_TINY)))
        scatter_to_neighbours(excess, self.inflow)
        change.sub_(excess.sum(dim=0)).add_(interior(self.inflow))
        self.inflow.zero_()
