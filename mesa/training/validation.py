"""Validation images during training: fixed prompts and seed, colour beside elevation, as PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from mesa.data.normalization import ElevationLatent
from mesa.naming import slug
from mesa.pipeline.loading import Components
from mesa.pipeline.pipeline import TerrainPipeline


def render_validation(components: Components, prompts: list[str], seed: int, steps: int,
                      resolution: int, directory: Path, autocast_dtype: torch.dtype | None = None,
                      sampler: str | None = None, guidance: float | None = None,
                      elevation_latent: ElevationLatent | None = None) -> list[Path]:
    """Generate one terrain per prompt and write `<index>_<prompt>.png` (colour | elevation grey).

    `autocast_dtype` (bf16/fp16) lets a float32 UNet run beside half-precision frozen parts;
    `sampler` and `guidance` default to the pipeline's (a distilled student samples with "lcm", 1);
    `elevation_latent`, to what the components' folder declares (a run's folder has no elevation.json
    until the model is exported)."""
    pipeline = TerrainPipeline(components, device=str(next(components.unet.parameters()).device))
    if elevation_latent is not None:
        pipeline.elevation_latent = elevation_latent
    directory.mkdir(parents=True, exist_ok=True)
    size = max(pipeline.size_factor, resolution - resolution % pipeline.size_factor)
    written = []
    modes = [(module, module.training) for module in (components.unet, components.text_encoder)]
    for module, _ in modes:
        module.eval()
    try:
        for index, prompt in enumerate(prompts):
            with torch.autocast(pipeline.device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
                terrain = pipeline(prompt, seeds=[seed], steps=steps, guidance=guidance, sampler=sampler,
                                   height=size, width=size)[0]
            grey = np.repeat(np.round(terrain.dem * 255).astype(np.uint8)[..., None], 3, axis=-1)
            path = directory / f"{index:02d}_{slug(prompt, 40, '_', empty='empty')}.png"
            Image.fromarray(np.concatenate([terrain.rgb, grey], axis=1)).save(path)
            written.append(path)
    finally:
        for module, was_training in modes:
            module.train(was_training)
    return written

