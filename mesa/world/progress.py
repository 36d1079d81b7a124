"""Progress of a world run, reported after every UNet call (a batch of windows) and every decode call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mesa.pipeline import StepProgress

DECODE_COST = 2.0
"""A window's decode counted as this many window predictions in `fraction` (a VAE decode of a native
tile costs about two guided UNet windows on the CPU)."""


@dataclass(frozen=True)
class WorldProgress:
    """What a progress bar shows.

    Attributes:
        phase: "denoise" or "decode".
        step, total_steps: the denoising step under way (1-based; total_steps during decoding).
        windows_done, windows_total: windows finished in this step (or decoded so far) and in all.
        fraction: share of the whole run done, 0..1.
    """

    phase: str
    step: int
    total_steps: int
    windows_done: int
    windows_total: int
    fraction: float


class ProgressTracker:
    """Turns window batches and finished steps into `WorldProgress` calls."""

    def __init__(self, callback: Callable[[WorldProgress], None] | None, steps: int, windows_per_step: int,
                 decode_windows: int):
        self.callback = callback
        self.steps, self.windows_per_step, self.decode_windows = steps, windows_per_step, decode_windows
        self.total = steps * windows_per_step + DECODE_COST * decode_windows
        self.step, self.in_step, self.decoded = 1, 0, 0

    def denoised(self, count: int) -> None:
        self.in_step += count
        done = (self.step - 1) * self.windows_per_step + self.in_step
        self._emit(WorldProgress("denoise", self.step, self.steps, self.in_step, self.windows_per_step,
                                 done / self.total))

    def step_finished(self, progress: StepProgress) -> None:
        self.step, self.in_step = progress.step + 1, 0

    def decoded_windows(self, count: int) -> None:
        self.decoded += count
        done = self.steps * self.windows_per_step + DECODE_COST * self.decoded
        self._emit(WorldProgress("decode", self.steps, self.steps, self.decoded, self.decode_windows,
                                 min(1.0, done / self.total)))

    def _emit(self, progress: WorldProgress) -> None:
        if self.callback is not None:
            self.callback(progress)
