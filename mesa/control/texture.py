"""Texture an existing heightmap: a co-registered colour image for the user's elevation, from a
prompt. The user's elevation comes back unchanged, to the bit.

Method, on MESA's joint latent (4 image + 4 elevation channels):

1. **Hold the elevation** (RePaint-style replacement, Lugmayr et al. 2022): the map is encoded
   once; after every step the elevation half is replaced by that encoding at the step's noise
   level (the seed's own noise), while the image half is denoised by the model.
2. **Relief guidance** (optional, `relief_guidance` > 0): each step the model is also asked about
   the same latents with the elevation half swapped for a flat map's at the same noise, and the
   image prediction is pushed away from that answer: `image + w * (image - image_flat)`, as
   classifier-free guidance does for the prompt. It costs a second UNet batch per step.
3. **Relit restart** (optional, `relit_strength` < 1): the first pass's colours are lit by the
   map's hillshade under the data's sun (azimuth 135 deg, altitude 45 deg, ambient light 0.45, as
   the synthetic training data are lit), encoded, and sampled again from `relit_strength` of the
   schedule with the elevation held (SDEdit, Meng et al. 2022): the model keeps the prompt's
   colours and repaints the shading it was shown.

Sizes: a map whose sides are multiples of the model's size factor is sampled as it is; any other
size is resampled (bilinear) to the nearest accepted size for sampling, and the image resampled
back to the map's size. Elevation is never resampled in the result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import torch

from mesa.control.encoding import check_user_elevation, encoding_scale, to_model_dem
from mesa.control.grid import resample_field, resample_rgb, working_size
from mesa.control.hooks import held_start_noise, hold_known
from mesa.control.result import ControlledTerrain, ControlSettings, chained_progress
from mesa.data.synthetic.colour import AMBIENT
from mesa.geometry.shading import SUN_ALTITUDE_DEG, SUN_AZIMUTH_DEG, hillshade
from mesa.pipeline.pipeline import TerrainPipeline
from mesa.validation import check_number
from mesa.pipeline.samplers import make_scheduler
from mesa.pipeline.sampling import Predictor, StepProgress
from mesa.terrain import GenerationSettings
from mesa.validation import check_positive

RELIEF_GUIDANCE = 3.0
RELIT_STRENGTH = 0.7
MAX_RELIEF_GUIDANCE = 20.0


def texture_heightmap(
    pipe: TerrainPipeline,
    elevation_m: np.ndarray,
    meters_per_pixel: float | None = None,
    prompt: str = "",
    seeds: Sequence[int] = (42,),
    *,
    steps: int | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    negative_prompt: str = "",
    relief_guidance: float = RELIEF_GUIDANCE,
    relit_strength: float | None = RELIT_STRENGTH,
    callback: Callable[[StepProgress], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[ControlledTerrain]:
    """One colour image per seed for the user's heightmap.

    Args:
        elevation_m: (H, W) metres, row 0 north; float32 and float64 arrays come back bit for bit
            in `elevation_m` (other real dtypes as float64).
        meters_per_pixel: ground spacing of the map (default: the model's).
        relief_guidance: weight w of relief guidance (0 turns it off).
        relit_strength: share of the schedule the relit restart runs (None: one pass only).
    Returns:
        `ControlledTerrain`s: rgb (H, W, 3) uint8; elevation_m the user's array (a copy);
        dem = (elevation_m - min) / (max - min) as float32; settings.base_m/relief_m that range.
    Raises:
        UserError for NaN heights, a map outside a global checkpoint's range, bad settings or a
        request too large for this machine; `GenerationCancelled` when `cancel` is set.
    """
    values = check_user_elevation(elevation_m)
    meters_per_pixel = check_positive("meters_per_pixel", pipe.meters_per_pixel if meters_per_pixel is None
                                      else meters_per_pixel)
    relief_guidance = check_number("relief_guidance", relief_guidance, 0.0, MAX_RELIEF_GUIDANCE,
                                   unit=" (0 turns it off)")
    if relit_strength is not None:
        relit_strength = check_number("relit_strength", relit_strength, 0.0, 1.0, low_inclusive=False,
                                      unit=" (share of the schedule re-run)")
    height, width = values.shape
    work_height, work_width = working_size(height, width, pipe.size_factor)
    request = pipe.request(prompt, seeds, steps, guidance, sampler, negative_prompt, work_height, work_width,
                           overscan=0)  # the user's heightmap is registered to the tile's pixels
    if relief_guidance > 0:
        pipe.check_memory(2 * len(request.seeds), work_height, work_width, request.guidance > 1.0,
                          f"texturing {len(request.seeds)} terrain(s) of {work_width} x {work_height} px with relief "
                          f"guidance")
    scale = encoding_scale(pipe, values)
    work_m = resample_field(values, work_height, work_width)
    dem = to_model_dem(work_m, scale)
    count = len(request.seeds)
    known = pipe.encode(None, dem[None]).repeat(count, 1, 1, 1)
    keep = torch.zeros_like(known[:1])
    keep[:, pipe.latent_channels:] = 1.0
    noise, _ = pipe.initial_noise(request.seeds, work_height, work_width)
    hooks = [hold_known(known, keep, noise)]
    predictor = relief_guided_predictor(pipe, request, known, dem, relief_guidance) if relief_guidance > 0 else None
    passes = [request.steps] if relit_strength is None else [request.steps, max(1, round(relit_strength * request.steps))]
    progress = chained_progress(callback, passes)
    latents = pipe.sample_latents(request, predictor=predictor, hooks=hooks,
                                  noise=held_start_noise(pipe, request, known, keep, noise),
                                  callback=progress[0], cancel=cancel)
    if relit_strength is not None:
        lit = relit_images(pipe, latents, work_m, meters_per_pixel * (width - 1) / max(work_width - 1, 1))
        start = pipe.encode(lit, np.repeat(dem[None], count, 0))
        latents = pipe.sample_latents(request, predictor=predictor, hooks=hooks, noise=noise, init_latents=start,
                                      strength=relit_strength, callback=progress[1], cancel=cancel)
    control = ControlSettings("texture", 1.0, "heightmap", {
        "working_size": [work_height, work_width], "resampled": (work_height, work_width) != (height, width),
        "elevation": scale.source, "relief_guidance": relief_guidance, "relit_strength": relit_strength})
    return [textured_terrain(pipe, latent, values, meters_per_pixel, seed, request, control)
            for latent, seed in zip(latents, request.seeds)]


def relief_guided_predictor(pipe: TerrainPipeline, request, known: torch.Tensor, dem: np.ndarray,
                            weight: float) -> Predictor:
    """The guided UNet output with the image half pushed away from a flat map's: the elevation
    half of a copy of the latents gets `sqrt(alpha_bar_t) * (flat - known)` added (the same noise,
    a flat map's signal: the model input is `sqrt(alpha_bar_t) * x0 + sqrt(1 - alpha_bar_t) * noise`
    for every sampler)."""
    context = pipe.encode_prompt(request.prompt, 2 * len(known), request.guidance, request.negative_prompt)
    flat = pipe.encode(None, np.full_like(dem, float(dem.mean()))[None])
    alphas_cumprod = make_scheduler(request.sampler, pipe.components.scheduler_config).alphas_cumprod
    split = pipe.latent_channels
    swap = (flat - known)[:, split:]

    def predict(latents: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
        signal = alphas_cumprod[int(timestep)].sqrt().to(latents)
        contrast = latents.clone()
        contrast[:, split:] += signal * swap
        held, other = pipe.predict(torch.cat([latents, contrast]), timestep, context, request.guidance).chunk(2)
        held[:, :split] += weight * (held[:, :split] - other[:, :split])
        return held

    return predict


def relit_images(pipe: TerrainPipeline, latents: torch.Tensor, elevation_m: np.ndarray,
                 meters_per_pixel: float) -> np.ndarray:
    """(N, H, W, 3) float colours of `latents` lit by the hillshade of `elevation_m` under the
    synthetic data's sun: `rgb * (AMBIENT + (1 - AMBIENT) * shade / sin(altitude))`."""
    shade = hillshade(elevation_m, meters_per_pixel, SUN_AZIMUTH_DEG, SUN_ALTITUDE_DEG)
    light = AMBIENT + (1 - AMBIENT) * shade / np.sin(np.radians(SUN_ALTITUDE_DEG))
    images = np.concatenate([pipe.decode(latent[None])[0] for latent in latents])
    return np.clip(images * light[None, ..., None], 0.0, 1.0)


def textured_terrain(pipe: TerrainPipeline, latent: torch.Tensor, elevation_m: np.ndarray, meters_per_pixel: float,
                     seed: int, request, control: ControlSettings) -> ControlledTerrain:
    """The decoded image on the map's grid, with the map itself as the elevation."""
    height, width = elevation_m.shape
    image, _ = pipe.decode(latent[None])
    low, high = float(elevation_m.min()), float(elevation_m.max())
    relief = high - low
    dem = ((elevation_m - low) / relief if relief > 0 else np.zeros_like(elevation_m)).astype(np.float32)
    settings = GenerationSettings(request.prompt, request.negative_prompt, request.steps, float(request.guidance),
                                  request.sampler, height, width, relief, low, pipe.model_id)
    return ControlledTerrain(resample_rgb(image[0], height, width), dem, elevation_m.copy(), meters_per_pixel,
                             int(seed), settings, control)
