"""`generate_world`: a prompt (or a map of prompts) and a seed -> a seamless `World` of tiles.

    from mesa.world import generate_world
    world = generate_world(pipe, "A Sentinel-2 image of deserts and mountains in Chile", seed=7, tiles=(3, 2))
    world.rgb, world.elevation_m          # (256, 384, 3) uint8 and (256, 384) float32 metres (mesa-tiny)

The run is the pipeline's one loop (`denoise`) with a `WindowFusion` predictor over one latent
canvas, then a blended tiled decode. The world is a function of the pipeline (the pipeline cannot
import capabilities), so it takes `pipe` as its first argument.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import torch

from mesa.pipeline import denoise, make_schedule, start_latents
from mesa.world.decode import decode_canvas
from mesa.world.elevation import prompt_scales, to_metres
from mesa.world.fusion import WindowFusion, window_contexts
from mesa.world.noise import canvas_noise, cell_seed
from mesa.world.plan import WorldPlan, plan_world
from mesa.world.progress import ProgressTracker, WorldProgress
from mesa.world.world import CellProvenance, World, WorldSettings


@torch.no_grad()
def generate_world(pipe, prompts, seed: int, tiles=(2, 2), overlap: float = 0.5, steps: int | None = None,
                   guidance: float | None = None, sampler: str | None = None, negative_prompt: str = "",
                   relief_m: float | None = None, base_m: float | None = None, window_batch: int = 4,
                   callback: Callable[[WorldProgress], None] | None = None,
                   cancel: threading.Event | None = None) -> World:
    """Generate a world of `tiles` = (columns, rows) native tiles.

    Args:
        pipe: a loaded `TerrainPipeline`.
        prompts: one prompt, or a map of prompts (rows north first, any shape up to the canvas),
            stretched over the world (`mesa.world.prompts`).
        seed: the world's seed; cell (column, row) starts from noise of (seed, column, row).
        tiles: (columns, rows), each 1..64.
        overlap: share of a window its neighbour shares: 0.5 (default), 0.75, or 0 for
            independent tiles (the naive baseline).
        steps, guidance, sampler, negative_prompt, relief_m, base_m: as for `pipe(...)`
            (deterministic samplers only: ddim, dpm++, euler, unipc).
        window_batch: windows per UNet call and per VAE call.
        callback: called with a `WorldProgress` after every UNet and VAE call.
        cancel: set it to stop within one UNet call (`GenerationCancelled`).

    Raises `UserError` (one line) for bad arguments or a world too large for this machine's memory.
    """
    plan = plan_world(pipe, prompts, seed, tiles, overlap, steps, guidance, sampler, negative_prompt, relief_m,
                      base_m, window_batch)
    return run_plan(pipe, plan, callback, cancel)


def run_plan(pipe, plan: WorldPlan, callback: Callable[[WorldProgress], None] | None = None,
             cancel: threading.Event | None = None) -> World:
    """Denoise and decode a validated `WorldPlan` into a `World`."""
    request, layout = plan.request, plan.layout
    windows = len(layout.windows)
    progress = ProgressTracker(callback, request.steps, windows, windows)
    noise = canvas_noise(pipe, plan.seed, layout.columns, layout.rows).to(pipe.device, pipe.dtype)
    schedule = make_schedule(request.sampler, pipe.components.scheduler_config, request.steps, pipe.device)
    contexts = window_contexts(pipe, plan.prompt_map, layout, request.guidance, request.negative_prompt)
    predictor = WindowFusion(pipe, layout, contexts, request.guidance, plan.window_batch, on_batch=progress.denoised,
                             cancel=cancel)
    latents = denoise(start_latents(schedule, noise), schedule, predictor, (), progress.step_finished, cancel)
    decoded = decode_canvas(pipe, latents, layout, plan.window_batch, on_batch=progress.decoded_windows, cancel=cancel)
    scales = prompt_scales(pipe, plan.prompt_map.prompts, request.relief_m, request.base_m)
    settings = WorldSettings(plan.seed, request.steps, float(request.guidance), request.sampler,
                             request.negative_prompt, layout.overlap, plan.window_batch, request.relief_m,
                             request.base_m, pipe.model_id, pipe.elevation_latent)
    cells = tuple(CellProvenance(column, row, cell_seed(plan.seed, column, row),
                                 plan.prompt_map.cell_prompts(layout, column, row), "generated", 0)
                  for row in range(layout.rows) for column in range(layout.columns))
    return World(
        rgb=np.round(decoded.image * 255).astype(np.uint8),
        elevation_m=to_metres(decoded.dem, layout, plan.prompt_map, scales),
        dem=decoded.dem,
        meters_per_pixel=plan.meters_per_pixel,
        layout=layout,
        origin=(0, 0),
        prompt_map=plan.prompt_map,
        scales=scales,
        latents=latents[0].float().cpu().numpy(),
        cells=cells,
        settings=settings,
        elevation_method=elevation_method(pipe, scales) + level_fit_note(decoded.offsets, scales),
        history=(f"generated: {plan.describe()}, seed {plan.seed}",),
    )


def elevation_method(pipe, scales) -> str:
    """How this world's metres were made, in one line."""
    if pipe.checkpoint_elevation.min_m is not None and all(s.source == "checkpoint elevation.json" for s in scales):
        return "global: the checkpoint's metres normalisation (elevation.json) over the fused relative field"
    if len({(s.base_m, s.relief_m) for s in scales}) == 1:
        return f"relative: one fused relative field, one affine map to metres ({scales[0].source})"
    return "relative: one fused relative field; base and relief per prompt, blended with the window weights"


def level_fit_note(offsets: np.ndarray, scales) -> str:
    """The decode windows' level fit, in words (empty for a world of one window)."""
    if len(offsets) < 2:
        return ""
    largest_m = float(np.abs(offsets).max()) * max(s.relief_m for s in scales)
    return f"; decode windows levelled to each other by least squares (offsets up to {largest_m:.0f} m)"
