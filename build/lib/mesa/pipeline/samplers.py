"""Samplers by name, each built from the checkpoint's own scheduler config."""

from __future__ import annotations

from diffusers import (
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    UniPCMultistepScheduler,
)
from diffusers.schedulers.scheduling_utils import SchedulerMixin

from mesa.errors import UserError

SAMPLERS: dict[str, type[SchedulerMixin]] = {
    "ddim": DDIMScheduler,  # Song et al. 2021, eta = 0: the reference sampler
    "dpm++": DPMSolverMultistepScheduler,  # Lu et al. 2022, DPM-Solver++(2M)
    "euler": EulerDiscreteScheduler,  # Karras et al. 2022, Euler
    "euler-a": EulerAncestralDiscreteScheduler,  # Euler ancestral (stochastic; per-seed noise)
    "unipc": UniPCMultistepScheduler,  # Zhao et al. 2023, UniPC
}


def make_scheduler(name: str, base_config: dict) -> SchedulerMixin:
    """A fresh scheduler of the named kind with the checkpoint's betas and prediction type."""
    try:
        scheduler_class = SAMPLERS[name]
    except KeyError:
        raise UserError(f"unknown sampler {name!r}; choose one of: {', '.join(SAMPLERS)}") from None
    return scheduler_class.from_config(base_config)
