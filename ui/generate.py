"""Generation callbacks: seeds, one batched run with per-step progress, cancel, clear errors."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from mesa.errors import UserError
from mesa.pipeline import GenerationCancelled, StepProgress
from mesa.pipeline.samplers import SAMPLERS
from mesa.preview import shaded_relief
from ui.compose import check_prompt
from ui.lifetime import SessionRegistry
from ui.session import Result, Session
from ui.shading import side_by_side, upscale_nearest
from mesa.validation import as_number, check_number, check_whole_number

logger = logging.getLogger(__name__)

MAX_UI_SEED = 2**32 - 1  # browsers hold integers exactly only up to 2**53; keep seeds short to type
MAX_VARIATIONS = 8
STEPS_RANGE = (1, 150)
GUIDANCE_RANGE = (0.0, 20.0)
RELIEF_RANGE_M = (1.0, 20_000.0)  # 0 means "from the prompt"; Earth's full range is about 19.9 km
GALLERY_TILE_PX = 256  # tiny models' outputs are enlarged to at least this for the gallery

Progress = Callable[..., object]


@dataclass(frozen=True)
class GenerationRequest:
    """Validated settings of one run (UI values -> pipeline arguments).

    Attributes:
        relief_m: metres from the lowest to the highest possible elevation, None: from the prompt.
    """

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


def resolution_choices(pipe) -> list[int]:
    """Square sizes (px) the page offers: multiples of the model's size factor around its native size."""
    if pipe is None:
        return [768]
    native, factor = pipe.native_size, pipe.size_factor
    sizes = {max(factor, round(native * k / factor) * factor) for k in (0.5, 0.75, 1.0, 1.25, 1.5)}
    return sorted(sizes)


def seeds_for(seed: object, num_seeds: object) -> list[int]:
    """`num_seeds` consecutive seeds from `seed` (the variations of one run)."""
    first = check_whole_number("the seed", seed, 0, MAX_UI_SEED)
    count = check_whole_number("variations", num_seeds, 1, MAX_VARIATIONS)
    return [(first + k) % (MAX_UI_SEED + 1) for k in range(count)]


def check_resolution(pipe, resolution: object) -> int:
    """One of `resolution_choices(pipe)` (which bounds the memory a run can take)."""
    choices = resolution_choices(pipe)
    refusal = UserError(f"resolution must be one of {', '.join(map(str, choices))} px (each a multiple of "
                        f"{getattr(pipe, 'size_factor', 8)} near the model's native size), got {resolution!r}")
    try:
        size = check_whole_number("resolution", resolution, min(choices), max(choices))
    except UserError:
        raise refusal from None
    if size not in choices:
        raise refusal
    return size


def check_relief(relief_m: object) -> float | None:
    """None for 0 or an empty box (the prompt's landform decides), else metres within RELIEF_RANGE_M
    after float32."""
    if relief_m is None or as_number("relief", relief_m) == 0:
        return None
    low, high = RELIEF_RANGE_M
    return check_number("relief (0 for the prompt's default)", relief_m, low, high, unit=" m")


def make_request(pipe, prompt, seed, num_seeds, steps, guidance, sampler, resolution, relief_m) -> GenerationRequest:
    """Check every value the page sent; UserError naming the first bad one and what is accepted."""
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise UserError(f"unknown sampler {sampler!r}; choose one of: {', '.join(SAMPLERS)}")
    return GenerationRequest(
        prompt=check_prompt(prompt),
        seeds=seeds_for(seed, num_seeds),
        steps=check_whole_number("steps", steps, *STEPS_RANGE),
        guidance=check_number("guidance", guidance, *GUIDANCE_RANGE),
        sampler=sampler,
        resolution=check_resolution(pipe, resolution),
        relief_m=check_relief(relief_m),
    )


def gallery_items(session: Session, results: list[Result], history: bool = False) -> list[tuple[str, str]]:
    """Gallery tiles as (PNG path, caption): colour image | shaded relief side by side, each
    result's own file (written once), captioned with seed and p2-p98 relief, or for the history
    with seed and prompt."""
    return [(str(session.image_file(result, "tile", partial(_tile, result))),
             result.history_label if history else f"{result.label} (p2–p98)") for result in results]


def _tile(result: Result) -> np.ndarray:
    """(H', W', 3) uint8: colour | shaded relief, enlarged to at least GALLERY_TILE_PX high."""
    tile = side_by_side([result.terrain.rgb, result.relief_rgb], gap_px=max(1, result.terrain.rgb.shape[1] // 64))
    return upscale_nearest(tile, GALLERY_TILE_PX)


def keep_results(session: Session, terrains: list) -> list[Result]:
    """Add a run's terrains to the session's history as its latest run, the first one selected;
    UserError (nothing added) when any height is not a finite number."""
    if not all(np.isfinite(t.elevation_m).all() for t in terrains):
        raise UserError("the model returned heights that are not finite numbers; nothing was added")
    results = [session.add(t, shaded_relief(t.elevation_m, t.meters_per_pixel)) for t in terrains]
    session.latest = [r.number for r in results]
    session.selected = results[0].number
    return results


def open_session(session: Session | None, sessions: SessionRegistry | None) -> Session:
    """The caller's live session (marked as used), or a new one (registered when `sessions` is given)."""
    if sessions is not None:
        return sessions.resume(session)
    if session is not None and not session.closed:
        session.touch()
        return session
    return Session.create()


def arm_run(session: Session | None, sessions: SessionRegistry | None = None, client_id: str | None = None) -> Session:
    """Runs at the click, before the queued generation: a fresh cancel flag for this run, which
    belongs to the page `client_id` (when that page goes, `SessionRegistry.page_gone` stops it)."""
    session = open_session(session, sessions)
    if not session.running:
        session.cancel.clear()
        session.run_client = client_id
    return session


def running_message(num_seeds: object, steps: object) -> str:
    """The status line from the click until the run ends (the progress bar is on the gallery)."""
    return (f"Generating {num_seeds} seed(s) × {steps} steps… Generate is off until this run ends; "
            "Cancel stops it at the next step.")


def cancel_run(session: Session | None) -> tuple[str, Session | None]:
    """The cancel button: the running (or queued) generation stops at its next step."""
    if session is None or session.closed:
        return "Nothing is running.", session
    session.cancel.set()
    return "Cancelling… the run stops after the current denoising step; earlier results are kept.", session


def generate(pipe, prompt: str, seed, num_seeds, steps, guidance, sampler, resolution, relief_m,
             session: Session | None, progress: Progress | None = None,
             sessions: SessionRegistry | None = None) -> tuple[list, str, Session]:
    """Generate `num_seeds` terrains in one batch and append them to the session's history.

    Returns (gallery tiles of this run, status text, session). On a bad value, a cancel or a
    model error the gallery keeps the previous run, the status says what happened and the
    history is untouched. A session closed in the meantime (idle limit) is replaced by a new one
    and the status says so.
    """
    expired = f"Your earlier session was closed ({session.closed_reason}). " if session and session.closed else ""
    session = open_session(session, sessions)
    previous = gallery_items(session, session.latest_results())
    if pipe is None:
        return previous, "No model is loaded, so nothing can be generated. See the banner above.", session
    if session.running:
        return previous, ("Not generated: this session already has a run going; wait for it to end or Cancel "
                          "it, then Generate again."), session
    try:
        request = make_request(pipe, prompt, seed, num_seeds, steps, guidance, sampler, resolution, relief_m)
        session.running = True
        with session.use():
            terrains = pipe(request.prompt, seeds=request.seeds, steps=request.steps, guidance=request.guidance,
                            sampler=request.sampler, height=request.resolution, width=request.resolution,
                            callback=_progress_callback(progress, len(request.seeds)), cancel=session.cancel,
                            relief_m=request.relief_m)
            results = keep_results(session, terrains)
    except UserError as error:
        return previous, f"{expired}Not generated: {error}", session
    except GenerationCancelled as error:
        return previous, f"Cancelled ({error}). Earlier results are kept.", session
    except Exception as error:  # a model failure must not take the page down
        logger.exception("generation failed")
        return previous, f"Error: the model failed: {type(error).__name__}: {error}. The app is still running.", session
    finally:
        session.running = False
    done = _done_message(results, request) + _truncation_note(pipe, request.prompt)
    return gallery_items(session, results), expired + done, session


def _progress_callback(progress: Progress | None, num_seeds: int) -> Callable[[StepProgress], None] | None:
    if progress is None:
        return None
    noun = "seed" if num_seeds == 1 else "seeds"

    def report(step: StepProgress) -> None:
        progress((step.step, step.total_steps), desc=f"Denoising {num_seeds} {noun}", unit="steps")

    return report


def _truncation_note(pipe, prompt: str) -> str:
    """A warning naming the words the text encoder never saw (prompts past 77 tokens)."""
    dropped = pipe.dropped_words(prompt)
    return f" Note: the prompt is too long for the model, which ignored: “{' '.join(dropped)}”." if dropped else ""


def _done_message(results: list[Result], request: GenerationRequest) -> str:
    seeds = ", ".join(str(s) for s in request.seeds)
    return (f"Done: {len(results)} terrain(s) from seed(s) {seeds} at {request.resolution} px, {request.steps} steps. "
            "Click a tile to inspect it in 2D and 3D and to download it.")
