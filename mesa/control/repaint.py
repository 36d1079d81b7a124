"""Repaint a region: a mask, the same or a new prompt, new seeds; outside the mask the terrain
stays exactly as it was, inside it is generated anew, and the border shows no step.

Method: the terrain (colour and elevation) is encoded once; every latent cell whose pixels all lie
outside the mask is held to those latents at each step's noise level (RePaint-style replacement),
so the model fills the region in the context of what surrounds it. The decoded result is then
composited with the original pixels through a feather that lies inside the mask: alpha 0 on and
outside the mask's edge (the original, exactly), rising smoothly to 1 `feather_px` inside.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from mesa.control.encoding import check_user_elevation, encoding_scale, to_model_dem
from mesa.control.grid import resample_field, resample_mask, working_size
from mesa.control.hooks import held_start_noise, hold_known
from mesa.control.result import ControlledTerrain, ControlSettings
from mesa.errors import UserError
from mesa.pipeline.sampling import StepProgress
from mesa.terrain import GenerationSettings, Terrain

FEATHER_LATENT_PX = 2.0
"""Default feather width in latent pixels (8 px for mesa-tiny, 16 px for the published model)."""


def check_mask(mask, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool mask (True = repaint) from a bool array, 0/1 numbers or an 8-bit 0/255 image.

    Raises UserError for another size, other values (anti-aliased edges) or an empty mask."""
    values = np.asarray(mask)
    if values.ndim == 3 and values.shape[2] in (1, 3, 4):
        if values.shape[2] > 1 and not (values[..., :3] == values[..., :1]).all():
            raise UserError("the mask must be black and white (white = repaint), got coloured pixels")
        values = values[..., 0]
    if values.shape != tuple(shape):
        raise UserError(f"the mask is {values.shape[1] if values.ndim > 1 else '?'} x {values.shape[0]} px but the "
                        f"terrain is {shape[1]} x {shape[0]} px; draw the mask on the terrain itself")
    if values.dtype == bool:
        selected = values
    else:
        high = 255 if values.dtype == np.uint8 and values.max() > 1 else 1
        binary = (values == 0) | (values == high)
        if not binary.all():
            row, column = np.argwhere(~binary)[0]
            raise UserError(f"the mask must hold only 0 (keep) and {high} (repaint); {int((~binary).sum())} pixel(s) "
                            f"do not, e.g. {values[row, column]!r} at row {row}, column {column} (an anti-aliased "
                            f"brush?): threshold it first")
        selected = values == high
    if not selected.any():
        raise UserError("the mask selects no pixel; paint the region to repaint in white")
    return selected


def feather(mask: np.ndarray, feather_px: float) -> np.ndarray:
    """(H, W) float32 alpha: 0 outside the mask and on its edge, a smoothstep of the distance into
    the mask reaching 1 at `feather_px` (so the composite changes nothing outside)."""
    inside_px = ndimage.distance_transform_edt(mask) - 1.0  # 0 on the mask's edge pixels
    ramp = np.clip(inside_px / feather_px, 0.0, 1.0)
    return np.where(mask, ramp * ramp * (3 - 2 * ramp), 0.0).astype(np.float32)


def latent_keep(mask: np.ndarray, vae_scale_factor: int, channels: int) -> torch.Tensor:
    """(1, channels, h, w) 1.0 on latent cells whose pixels all lie outside `mask`, else 0."""
    touched = F.max_pool2d(torch.from_numpy(mask.astype(np.float32))[None, None], vae_scale_factor)
    return (1.0 - touched).expand(1, channels, -1, -1).contiguous()


def repaint(
    pipe,
    terrain: Terrain,
    mask,
    prompt: str | None = None,
    seeds: Sequence[int] = (1,),
    *,
    steps: int | None = None,
    guidance: float | None = None,
    sampler: str | None = None,
    negative_prompt: str = "",
    feather_px: float | None = None,
    callback: Callable[[StepProgress], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[ControlledTerrain]:
    """One terrain per seed: `terrain` with the region `mask` marks generated anew.

    Args:
        terrain: the terrain to edit (a generated one, or any `Terrain`; another size than the
            model accepts is sampled on the nearest accepted size and resampled back).
        mask: (H, W) region to repaint (True / 1 / 255), the terrain's size.
        prompt: the prompt for the region (default: the terrain's own).
        feather_px: width of the blend inside the mask's edge, pixels (default 2 latent pixels).
    Returns:
        `ControlledTerrain`s whose rgb and elevation_m equal the terrain's bit for bit outside the
        mask. Elevation in metres on the terrain's own scale.
    """
    height, width = terrain.dem.shape
    check_user_elevation(terrain.elevation_m, "the terrain's elevation")
    selected = check_mask(mask, (height, width))
    feather_px = FEATHER_LATENT_PX * pipe.vae_scale_factor if feather_px is None else float(feather_px)
    if not 0 < feather_px <= max(height, width):
        raise UserError(f"feather_px must be above 0 and at most the terrain's side ({max(height, width)}), "
                        f"got {feather_px}")
    prompt = terrain.settings.prompt if prompt is None else prompt
    work_height, work_width = working_size(height, width, pipe.size_factor)
    request = pipe.request(prompt, seeds, steps, guidance, sampler, negative_prompt, work_height, work_width,
                           overscan=0)  # the kept region is registered to the tile's pixels
    scale = encoding_scale(pipe, terrain.elevation_m)
    rgb01 = resample_field(terrain.rgb.astype(np.float32) / 255.0, work_height, work_width)
    dem = resample_field(to_model_dem(terrain.elevation_m, scale), work_height, work_width)
    count = len(request.seeds)
    known = pipe.encode(rgb01[None], dem[None]).repeat(count, 1, 1, 1)
    keep = latent_keep(resample_mask(selected, work_height, work_width), pipe.vae_scale_factor, known.shape[1])
    keep = keep.to(known.device, known.dtype)
    noise, _ = pipe.initial_noise(request.seeds, work_height, work_width)
    latents = pipe.sample_latents(request, hooks=[hold_known(known, keep, noise)],
                                  noise=held_start_noise(pipe, request, known, keep, noise),
                                  callback=callback, cancel=cancel)
    alpha = feather(selected, feather_px)
    control = ControlSettings("repaint", 1.0, f"seed {terrain.seed}: {terrain.settings.prompt}",
                              {"masked_share": round(float(selected.mean()), 6), "feather_px": feather_px,
                               "working_size": [work_height, work_width]})
    return [composite(pipe, terrain, latent, alpha, scale, request, seed, control)
            for latent, seed in zip(latents, request.seeds)]


def composite(pipe, terrain: Terrain, latent: torch.Tensor, alpha: np.ndarray, scale, request, seed: int,
              control: ControlSettings) -> ControlledTerrain:
    """Decode one latent, bring it to the terrain's grid and blend it in through `alpha`."""
    height, width = alpha.shape
    image, dem_channels = pipe.decode(latent[None])
    new_rgb = resample_field(image[0], height, width) * 255.0
    new_elevation_m = scale.base_m + resample_field(dem_channels[0].mean(-1), height, width) * scale.relief_m
    weight = alpha[..., None]
    rgb = np.where(alpha[..., None] > 0, np.round((1 - weight) * terrain.rgb + weight * new_rgb), terrain.rgb)
    original_m = terrain.elevation_m
    blended_m = (1 - alpha) * original_m.astype(np.float64) + alpha * new_elevation_m
    elevation_m = np.where(alpha > 0, blended_m, original_m).astype(original_m.dtype)
    base_m, relief_m = terrain.settings.base_m, terrain.settings.relief_m
    new_dem = (elevation_m - base_m) / relief_m if relief_m > 0 else np.zeros_like(elevation_m)
    dem = np.where(alpha > 0, new_dem, terrain.dem).astype(np.float32)
    settings = GenerationSettings(request.prompt, request.negative_prompt, request.steps, float(request.guidance),
                                  request.sampler, height, width, relief_m, base_m, pipe.model_id)
    return ControlledTerrain(np.clip(rgb, 0, 255).astype(np.uint8), dem, elevation_m, terrain.meters_per_pixel,
                             int(seed), settings, control)
