"""Hydraulic erosion on a grid: rain, multiple-flow-direction water routing, stream-power sediment
capacity, erosion, deposition and evaporation, vectorised in torch (CPU or GPU).

Each iteration, on every cell at once (a grid model in the family of Mei et al. 2007, "Fast
hydraulic erosion simulation and visualization on GPU", with water routed by surface drop instead
of pipe fluxes so that every transfer is an explicit, conservative exchange between two cells):

1. rain: `water_m += rain_m`;
2. routing: with the water surface `s = ground + water`, the drop towards each of the eight
   neighbours is `max(s - s_k, 0) / distance_k`; the cell releases
   `discharge_m = min(water_m, drop_max / 2)` (never enough to lift a neighbour above it), shared
   among the lower neighbours in proportion to their drops (multiple flow direction);
3. capacity: `capacity_m = capacity * discharge_m * tan(slope)`, with the slope of the water
   surface, so flat water (lakes, pits) carries nothing (a stream-power law);
4. exchange: below capacity the ground loses `erodibility * (capacity_m - sediment_m)` (at most
   half the surface drop, so no new pit is dug); above it `deposition * (sediment_m - capacity_m)`
   settles;
5. transport: sediment leaves with the same share of the cell's water that leaves;
6. evaporation: `water_m *= 1 - evaporation`.

The border is open: ghost cells outside the tile continue the original ground's slope (a fixed
base level) under the edge cell's water depth, so water leaves where the ground falls towards the
border (taking its sediment with it) and a flat or rising border holds it; what leaves is tallied
at the ghost ring (`carried_out_m3`). After the last iteration the sediment still in suspension
settles where it is, so the ground's volume change plus what left is zero up to float rounding.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch

from mesa.finishing.checks import check_fraction, check_iterations
from mesa.finishing.erosion_result import ErosionResult, Progress, report_iteration, summarise_erosion
from mesa.finishing.neighbours import (
    DISTANCES_PX,
    drops_to_neighbours,
    fill_ghost_surface,
    ghost_ring_sum,
    interior,
    outflow_ghosts,
    resolve_device,
    scatter_to_neighbours,
)
from mesa.finishing.thermal import Relaxation, ThermalErosion
from mesa.validation import check_elevation, check_positive

_TINY = 1e-12


@dataclass(frozen=True)
class HydraulicErosion:
    """Settings of `hydraulic_erosion`, in physical units.

    Attributes:
        iterations: time steps; water moves at most one cell per step, so rivers reach as far
            upstream as this many cells.
        rain_m: water depth added to every cell per step, metres.
        evaporation: share of the standing water that evaporates per step, 0..1.
        capacity: sediment a metre of discharge carries per unit slope (dimensionless):
            `capacity_m = capacity * discharge_m * tan(slope)`.
        erodibility: share of the capacity deficit picked up from the ground per step, 0..1.
        deposition: share of the sediment above capacity that settles per step, 0..1.
    """

    iterations: int = 100
    rain_m: float = 0.01
    evaporation: float = 0.05
    capacity: float = 4.0
    erodibility: float = 0.3
    deposition: float = 0.3

    def checked(self) -> HydraulicErosion:
        """These settings after boundary checks (UserError naming the bad one)."""
        check_iterations(self.iterations)
        check_positive("rain_m", self.rain_m)
        check_positive("capacity", self.capacity)
        for name in ("evaporation", "erodibility", "deposition"):
            check_fraction(name, getattr(self, name))
        return self


@dataclass
class _State:
    """Tensors of one run, allocated once: (H, W) float32 unless noted, padded ones (H + 2, W + 2).

    The loop writes into these buffers in place: on a CPU a fresh multi-megabyte tensor per
    operation costs more in page faults than the arithmetic itself.
    """

    base: torch.Tensor
    ghosts: torch.Tensor
    change: torch.Tensor
    water: torch.Tensor
    sediment: torch.Tensor
    flow: torch.Tensor
    ground: torch.Tensor
    discharge: torch.Tensor
    half_drop: torch.Tensor
    drop_sum: torch.Tensor
    exchange: torch.Tensor
    scratch: torch.Tensor
    surface_pad: torch.Tensor
    water_in: torch.Tensor
    sediment_in: torch.Tensor
    drops: torch.Tensor
    carried_out: torch.Tensor


def hydraulic_erosion(
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    settings: HydraulicErosion = HydraulicErosion(),
    device: str | torch.device = "cpu",
    thermal: ThermalErosion | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> ErosionResult:
    """Erode `elevation_m` with rain-fed flowing water (see the module docstring).

    Args:
        elevation_m: (H, W) finite elevation, metres, row 0 north; H, W >= 2.
        meters_per_pixel: ground spacing, metres.
        settings: rain, iterations, capacity, erodibility, deposition, evaporation.
        device: "cpu", "cuda", "mps" or "auto"; the same code runs on each.
        thermal: when given, one thermal relaxation step (its talus angle and rate; its iteration
            count is not used) follows every hydraulic step, so the water carries off the banks
            that collapse instead of being dammed by them (as in Stava et al. 2008).
        progress: called with (iterations done, total) after every iteration.
        cancel: when set, the run stops with ErosionCancelled after the current iteration.
    Returns:
        ErosionResult on the same grid (nothing is resampled, so a colour image stays registered).
    """
    elevation = check_elevation(elevation_m)
    meters_per_pixel = check_positive("meters_per_pixel", meters_per_pixel)
    settings = settings.checked()
    device = resolve_device(device)
    state = _initial_state(elevation, device)
    relaxation = None
    if thermal is not None:
        relaxation = Relaxation.allocate(elevation.shape, thermal.checked(), meters_per_pixel, device)
    with torch.no_grad():
        for done in range(1, settings.iterations + 1):
            _step(state, settings, meters_per_pixel)
            if relaxation is not None:
                relaxation.step(state.base, state.change)
            report_iteration(done, settings.iterations, progress, cancel)
        state.change.add_(state.sediment)
    kind = "hydraulic" if thermal is None else "hydraulic+thermal"
    return summarise_erosion(
        kind, elevation, state.change, state.flow, state.carried_out, meters_per_pixel, settings.iterations
    )


def _initial_state(elevation: np.ndarray, device: torch.device) -> _State:
    """Ground relative to its mean (float32 then keeps millimetres at any altitude) and empty buffers."""
    height, width = elevation.shape

    def zeros(*shape: int) -> torch.Tensor:
        return torch.zeros(shape, dtype=torch.float32, device=device)

    base = torch.as_tensor(elevation - elevation.mean(), dtype=torch.float32, device=device)
    names = ("change", "water", "sediment", "flow", "ground", "discharge", "half_drop", "drop_sum", "exchange",
             "scratch")
    return _State(
        base=base,
        ghosts=outflow_ghosts(base),
        **{name: zeros(height, width) for name in names},
        surface_pad=zeros(height + 2, width + 2),
        water_in=zeros(height + 2, width + 2),
        sediment_in=zeros(height + 2, width + 2),
        drops=zeros(8, height, width),
        carried_out=torch.zeros((), dtype=torch.float64, device=device),
    )


def _step(s: _State, settings: HydraulicErosion, meters_per_pixel: float) -> None:
    """One iteration: rain, routing, erosion or deposition, transport, evaporation (all in place)."""
    s.water.add_(settings.rain_m)
    torch.add(s.base, s.change, out=s.ground)
    fill_ghost_surface(s.surface_pad, s.ghosts, s.water)
    torch.add(s.ground, s.water, out=interior(s.surface_pad))
    drops = drops_to_neighbours(s.surface_pad, s.drops).clamp_(min=0.0)
    drops[4:].mul_(1.0 / DISTANCES_PX[4])
    torch.amax(drops, dim=0, out=s.half_drop).mul_(0.5)
    torch.sum(drops, dim=0, out=s.drop_sum)
    torch.minimum(s.water, s.half_drop, out=s.discharge)
    s.flow.add_(s.discharge)

    deficit = torch.mul(s.discharge, s.half_drop, out=s.scratch)
    deficit.mul_(2.0 * settings.capacity / meters_per_pixel).sub_(s.sediment)
    exchange = torch.clamp(deficit, min=0.0, out=s.exchange).mul_(settings.erodibility)
    torch.minimum(exchange, s.half_drop, out=exchange)  # picked up: at most half the drop
    exchange.add_(deficit.clamp_(max=0.0).mul_(settings.deposition))  # minus what settles
    s.change.sub_(exchange)
    s.sediment.add_(exchange)

    share = torch.div(s.discharge, s.drop_sum.add_(_TINY), out=s.drop_sum)
    drops.mul_(share)
    scatter_to_neighbours(drops, s.water_in)
    concentration = torch.div(s.sediment, torch.add(s.water, _TINY, out=s.scratch), out=s.scratch)
    drops.mul_(concentration)
    scatter_to_neighbours(drops, s.sediment_in)
    s.carried_out.add_(ghost_ring_sum(s.sediment_in))

    s.water.sub_(s.discharge).add_(interior(s.water_in)).mul_(1.0 - settings.evaporation)
    s.sediment.sub_(s.discharge.mul_(concentration)).add_(interior(s.sediment_in))
    s.water_in.zero_()
    s.sediment_in.zero_()
