"""A world request, validated and sized before any work: settings, layout, prompts and memory.

`plan_world` is what a UI calls while the user edits the grid: it checks every value (one
`UserError` line naming it), lays out the windows, and estimates the peak memory of the run
(canvas latents, the windows of one UNet call, the decode tiles of one VAE call, the mosaics),
refusing with one line when this machine cannot give it (`mesa.limits`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesa.errors import UserError
from mesa.limits import check_memory
from mesa.pipeline.memory import LATENT_COPIES, unet_bytes, vae_decode_bytes
from mesa.pipeline.request import SamplingRequest
from mesa.validation import check_integer
from mesa.world.layout import WorldLayout, check_tiles, windows_per_tile
from mesa.world.prompts import PromptMap, make_prompt_map

MAX_WINDOW_BATCH = 64
DETERMINISTIC_SAMPLERS = ("ddim", "dpm++", "euler", "unipc")
MOSAIC_BYTES_PER_PIXEL = 80
ALLOCATOR_MARGIN = 1.5
"""Factor over the summed buffers: allocator slack and temporaries. Measured (benchmarks/bench_world.py
--section scaling, mesa-tiny): RSS growth 145 MB for a 3 x 3 world whose buffers sum to 126 MB."""
"""Per output pixel: colour, elevation and weight accumulators (float32), the weight total and
blended base/relief fields (float64), the uint8/float32 results and an extension's known copies."""


@dataclass(frozen=True)
class WorldPlan:
    """A validated world run.

    Attributes:
        request: the sampling settings (validated by `pipe.request` for one native tile).
        layout: canvas, cells and windows.
        prompt_map: the prompt of every latent pixel.
        seed: the world's seed.
        window_batch: windows per UNet call and per VAE call.
        estimate_bytes: upper-bound peak memory of the run.
        meters_per_pixel: the model's ground spacing.
    """

    request: SamplingRequest
    layout: WorldLayout
    prompt_map: PromptMap
    seed: int
    window_batch: int
    estimate_bytes: float
    meters_per_pixel: float

    @property
    def extent_km(self) -> tuple[float, float]:
        height, width = self.layout.pixel_shape
        return width * self.meters_per_pixel / 1000, height * self.meters_per_pixel / 1000

    @property
    def unet_calls(self) -> int:
        """UNet calls of the whole run (each of `window_batch` windows, with guidance in the same call)."""
        return self.request.steps * -(-len(self.layout.windows) // self.window_batch)

    def describe(self) -> str:
        east, north = self.extent_km
        return (f"{self.layout.columns} x {self.layout.rows} tiles ({east:.2f} x {north:.2f} km, "
                f"{self.layout.pixel_shape[1]} x {self.layout.pixel_shape[0]} px), "
                f"{len(self.layout.windows)} windows at {self.layout.overlap:g} overlap, {self.request.steps} steps")


def plan_world(pipe, prompts, seed: int, tiles=(2, 2), overlap: float = 0.5, steps: int | None = None,
               guidance: float | None = None, sampler: str | None = None, negative_prompt: str = "",
               relief_m: float | None = None, base_m: float | None = None, window_batch: int = 4) -> WorldPlan:
    """Validate a world request and check its memory; UserError (one line) when anything is wrong."""
    columns, rows = check_tiles(tiles)
    tile_latent = pipe.native_size // pipe.vae_scale_factor
    layout = WorldLayout(columns, rows, tile_latent, pipe.vae_scale_factor, windows_per_tile(overlap, tile_latent))
    prompt_map = make_prompt_map(prompts, layout.latent_shape)
    requests = [pipe.request(prompt, [seed], steps, guidance, sampler, negative_prompt, None, None, relief_m, base_m,
                            overscan=0)  # windows overlap: a world's tiles are registered to its latent grid
                for prompt in prompt_map.prompts]
    request = requests[0]
    check_sampler_for_worlds(request.sampler)
    window_batch = check_integer("window_batch", window_batch, 1, MAX_WINDOW_BATCH)
    estimate = world_bytes(pipe, layout, window_batch, request.guidance > 1.0)
    east, north = columns * pipe.native_size, rows * pipe.native_size
    check_memory(estimate, f"a world of {columns} x {rows} tiles ({east} x {north} px, {window_batch} windows "
                           f"per call)",
                 "use fewer tiles or a smaller window_batch")
    return WorldPlan(request, layout, prompt_map, request.seeds[0], window_batch, estimate, pipe.meters_per_pixel)


def check_sampler_for_worlds(sampler: str) -> str:
    if sampler not in DETERMINISTIC_SAMPLERS:
        raise UserError(f"sampler {sampler!r} cannot make worlds: it draws new noise for the whole canvas every "
                        f"step, which would tie each cell to the world's size; choose one of "
                        f"{', '.join(DETERMINISTIC_SAMPLERS)}")
    return sampler


def world_bytes(pipe, layout: WorldLayout, window_batch: int, guidance: bool) -> float:
    """Upper-bound peak bytes of denoising and decoding `layout`'s canvas `window_batch` windows at a time."""
    channels = 2 * pipe.latent_channels
    height, width = layout.latent_shape
    windows = len(layout.windows)
    latent = layout.tile_latent
    canvas = (LATENT_COPIES + 4) * channels * height * width * 4  # + fused prediction, hold (clean, noise, mask)
    window_weights = windows * latent * latent * 4
    text = 2 * windows * pipe.tokenizer.model_max_length * pipe.text_encoder.config.hidden_size * 4
    batch = window_batch * (2 if guidance else 1)
    denoising = unet_bytes(pipe.unet, batch, latent, latent) + 3 * batch * channels * latent**2 * 4
    tile_px = layout.tile_px
    decoded = 2 * window_batch * tile_px * tile_px * 3 * 4
    decoding = vae_decode_bytes(pipe.vae, 2 * window_batch, tile_px, tile_px) + decoded
    mosaic = MOSAIC_BYTES_PER_PIXEL * float(np.prod(layout.pixel_shape))
    window_levels = windows * tile_px * tile_px * 4  # each window's decoded elevation, kept for the level fit
    return ALLOCATOR_MARGIN * (canvas + window_weights + text + max(denoising, decoding) + mosaic + window_levels)
