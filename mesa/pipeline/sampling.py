"""The one denoising loop of MESA Studio, with hooks for what a capability changes per step.

Every mode (text to terrain, seamless worlds, texturing a heightmap, following a guide, repainting
a region, few-step students) runs `denoise`; a capability changes only

- the **predictor**: what the model predicts for the current latents (default: the UNet with
  classifier-free guidance on one prompt; a world fuses overlapping windows with their own prompts);
- the **start**: `make_schedule(..., strength)` starts part-way (SDEdit: a noised guide instead of
  pure noise);
- **step hooks**: called after every scheduler step with a `StepState`; a hook may return new
  latents (hold a known region or the user's elevation at the step's noise level, nudge the low
  frequencies towards a guide).

For a fixed predictor the loop is the published sampler: `scale_model_input`, model output,
`scheduler.step(...).prev_sample`, as in diffusers' Stable Diffusion pipelines.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import torch
from diffusers.schedulers.scheduling_utils import SchedulerMixin

from mesa.pipeline.samplers import make_scheduler


class GenerationCancelled(Exception):
    """Raised when a caller's cancel event is set during sampling."""


@dataclass(frozen=True)
class StepProgress:
    """Passed to the progress callback after every denoising step."""

    step: int  # 1-based
    total_steps: int
    timestep: int


@dataclass(frozen=True)
class TextContext:
    """Encoded prompts for one batch of latents.

    Attributes:
        cond: (N, L, D) text-encoder hidden states of each latent's prompt.
        uncond: (N, L, D) hidden states of the negative prompt, or None when guidance is off.
    """

    cond: torch.Tensor
    uncond: torch.Tensor | None = None

    def __len__(self) -> int:
        return self.cond.shape[0]

    def select(self, index: torch.Tensor | slice | Sequence[int]) -> "TextContext":
        """The contexts of some latents of the batch (same order)."""
        return TextContext(self.cond[index], None if self.uncond is None else self.uncond[index])


Predictor = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""`(scaled latents (N, C, h, w), timestep) -> model output (N, C, h, w)`; the default is
`TerrainPipeline.guided_predictor` (UNet + classifier-free guidance)."""


@dataclass(frozen=True)
class Schedule:
    """The timesteps one run visits.

    Attributes:
        scheduler: a fresh scheduler (it keeps state between steps: one per run).
        timesteps: (T,) the timesteps visited, noisiest first.
        steps: the number of steps asked for (T == steps when starting from pure noise).
        start: index of the first visited step among the `steps` (0 from pure noise).
    """

    scheduler: SchedulerMixin
    timesteps: torch.Tensor
    steps: int
    start: int

    @property
    def from_noise(self) -> bool:
        return self.start == 0


@dataclass(frozen=True)
class StepState:
    """What a step hook sees after step `index` (0-based) of `total`.

    Attributes:
        latents: (N, C, h, w) latents after the scheduler step, at the noise level of
            `next_timestep` (clean after the last step).
        prediction: (N, C, h, w) the model output used for this step.
        timestep: the timestep just denoised; `next_timestep` the one the latents are now at
            (None after the last step).
    """

    index: int
    total: int
    timestep: int
    next_timestep: int | None
    latents: torch.Tensor
    prediction: torch.Tensor
    schedule: Schedule

    @property
    def is_last(self) -> bool:
        return self.next_timestep is None

    def noised(self, clean: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """`clean` latents brought to the noise level the latents are now at (the same noise each
        step keeps the known region coherent); `clean` itself after the last step."""
        if self.next_timestep is None:
            return clean
        timestep = torch.tensor([self.next_timestep], device=clean.device)
        return self.schedule.scheduler.add_noise(clean, noise.to(clean), timestep)


StepHook = Callable[[StepState], "torch.Tensor | None"]


def make_schedule(sampler: str, scheduler_config: dict, steps: int, device: torch.device | str = "cpu",
                  strength: float = 1.0) -> Schedule:
    """A fresh scheduler for `sampler` with `steps` steps; `strength` < 1 skips the noisiest
    steps (SDEdit: the run starts from a noised input at the first kept timestep)."""
    if not 0.0 < strength <= 1.0:
        raise ValueError(f"strength must be in (0, 1], got {strength}")
    scheduler = make_scheduler(sampler, scheduler_config)
    scheduler.set_timesteps(steps, device=device)
    kept = min(steps, max(1, round(steps * strength)))
    start = steps - kept
    order = getattr(scheduler, "order", 1)
    timesteps = scheduler.timesteps[start * order:]
    if start and hasattr(scheduler, "set_begin_index"):
        scheduler.set_begin_index(start * order)
    return Schedule(scheduler, timesteps, steps, start)


def start_latents(schedule: Schedule, noise: torch.Tensor, init_latents: torch.Tensor | None = None) -> torch.Tensor:
    """The latents the loop starts from: scaled pure noise, or `init_latents` noised to the first
    visited timestep when the schedule starts part-way."""
    if init_latents is None or schedule.from_noise:
        if init_latents is not None:
            raise ValueError("init_latents need a schedule with strength < 1")
        return noise * schedule.scheduler.init_noise_sigma
    return schedule.scheduler.add_noise(init_latents, noise, schedule.timesteps[:1])


@torch.no_grad()
def denoise(
    latents: torch.Tensor,
    schedule: Schedule,
    predictor: Predictor,
    hooks: Sequence[StepHook] = (),
    callback: Callable[[StepProgress], None] | None = None,
    cancel: threading.Event | None = None,
    generators: list[torch.Generator] | None = None,
) -> torch.Tensor:
    """Run the schedule from `latents` (already at the first timestep's noise level) to clean
    latents. `generators` (one per latent) draw a stochastic sampler's step noise."""
    scheduler = schedule.scheduler
    total = len(schedule.timesteps)
    step_kwargs = {}
    if generators is not None and "generator" in inspect.signature(scheduler.step).parameters:
        step_kwargs["generator"] = generators
    for index, timestep in enumerate(schedule.timesteps):
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled(f"generation cancelled at step {index} of {total}")
        prediction = predictor(scheduler.scale_model_input(latents, timestep), timestep)
        latents = scheduler.step(prediction, timestep, latents, **step_kwargs).prev_sample
        next_timestep = int(schedule.timesteps[index + 1]) if index + 1 < total else None
        state = StepState(index, total, int(timestep), next_timestep, latents, prediction, schedule)
        for hook in hooks:
            replaced = hook(state)
            if replaced is not None:
                latents = replaced
                state = replace(state, latents=latents)
        if callback is not None:
            callback(StepProgress(index + 1, total, int(timestep)))
    return latents
