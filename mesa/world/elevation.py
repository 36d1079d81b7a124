"""One consistent elevation in metres over a world.

A world's relative elevation is one field: every window is denoised on the same latent canvas and
their predictions are fused at every step, so two windows cannot keep different normalisations in
their overlap (there is one latent there, decoded once per covering window and blended). What is
left to make consistent is how that field becomes metres:

- a checkpoint with a global metres normalisation (`elevation.json`, mesa-tiny) maps it with one
  affine map everywhere: `min_m + dem * (max_m - min_m)`;
- the published model's relative elevation gets metres from each prompt's landform (or the
  caller's relief_m / base_m). With one prompt that is one affine map too; with a map of prompts
  each window takes the mix of its prompts' (base, relief), and the per-pixel base and relief are
  blended with the windows' smooth weights, so "plains" beside "mountains" ramps over a window
  instead of stepping at the cell edge;
- extending an existing terrain keeps its map: (base, relief) are fitted by least squares to its
  own (dem, elevation_m) pairs (exact for a terrain this pipeline made).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mesa.pipeline.elevation import ElevationScale, elevation_scale
from mesa.world.layout import WorldLayout
from mesa.world.prompts import PromptMap


def prompt_scales(pipe, prompts: Sequence[str], relief_m: float | None = None,
                  base_m: float | None = None) -> tuple[ElevationScale, ...]:
    """The (base, relief) of each prompt: the caller's, the checkpoint's, or the prompt's landform."""
    return tuple(elevation_scale(prompt, pipe.checkpoint_elevation, relief_m, base_m) for prompt in prompts)


def to_metres(dem: np.ndarray, layout: WorldLayout, prompt_map: PromptMap,
              scales: Sequence[ElevationScale]) -> np.ndarray:
    """(H, W) float32 metres of a (H, W) relative elevation: one affine map when every prompt has
    the same scale (bit-identical to `TerrainPipeline.to_terrains`), else blended per-pixel maps."""
    if len({(s.base_m, s.relief_m) for s in scales}) == 1:
        return (scales[0].base_m + dem * scales[0].relief_m).astype(np.float32)
    base = blended_field(layout, prompt_map, [s.base_m for s in scales])
    relief = blended_field(layout, prompt_map, [s.relief_m for s in scales])
    return (base + dem * relief).astype(np.float32)


def blended_field(layout: WorldLayout, prompt_map: PromptMap, values: Sequence[float]) -> np.ndarray:
    """(H, W) float64: each window's share-weighted mean of the prompts' `values`, blended at pixel
    resolution with the windows' normalised weights (smooth wherever prompts change)."""
    scale = layout.vae_scale_factor
    values = np.asarray(values, dtype=np.float64)
    total = layout.weight_total(scale)
    blended = np.zeros(total.shape)
    for window in layout.windows:
        value = float(prompt_map.mixture(*window.latent_slices()) @ values)
        blended[window.pixel_slices(scale)] += value * layout.normalised_weights(window, total, scale)
    return blended


def fit_scale(dem: np.ndarray, elevation_m: np.ndarray, fallback: ElevationScale) -> tuple[ElevationScale, float]:
    """Least-squares `elevation_m ~ base_m + dem * relief_m` over all pixels, and the fit's RMS error
    in metres; `fallback` when the relative elevation is flat (nothing to fit)."""
    dem = np.asarray(dem, dtype=np.float64).ravel()
    elevation = np.asarray(elevation_m, dtype=np.float64).ravel()
    if dem.std() < 1e-9:
        residual = elevation - (fallback.base_m + dem * fallback.relief_m)
        return fallback, float(np.sqrt(np.mean(residual**2)))
    relief, base = np.polyfit(dem, elevation, 1)
    residual = elevation - (base + dem * relief)
    if not relief > 0:
        return fallback, float(np.sqrt(np.mean((elevation - (fallback.base_m + dem * fallback.relief_m)) ** 2)))
    rms_m = float(np.sqrt(np.mean(residual**2)))
    return ElevationScale(float(base), float(relief), "fitted to the extended terrain"), rms_m
