"""Generation for a scorecard: every terrain through the model's public call, batched per prompt,
made once per (prompt, seed) however many measurements use it, and timed.

The model is anything with the pipeline's call signature (`TerrainPipeline`, or a fake in tests):
`model(prompt, seeds=[...], steps=, guidance=, sampler=) -> list[Terrain]`, with `model_id`,
`native_size`, `meters_per_pixel` and `defaults` (a `SamplingDefaults`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from mesa.pipeline.pipeline import SamplingDefaults
from mesa.terrain import Terrain

MAX_BATCH = 8
Request = tuple[str, tuple[int, ...]]


class TerrainModel(Protocol):
    """What the scorecard needs from a model: the pipeline's public call and four attributes."""

    model_id: str
    native_size: int
    meters_per_pixel: float
    defaults: SamplingDefaults

    def __call__(self, prompt: str, seeds: Sequence[int] = ..., steps: int | None = None,
                 guidance: float | None = None, sampler: str | None = None,
                 overscan: int | None = None) -> list[Terrain]: ...


class Generator:
    """Makes and keeps the terrains of one scorecard run.

    Args:
        model: the model under evaluation.
        settings: sampler, steps and guidance for every call.
        log: called with one progress line now and then (e.g. print).
    """

    def __init__(self, model: TerrainModel, settings: SamplingDefaults, log: Callable[[str], None] | None = None):
        self.model, self.settings, self.log = model, settings, log
        self._made: dict[tuple[str, int], Terrain] = {}
        self.seconds = 0.0

    @property
    def count(self) -> int:
        """Terrains made so far."""
        return len(self._made)

    def seconds_per_terrain(self) -> float:
        """Mean wall-clock seconds per terrain made in batches (NaN before any)."""
        return self.seconds / self.count if self.count else float("nan")

    def make(self, requests: Sequence[Request]) -> None:
        """Make every (prompt, seed) the requests name that is not made yet, seeds of a prompt in
        batches of up to MAX_BATCH, logging progress."""
        missing: dict[str, list[int]] = {}
        for prompt, seeds in requests:
            for seed in seeds:
                if (prompt, seed) not in self._made and seed not in missing.setdefault(prompt, []):
                    missing[prompt].append(seed)
        total = sum(len(seeds) for seeds in missing.values())
        done, next_report = 0, 0
        for prompt, seeds in missing.items():
            for start in range(0, len(seeds), MAX_BATCH):
                batch = seeds[start:start + MAX_BATCH]
                self._generate(prompt, batch)
                done += len(batch)
                if self.log and (done >= next_report or done == total):
                    self.log(f"  generated {done}/{total} terrains ({self.seconds_per_terrain():.2f} s each)")
                    next_report = done + max(total // 10, 1)

    def _generate(self, prompt: str, seeds: list[int]) -> None:
        started = time.perf_counter()
        terrains = self.model(prompt, seeds=seeds, steps=self.settings.steps, guidance=self.settings.guidance,
                              sampler=self.settings.sampler, overscan=self.settings.overscan)
        self.seconds += time.perf_counter() - started
        for seed, terrain in zip(seeds, terrains):
            self._made[(prompt, seed)] = terrain

    def terrains(self, prompt: str, seeds: Sequence[int]) -> list[Terrain]:
        """The terrains of `prompt` for `seeds`, made now if they were not requested before."""
        self.make([(prompt, tuple(seeds))])
        return [self._made[(prompt, seed)] for seed in seeds]


def seconds_per_terrain(model: TerrainModel, settings: SamplingDefaults, prompt: str,
                        repeats: int = 3) -> tuple[float, float]:
    """(median wall-clock seconds, median CPU seconds of this process) of one terrain, one seed per
    call (text to decoded arrays). CPU seconds are hardly changed by other load on the machine: with
    one thread they are the wall-clock time of a quiet core."""
    wall, cpu = [], []
    for repeat in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        model(prompt, seeds=[10_000 + repeat], steps=settings.steps, guidance=settings.guidance,
              sampler=settings.sampler, overscan=settings.overscan)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return float(np.median(wall)), float(np.median(cpu))
