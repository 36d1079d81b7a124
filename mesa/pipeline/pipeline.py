"""`TerrainPipeline`: text prompt + seeds -> co-registered colour image and elevation map.

Sampling follows the published reference exactly (so seeds reproduce): one CPU
`torch.Generator(seed)` per seed draws the (1, 8, h, w) latent, scaled by the scheduler's
`init_noise_sigma`; CLIP text padded to 77 tokens; classifier-free guidance
`uncond + g * (cond - uncond)` with [uncond, cond] batched in one UNet call; each 4-channel half
divided by the VAE scaling factor, decoded, and mapped with `(x / 2 + 0.5).clamp(0, 1)`.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mesa.errors import UserError
from mesa.pipeline.elevation import PUBLISHED_METERS_PER_PIXEL, elevation_scale, read_checkpoint_elevation
from mesa.pipeline.loading import DEFAULT_REPO_ID, Components, load_components
from mesa.pipeline.samplers import make_scheduler
from mesa.terrain import GenerationSettings, Terrain

logger = logging.getLogger(__name__)

MAX_SEED = 2**63 - 1
MAX_STEPS = 1000
SAMPLING_DEFAULTS_FILE = "sampling_defaults.json"


class GenerationCancelled(Exception):
    """Raised when a caller's cancel event is set during sampling."""


@dataclass(frozen=True)
class SamplingDefaults:
    """What a checkpoint samples with unless told otherwise (`sampling_defaults.json` beside
    `model_index.json`; the published model's defaults otherwise)."""

    sampler: str = "ddim"
    steps: int = 50
    guidance: float = 7.5

    @classmethod
    def read(cls, model_dir: Path) -> "SamplingDefaults":
        path = Path(model_dir) / SAMPLING_DEFAULTS_FILE
        if not path.is_file():
            return cls()
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError) as error:
            raise UserError(f"{path} is not a valid sampling defaults file ({error}); "
                            f"expected {{\"sampler\": ..., \"steps\": ..., \"guidance\": ...}}") from None


@dataclass(frozen=True)
class StepProgress:
    """Passed to the progress callback after every denoising step."""

    step: int  # 1-based
    total_steps: int
    timestep: int


class TerrainPipeline:
    """Text-to-terrain sampler around a `UNetDEMConditionModel` checkpoint."""

    def __init__(self, components: Components, device: str = "cpu", dtype: torch.dtype = torch.float32):
        self.components = components
        if dtype == torch.float16 and components.vae.config.force_upcast:
            components.vae.to(torch.float32)  # the SD VAE overflows in fp16
        self.device = torch.device(device)
        self.dtype = dtype
        self.vae_scale_factor = 2 ** (len(components.vae.config.block_out_channels) - 1)
        self.size_factor = self.vae_scale_factor * 2 ** components.unet.num_upsamplers
        self.native_size = components.unet.config.sample_size * self.vae_scale_factor
        self.checkpoint_elevation = read_checkpoint_elevation(components.model_dir)
        self.meters_per_pixel = self.checkpoint_elevation.meters_per_pixel or PUBLISHED_METERS_PER_PIXEL
        self.defaults = SamplingDefaults.read(components.model_dir)

    @classmethod
    def from_pretrained(cls, path_or_repo_id: str | os.PathLike = DEFAULT_REPO_ID, device: str = "cpu",
                        dtype: torch.dtype = torch.float32) -> "TerrainPipeline":
        """Load a MESA-layout folder, a bundled model name ("mesa-tiny") or a Hub repo id."""
        return cls(load_components(path_or_repo_id, device, dtype), device, dtype)

    @property
    def model_id(self) -> str:
        return self.components.model_id

    def encode_text(self, prompts: Sequence[str]) -> torch.Tensor:
        """CLIP hidden states (N, 77, D) for prompts padded/truncated to the tokenizer's length."""
        tokenizer = self.components.tokenizer
        ids = tokenizer(list(prompts), padding="max_length", max_length=tokenizer.model_max_length,
                        truncation=True, return_tensors="pt").input_ids
        for prompt in prompts:
            warn_if_truncated(tokenizer, prompt)
        return self.components.text_encoder(ids.to(self.device))[0]

    def __call__(
        self,
        prompt: str,
        seeds: Sequence[int] = (42, 50),
        steps: int | None = None,
        guidance: float | None = None,
        sampler: str | None = None,
        negative_prompt: str = "",
        height: int | None = None,
        width: int | None = None,
        callback: Callable[[StepProgress], None] | None = None,
        cancel: threading.Event | None = None,
        relief_m: float | None = None,
        base_m: float | None = None,
    ) -> list[Terrain]:
        """Generate one `Terrain` per seed. Raises `UserError` for bad arguments and
        `GenerationCancelled` when `cancel` is set.

        `steps`, `guidance` and `sampler` default to the checkpoint's `sampling_defaults.json`
        (DDIM, 50 steps, guidance 7.5 for the published model)."""
        steps = self.defaults.steps if steps is None else steps
        guidance = self.defaults.guidance if guidance is None else guidance
        sampler = self.defaults.sampler if sampler is None else sampler
        height, width = height or self.native_size, width or self.native_size
        self._validate(prompt, seeds, steps, guidance, height, width)
        scale = elevation_scale(prompt, self.checkpoint_elevation, relief_m, base_m)
        latents = self.sample_latents(prompt, seeds, steps, guidance, sampler, negative_prompt, height, width,
                                      callback, cancel)
        settings = GenerationSettings(prompt, negative_prompt, steps, float(guidance), sampler, height, width,
                                      scale.relief_m, scale.base_m, self.model_id)
        terrains = []
        for latent, seed in zip(latents, seeds):
            image, dem_channels = self.decode(latent[None])
            rgb = np.round(image[0] * 255).astype(np.uint8)
            dem = dem_channels[0].mean(axis=-1).astype(np.float32)
            elevation_m = (scale.base_m + dem * scale.relief_m).astype(np.float32)
            # A latent pixel always covers the same ground: other sizes cover more or less area.
            terrains.append(Terrain(rgb, dem, elevation_m, self.meters_per_pixel, int(seed), settings))
        return terrains

    @torch.no_grad()
    def sample_latents(self, prompt, seeds, steps, guidance, sampler="ddim", negative_prompt="", height=None,
                       width=None, callback=None, cancel=None) -> torch.Tensor:
        """Denoise one latent per seed; returns (N, 8, h, w) latents (0-3 image, 4-7 elevation)."""
        height, width = height or self.native_size, width or self.native_size
        scheduler = make_scheduler(sampler, self.components.scheduler_config)
        scheduler.set_timesteps(steps, device=self.device)
        generators = [torch.Generator("cpu").manual_seed(int(seed)) for seed in seeds]
        latents = self._initial_latents(generators, height, width) * scheduler.init_noise_sigma
        # Stochastic samplers draw each seed's step noise from that seed's own generator.
        step_kwargs = {"generator": generators} if "generator" in inspect.signature(scheduler.step).parameters else {}
        use_cfg = guidance > 1.0
        context = self.encode_text([negative_prompt, prompt] if use_cfg else [prompt])
        context = context.repeat_interleave(len(seeds), dim=0)
        unet = self.components.unet
        for index, timestep in enumerate(scheduler.timesteps):
            if cancel is not None and cancel.is_set():
                raise GenerationCancelled(f"generation cancelled at step {index} of {steps}")
            model_input = torch.cat([latents] * 2) if use_cfg else latents
            model_input = scheduler.scale_model_input(model_input, timestep)
            prediction = unet(model_input, timestep, encoder_hidden_states=context).sample
            if use_cfg:
                uncond, cond = prediction.chunk(2)
                prediction = uncond + guidance * (cond - uncond)
            latents = scheduler.step(prediction, timestep, latents, **step_kwargs).prev_sample
            if callback is not None:
                callback(StepProgress(index + 1, steps, int(timestep)))
        return latents

    def _initial_latents(self, generators: list[torch.Generator], height: int, width: int) -> torch.Tensor:
        channels = 2 * self.components.unet.config.in_channels
        shape = (1, channels, height // self.vae_scale_factor, width // self.vae_scale_factor)
        noise = [torch.randn(shape, generator=g, dtype=torch.float32) for g in generators]
        return torch.cat(noise).to(self.device, self.dtype)

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """(N, 8, h, w) latents -> (image, dem_channels), each (N, H, W, 3) float32 in [0, 1].

        Both halves go through the same VAE decoder; nothing is quantised."""
        vae = self.components.vae
        halves = torch.cat(latents.split(latents.shape[1] // 2, dim=1)) / vae.config.scaling_factor
        decoded = vae.decode(halves.to(vae.dtype)).sample
        decoded = (decoded / 2 + 0.5).clamp(0, 1).float().permute(0, 2, 3, 1).cpu().numpy()
        return decoded[: len(latents)], decoded[len(latents):]

    def _validate(self, prompt, seeds, steps, guidance, height, width) -> None:
        if not isinstance(prompt, str):
            raise UserError(f"prompt must be text, got {type(prompt).__name__}")
        if isinstance(seeds, int) or not seeds:
            raise UserError("seeds must be a non-empty list of integers, e.g. [42, 50]")
        for seed in seeds:
            if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
                raise UserError(f"seed {seed!r} is not accepted; seeds are integers from 0 to {MAX_SEED}")
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 1 <= steps <= MAX_STEPS:
            raise UserError(f"steps must be an integer from 1 to {MAX_STEPS}, got {steps!r}")
        if not isinstance(guidance, (int, float)) or not math.isfinite(guidance) or guidance < 0:
            raise UserError(f"guidance must be a finite number >= 0 (1 or less turns guidance off), got {guidance!r}")
        for name, size in (("height", height), ("width", width)):
            if not isinstance(size, (int, np.integer)) or size < self.size_factor or size % self.size_factor:
                raise UserError(f"{name} must be a positive multiple of {self.size_factor} pixels for this model "
                                f"(native size {self.native_size}), got {size!r}")


def warn_if_truncated(tokenizer, prompt: str) -> list[str]:
    """Warn, naming the dropped words, when a prompt exceeds the tokenizer's length; return them."""
    ids = tokenizer(prompt, truncation=False, add_special_tokens=True).input_ids
    limit = tokenizer.model_max_length
    if len(ids) <= limit:
        return []
    dropped = tokenizer.decode(ids[limit - 1:-1]).split()
    logger.warning("Prompt longer than %d tokens; these words were dropped: %s", limit, " ".join(dropped))
    return dropped
