"""The settings of one sampling run, validated at the boundary (the CLI, the app and every
capability build their runs through `TerrainPipeline.request`, so the rules live here once).

Numbers are checked as the code uses them: finite and in range after the float32 cast that
sampling applies, integers whole. Nothing is clamped or replaced silently: 0 is not "the native
size", a NaN is not a default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mesa.errors import UserError
from mesa.validation import check_integer, check_number
from mesa.pipeline.samplers import SAMPLERS, check_steps

MAX_SEED = 2**63 - 1
MAX_STEPS = 1000
MAX_GUIDANCE = 100.0
MAX_RELIEF_M = 100_000.0  # ten times Earth's largest relief; more is a unit mistake
MAX_ABS_BASE_M = 20_000.0  # Earth's surface spans -11 km .. +9 km
MAX_PROMPT_CHARS = 2_000


@dataclass(frozen=True)
class SamplingRequest:
    """Validated settings of one run; `relief_m`/`base_m` None mean "from the checkpoint or prompt"."""

    prompt: str
    seeds: tuple[int, ...]
    steps: int
    guidance: float
    sampler: str
    negative_prompt: str
    height: int
    width: int
    relief_m: float | None = None
    base_m: float | None = None
    overscan: int = 0

    @property
    def sampled_height(self) -> int:
        """Pixels the run samples and decodes down the tile: `height` plus the overscan on both sides."""
        return self.height + 2 * self.overscan

    @property
    def sampled_width(self) -> int:
        return self.width + 2 * self.overscan


def check_request(prompt, seeds, steps, guidance, sampler, negative_prompt, height, width, relief_m, base_m,
                  size_factor: int, native_size: int, overscan: int = 0) -> SamplingRequest:
    """A `SamplingRequest`, or UserError naming the first bad value and what is accepted."""
    for name, text in (("prompt", prompt), ("negative prompt", negative_prompt)):
        if not isinstance(text, str):
            raise UserError(f"{name} must be text, got {type(text).__name__}")
        if len(text) > MAX_PROMPT_CHARS:
            raise UserError(f"the {name} has {len(text)} characters; at most {MAX_PROMPT_CHARS} are accepted")
    sampler = check_sampler(sampler)
    return SamplingRequest(
        prompt=prompt,
        seeds=check_seeds(seeds),
        steps=check_steps(sampler, check_integer("steps", steps, 1, MAX_STEPS)),
        guidance=check_number("guidance", guidance, 0.0, MAX_GUIDANCE, unit=" (1 or less turns guidance off)"),
        sampler=sampler,
        negative_prompt=negative_prompt,
        height=check_size("height", height, size_factor, native_size),
        width=check_size("width", width, size_factor, native_size),
        relief_m=None if relief_m is None else check_number("relief_m", relief_m, 0.0, MAX_RELIEF_M,
                                                             low_inclusive=False, unit=" metres"),
        base_m=None if base_m is None else check_number("base_m", base_m, -MAX_ABS_BASE_M, MAX_ABS_BASE_M,
                                                         unit=" metres"),
        overscan=check_overscan(overscan, size_factor, native_size),
    )


def check_seeds(seeds) -> tuple[int, ...]:
    if isinstance(seeds, (int, np.integer)) or not isinstance(seeds, Sequence) or isinstance(seeds, str) or not seeds:
        raise UserError("seeds must be a non-empty list of integers, e.g. [42, 50]")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
            raise UserError(f"seed {seed!r} is not accepted; seeds are integers from 0 to {MAX_SEED}")
    return tuple(int(seed) for seed in seeds)


def check_sampler(name) -> str:
    if name not in SAMPLERS:
        raise UserError(f"unknown sampler {name!r}; choose one of: {', '.join(SAMPLERS)}")
    return name


def check_size(name: str, size, size_factor: int, native_size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < size_factor or size % size_factor:
        raise UserError(f"{name} must be a positive multiple of {size_factor} pixels for this model "
                        f"(native size {native_size}), got {size!r}")
    return int(size)


def check_overscan(overscan, size_factor: int, native_size: int) -> int:
    """Pixels sampled beyond each edge of the tile and cropped after decoding: a whole number of
    half size factors (the sampled size stays a multiple of the size factor), at most half the
    native size."""
    step, limit = size_factor // 2, native_size // 2
    if isinstance(overscan, bool) or not isinstance(overscan, (int, np.integer)) or not 0 <= overscan <= limit \
            or overscan % step:
        raise UserError(f"overscan must be a multiple of {step} pixels from 0 to {limit} for this model "
                        f"(pixels sampled beyond each edge and cropped), got {overscan!r}")
    return int(overscan)
