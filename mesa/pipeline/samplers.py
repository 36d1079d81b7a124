"""Samplers by name, each built from the checkpoint's own scheduler config.

`lcm` is the few-step sampler of a distilled student (`python -m mesa distill`): Luo et al. 2023's
multistep consistency sampling, built from the same config. A student's scheduler config may carry
`original_inference_steps` (the solver grid it was distilled on, LCMScheduler's setting); keys a
sampler does not take are left out of its config rather than warned about.
"""

from __future__ import annotations

import inspect

from diffusers import (
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    LCMScheduler,
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
    "lcm": LCMScheduler,  # Luo et al. 2023, multistep latent consistency sampling (distilled students)
}
FEW_STEP_SAMPLERS = {"lcm": 8}
"""Samplers made for distilled students, and the most steps each takes (a student is trained for
1-8 steps; more add nothing, and LCMScheduler cannot take more than its solver grid)."""


def make_scheduler(name: str, base_config: dict) -> SchedulerMixin:
    """A fresh scheduler of the named kind with the checkpoint's betas and prediction type."""
    try:
        scheduler_class = SAMPLERS[name]
    except KeyError:
        raise UserError(f"unknown sampler {name!r}; choose one of: {', '.join(SAMPLERS)}") from None
    return scheduler_class.from_config(config_for(scheduler_class, base_config))


def config_for(scheduler_class: type[SchedulerMixin], base_config: dict) -> dict:
    """The keys of `base_config` that `scheduler_class` takes, plus the private "_" keys (a
    student's `original_inference_steps` means nothing to DDIM, which would warn about it)."""
    accepted = set(inspect.signature(scheduler_class.__init__).parameters)
    return {key: value for key, value in base_config.items() if key in accepted or key.startswith("_")}


def check_steps(sampler: str, steps: int) -> int:
    """`steps` itself, or UserError when a few-step sampler is asked for more than it takes."""
    most = FEW_STEP_SAMPLERS.get(sampler)
    if most is not None and steps > most:
        raise UserError(f"the {sampler} sampler takes 1 to {most} steps (it samples distilled students, "
                        f"e.g. --fast), got {steps}")
    return steps
