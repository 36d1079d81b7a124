"""Generation callbacks: seeds, one batched run with per-step progress, cancel, clear errors."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mesa.errors import UserError
from mesa.pipeline import GenerationCancelled, StepProgress
from mesa.pipeline.pipeline import warn_if_truncated
from ui.compose import check_prompt
from ui.session import Result, Session
from mesa.preview import shaded_relief
from ui.shading import side_by_side, upscale_nearest

logger = logging.getLogger(__name__)

MAX_UI_SEED = 2**32 - 1  # browsers hold integers exactly only up to 2**53; keep seeds short to type
MAX_VARIATIONS = 8
GALLERY_TILE_PX = 256  # tiny models' outputs are enlarged to at least this for the gallery

Progress = Callable[..., object]


@dataclass(frozen=True)
class GenerationRequest:
    """Validated settings of one run (UI values -> pipeline arguments)."""

    prompt: str
    seeds: list[int]
    steps: int
    guidance: float
    sampler: str
    resolution: int
    relief_m: float | None


def random_seed() -> int:
    """A fresh seed for the "randomise" button."""
    return secrets.randbelow(MAX_UI_SEED + 1)


def seeds_for(seed: float | None, num_seeds: float | None) -> list[int]:
    """`num_seeds` consecutive seeds from `seed` (the variations of one run)."""
    if seed is None or float(seed) != int(seed) or not 0 <= int(seed) <= MAX_UI_SEED:
        raise UserError(f"the seed must be a whole number from 0 to {MAX_UI_SEED}, got {seed!r}")
    if num_seeds is None or float(num_seeds) != int(num_seeds) or not 1 <= int(num_seeds) <= MAX_VARIATIONS:
        raise UserError(f"variations must be a whole number from 1 to {MAX_VARIATIONS}, got {num_seeds!r}")
    first = int(seed)
    return [(first + k) % (MAX_UI_SEED + 1) for k in range(int(num_seeds))]


def make_request(prompt, seed, num_seeds, steps, guidance, sampler, resolution, relief_m) -> GenerationRequest:
    """Check the page's values; UserError with what is accepted when one is wrong."""
    if relief_m is not None and not float(relief_m) >= 0:
        raise UserError(f"relief must be a positive number of metres (or 0 for the prompt's default), got {relief_m}")
    relief_m = float(relief_m) if relief_m else None
    try:
        resolution = int(resolution)
    except (TypeError, ValueError):
        raise UserError(f"resolution must be a number of pixels, got {resolution!r}") from None
    return GenerationRequest(check_prompt(prompt), seeds_for(seed, num_seeds), int(steps), float(guidance),
                             str(sampler), resolution, relief_m)


def gallery_items(results: list[Result]) -> list[tuple[np.ndarray, str]]:
    """Gallery tiles: colour image | shaded relief side by side, captioned with seed and relief."""
    tiles = []
    for result in results:
        tile = side_by_side([result.terrain.rgb, result.relief_rgb], gap_px=max(1, result.terrain.rgb.shape[1] // 64))
        tiles.append((upscale_nearest(tile, GALLERY_TILE_PX), result.label))
    return tiles


def arm_run(session: Session | None, root: Path | None = None) -> Session:
    """Runs at the click, before the queued generation: a fresh cancel flag for this run."""
    session = session or Session.create(root)
    session.cancel.clear()
    return session


def cancel_run(session: Session | None) -> tuple[str, Session | None]:
    """The cancel button: the running (or queued) generation stops at its next step."""
    if session is None:
        return "Nothing is running.", session
    session.cancel.set()
    return "Cancelling… the run stops after the current denoising step; earlier results are kept.", session


def generate(pipe, prompt: str, seed, num_seeds, steps, guidance, sampler, resolution, relief_m,
             session: Session | None, progress: Progress | None = None,
             root: Path | None = None) -> tuple[list, str, Session]:
    """Generate `num_seeds` terrains in one batch and append them to the session's history.

    Returns (gallery tiles of this run, status text, session). On a bad value, a cancel or a
    model error the gallery keeps the previous run, the status says what happened and the
    history is untouched.
    """
    session = session or Session.create(root)
    previous = gallery_items(session.latest_results())
    if pipe is None:
        return previous, "No model is loaded, so nothing can be generated. See the banner above.", session
    try:
        request = make_request(prompt, seed, num_seeds, steps, guidance, sampler, resolution, relief_m)
        terrains = pipe(request.prompt, seeds=request.seeds, steps=request.steps, guidance=request.guidance,
                        sampler=request.sampler, height=request.resolution, width=request.resolution,
                        callback=_progress_callback(progress, len(request.seeds)), cancel=session.cancel,
                        relief_m=request.relief_m)
    except UserError as error:
        return previous, f"Not generated: {error}", session
    except GenerationCancelled as error:
        return previous, f"Cancelled ({error}). Earlier results are kept.", session
    except Exception as error:  # a model failure must not take the page down
        logger.exception("generation failed")
        return previous, f"Error: the model failed: {type(error).__name__}: {error}. The app is still running.", session
    results = [session.add(t, shaded_relief(t.elevation_m, t.meters_per_pixel)) for t in terrains]
    session.latest = [r.number for r in results]
    session.selected = results[0].number
    return gallery_items(results), _done_message(results, request) + _truncation_note(pipe, request.prompt), session


def _progress_callback(progress: Progress | None, num_seeds: int) -> Callable[[StepProgress], None] | None:
    if progress is None:
        return None
    noun = "seed" if num_seeds == 1 else "seeds"

    def report(step: StepProgress) -> None:
        progress((step.step, step.total_steps), desc=f"Denoising {num_seeds} {noun}", unit="steps")

    return report


def _truncation_note(pipe, prompt: str) -> str:
    """A warning naming the words the text encoder never saw (prompts past 77 tokens)."""
    tokenizer = getattr(getattr(pipe, "components", None), "tokenizer", None)
    dropped = warn_if_truncated(tokenizer, prompt) if tokenizer is not None else []
    return f" Note: the prompt is too long for the model, which ignored: “{' '.join(dropped)}”." if dropped else ""


def _done_message(results: list[Result], request: GenerationRequest) -> str:
    seeds = ", ".join(str(s) for s in request.seeds)
    return (f"Done: {len(results)} terrain(s) from seed(s) {seeds} at {request.resolution} px, {request.steps} steps. "
            "Click a tile to inspect it in 2D and 3D and to download it.")
