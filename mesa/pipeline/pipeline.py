"""`TerrainPipeline`: text prompt + seeds -> co-registered colour image and elevation map.

Sampling follows the published reference exactly (so seeds reproduce): one CPU
`torch.Generator(seed)` per seed draws the (1, 8, h, w) latent, scaled by the scheduler's
`init_noise_sigma`; CLIP text padded to 77 tokens; classifier-free guidance
`uncond + g * (cond - uncond)` with [uncond, cond] batched in one UNet call; each 4-channel half
divided by the VAE scaling factor, decoded, and mapped with `(x / 2 + 0.5).clamp(0, 1)`.

The pieces are public so that capabilities (worlds, spatial control, distillation) reuse them
around the one loop in `mesa.pipeline.sampling`: `request` (validated settings), `encode_prompt`,
`predict` / `guided_predictor`, `initial_noise`, `encode` / `decode`, `sample_latents`,
`to_terrains`. The components are plain attributes, as in diffusers: `pipe.unet`, `pipe.vae`,
`pipe.text_encoder`, `pipe.tokenizer`, `pipe.scheduler`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch

from mesa.captions.places import prompt_features
from mesa.errors import UserError
from mesa.limits import check_memory
from mesa.pipeline.elevation import (PUBLISHED_METERS_PER_PIXEL, ElevationScale, elevation_scale,
                                     read_checkpoint_elevation)
from mesa.pipeline.loading import DEFAULT_REPO_ID, Components, load_components
from mesa.pipeline.memory import sampling_bytes
from mesa.pipeline.request import SamplingRequest, check_request
from mesa.pipeline.samplers import config_for, make_scheduler
from mesa.pipeline.sampling import (Predictor, StepHook, StepProgress, TextContext, denoise, make_schedule,
                                    start_latents)
from mesa.terrain import GenerationSettings, Terrain

logger = logging.getLogger(__name__)

SAMPLING_DEFAULTS_FILE = "sampling_defaults.json"


@dataclass(frozen=True)
class SamplingDefaults:
    """What a checkpoint samples with unless told otherwise (`sampling_defaults.json` beside
    `model_index.json`; the published model's defaults otherwise)."""

    sampler: str = "ddim"
    steps: int = 50
    guidance: float = 7.5
    overscan: int = 0  # pixels sampled beyond each edge and cropped (`TerrainPipeline.request`)

    @classmethod
    def read(cls, model_dir: Path) -> "SamplingDefaults":
        path = Path(model_dir) / SAMPLING_DEFAULTS_FILE
        if not path.is_file():
            return cls()
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as error:
            raise UserError(f"{path} is not a valid sampling defaults file ({error}); "
                            f"expected {{\"sampler\": ..., \"steps\": ..., \"guidance\": ...[, \"overscan\": ...]}}") from None


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
        self.elevation_latent = self.checkpoint_elevation.latent  # the UNet's elevation latent from the VAE's
        self.defaults = SamplingDefaults.read(components.model_dir)
        self._tokenizer_lock = threading.Lock()  # a fast tokenizer is not safe to call from two threads at once

    @classmethod
    def from_pretrained(cls, path_or_repo_id: str | os.PathLike = DEFAULT_REPO_ID, device: str = "cpu",
                        dtype: torch.dtype = torch.float32) -> "TerrainPipeline":
        """Load a MESA-layout folder, a bundled model name ("mesa-tiny") or a Hub repo id."""
        return cls(load_components(path_or_repo_id, device, dtype), device, dtype)

    @property
    def model_id(self) -> str:
        return self.components.model_id

    @property
    def unet(self):
        return self.components.unet

    @property
    def vae(self):
        return self.components.vae

    @property
    def text_encoder(self):
        return self.components.text_encoder

    @property
    def tokenizer(self):
        return self.components.tokenizer

    @property
    def scheduler(self):
        """A fresh scheduler of the checkpoint's default sampler (each run makes its own)."""
        return make_scheduler(self.defaults.sampler, self.components.scheduler_config)

    @property
    def latent_channels(self) -> int:
        """Channels of one modality's latent (4 for MESA); the joint latent has twice as many."""
        return self.components.unet.config.in_channels

    # -- settings ------------------------------------------------------------------------------

    def request(self, prompt: str, seeds: Sequence[int] = (42, 50), steps: int | None = None,
                guidance: float | None = None, sampler: str | None = None, negative_prompt: str = "",
                height: int | None = None, width: int | None = None, relief_m: float | None = None,
                base_m: float | None = None, overscan: int | None = None) -> SamplingRequest:
        """Validated settings of one run: the checkpoint's defaults filled in, every value checked
        (UserError naming it and what is accepted) and the memory it needs checked against what
        this machine can give (`mesa.limits`), before any work.

        `overscan` (pixels, default the checkpoint's): the run samples and decodes that much beyond
        each edge and crops it, so the model's zero-padded edges (a raised or sunken rim, spikes at
        the corners) fall outside the tile. Capabilities that register noise, a start or step hooks
        to the tile's pixels (worlds, guides, repainting) ask for 0."""
        request = check_request(
            prompt, seeds, self.defaults.steps if steps is None else steps,
            self.defaults.guidance if guidance is None else guidance,
            self.defaults.sampler if sampler is None else sampler, negative_prompt,
            self.native_size if height is None else height, self.native_size if width is None else width,
            relief_m, base_m, self.size_factor, self.native_size,
            self.defaults.overscan if overscan is None else overscan)
        self.check_memory(len(request.seeds), request.sampled_height, request.sampled_width, request.guidance > 1.0)
        return request

    def check_memory(self, num_latents: int, height: int, width: int, guidance: bool = True,
                     what: str | None = None) -> None:
        """UserError when sampling `num_latents` terrains of (height, width) px cannot fit in memory."""
        estimate = sampling_bytes(self.unet, self.vae, 2 * self.latent_channels, num_latents, height, width,
                                  self.vae_scale_factor, guidance)
        what = what or f"generating {num_latents} terrain(s) of {width} x {height} px"
        check_memory(estimate, what, f"use fewer seeds or a smaller size (this model's native size is "
                                     f"{self.native_size} px)")

    def elevation_scale(self, request: SamplingRequest) -> ElevationScale:
        """How this run's relative elevation becomes metres (the request's, the checkpoint's, or
        the prompt's landform)."""
        return elevation_scale(request.prompt, self.checkpoint_elevation, request.relief_m, request.base_m)

    # -- building blocks -----------------------------------------------------------------------

    def token_ids(self, prompts: Sequence[str]) -> torch.Tensor:
        """(N, 77) token ids of prompts padded/truncated to the tokenizer's length."""
        with self._tokenizer_lock:
            return token_ids(self.components.tokenizer, prompts)

    def encode_text(self, prompts: Sequence[str]) -> torch.Tensor:
        """Text-encoder hidden states (N, 77, D) for prompts padded/truncated to the tokenizer's length."""
        ids = self.token_ids(prompts)
        with self._tokenizer_lock:
            for prompt in prompts:
                warn_if_truncated(self.components.tokenizer, prompt)
        with torch.no_grad():
            return self.components.text_encoder(ids.to(self.device))[0]

    def encode_prompt(self, prompt: str, count: int, guidance: float, negative_prompt: str = "") -> TextContext:
        """The context of `count` latents that share one prompt ([negative, prompt] encoded in one
        batch, as the reference does); no unconditional part when guidance <= 1."""
        if guidance > 1.0:
            hidden = self.encode_text([negative_prompt, prompt])
            return TextContext(hidden[1:].repeat(count, 1, 1), hidden[:1].repeat(count, 1, 1))
        return TextContext(self.encode_text([prompt]).repeat(count, 1, 1))

    def dropped_words(self, prompt: str) -> list[str]:
        """The words of `prompt` past the text encoder's length, which the model never reads."""
        with self._tokenizer_lock:
            return warn_if_truncated(self.components.tokenizer, prompt)

    @torch.no_grad()
    def predict(self, latents: torch.Tensor, timestep: torch.Tensor, context: TextContext,
                guidance: float) -> torch.Tensor:
        """Guided UNet output for scaled (N, 8, h, w) latents: `uncond + g * (cond - uncond)` with
        [uncond, cond] in one batch, or the conditional output alone when `context.uncond` is None."""
        unet = self.components.unet
        if context.uncond is None:
            return unet(latents, timestep, encoder_hidden_states=context.cond).sample
        hidden = torch.cat([context.uncond, context.cond])
        uncond, cond = unet(torch.cat([latents] * 2), timestep, encoder_hidden_states=hidden).sample.chunk(2)
        return uncond + guidance * (cond - uncond)

    def guided_predictor(self, context: TextContext, guidance: float) -> Predictor:
        """The default predictor of `denoise`: `predict` with this context and guidance."""
        return partial(self.predict, context=context, guidance=guidance)

    def initial_noise(self, seeds: Sequence[int], height: int, width: int) -> tuple[torch.Tensor, list[torch.Generator]]:
        """(N, 8, h, w) standard normal latents, one CPU generator per seed (as the reference draws
        them), and those generators (they go on to draw a stochastic sampler's step noise)."""
        generators = [torch.Generator("cpu").manual_seed(int(seed)) for seed in seeds]
        shape = (1, 2 * self.latent_channels, height // self.vae_scale_factor, width // self.vae_scale_factor)
        noise = [torch.randn(shape, generator=g, dtype=torch.float32) for g in generators]
        return torch.cat(noise).to(self.device, self.dtype), generators

    @torch.no_grad()
    def encode(self, rgb: np.ndarray | None, dem: np.ndarray) -> torch.Tensor:
        """(N, 8, h, w) scaled latents (posterior means) of colour and relative elevation.

        Args:
            rgb: (N, H, W, 3) float in [0, 1], or None (then the image half is zeros: unknown).
            dem: (N, H, W) float relative elevation in [0, 1] (as `Terrain.dem`).
        """
        vae = self.components.vae
        dem_pixels = torch.as_tensor(np.asarray(dem, dtype=np.float32))[:, None].expand(-1, 3, -1, -1)
        batches = [dem_pixels] if rgb is None else [torch.as_tensor(np.asarray(rgb, dtype=np.float32)).permute(0, 3, 1, 2),
                                                    dem_pixels]
        pixels = torch.cat(batches).to(self.device, vae.dtype) * 2.0 - 1.0
        latents = vae.encode(pixels).latent_dist.mean.float()
        latents = (latents - (vae.config.shift_factor or 0.0)) * vae.config.scaling_factor
        if rgb is None:
            return torch.cat([torch.zeros_like(latents), self.elevation_latent.to_unet(latents)], dim=1).to(self.dtype)
        rgb_latents, dem_latents = latents.chunk(2)
        return torch.cat([rgb_latents, self.elevation_latent.to_unet(dem_latents)], dim=1).to(self.dtype)

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """(N, 8, h, w) latents -> (image, dem_channels), each (N, H, W, 3) float32 in [0, 1].

        Both halves go through the same VAE decoder; nothing is quantised."""
        vae = self.components.vae
        rgb_latents, dem_latents = latents.float().split(latents.shape[1] // 2, dim=1)
        halves = torch.cat([rgb_latents, self.elevation_latent.from_unet(dem_latents)])
        halves = halves / vae.config.scaling_factor + (vae.config.shift_factor or 0.0)
        decoded = vae.decode(halves.to(vae.dtype)).sample
        decoded = (decoded / 2 + 0.5).clamp(0, 1).float().permute(0, 2, 3, 1).cpu().numpy()
        return decoded[: len(latents)], decoded[len(latents):]

    # -- the run -------------------------------------------------------------------------------

    @torch.no_grad()
    def sample_latents(
        self,
        request: SamplingRequest,
        *,
        predictor: Predictor | None = None,
        hooks: Sequence[StepHook] = (),
        noise: torch.Tensor | None = None,
        init_latents: torch.Tensor | None = None,
        strength: float = 1.0,
        callback: Callable[[StepProgress], None] | None = None,
        cancel: threading.Event | None = None,
        steer_colour: bool = True,
    ) -> torch.Tensor:
        """Denoise one latent per seed of `request`; returns (N, 8, h, w) clean latents
        (channels 0-3 image, 4-7 elevation) of the sampled size (the tile and its overscan).

        Args:
            request: validated settings (`pipe.request(...)`).
            predictor: model output per step (default: the UNet with the request's prompt and guidance).
            hooks: called after every step (`mesa.pipeline.sampling.StepHook`); may replace the latents.
            noise: (N, 8, h, w) starting noise (default: the seeds' noise, as the reference draws it).
            init_latents: (N, 8, h, w) clean latents to start from, noised to the first visited
                timestep; needs `strength` < 1 (SDEdit).
            strength: share of the steps that are run (1: from pure noise).
            callback: called with a `StepProgress` after every step.
            cancel: set it to stop at the next step (`GenerationCancelled`).
            steer_colour: with the default predictor, no hooks and no start, use the model's colour
                prior where it has one (`colour_steered`); False samples with the UNet alone.
        """
        if request.overscan and (noise is not None or init_latents is not None or hooks):
            raise ValueError("noise, init_latents and hooks are registered to the tile's pixels: "
                             "sample them with a request of overscan 0")
        seed_noise, generators = self.initial_noise(request.seeds, request.sampled_height, request.sampled_width)
        noise = seed_noise if noise is None else noise.to(self.device, self.dtype)
        schedule = make_schedule(request.sampler, self.components.scheduler_config, request.steps, self.device, strength)
        latents = start_latents(schedule, noise, None if init_latents is None else init_latents.to(self.device, self.dtype))
        if predictor is None:
            context = self.encode_prompt(request.prompt, len(noise), request.guidance, request.negative_prompt)
            predictor = self.guided_predictor(context, request.guidance)
            if self.components.colour_prior is not None and init_latents is None and not hooks and steer_colour:
                predictor = self.colour_steered(predictor, request.prompt, request.seeds)
        return denoise(latents, schedule, predictor, hooks, callback, cancel, generators)

    def colour_steered(self, predictor: Predictor, prompt: str, seeds: Sequence[int]) -> Predictor:
        """`predictor` with the model's colour prior (`mesa.models.colour_prior`): one tile colour
        drawn per seed from the prompt's distribution, set as the x0 prediction's image tile mean
        at the steps with timestep >= the prior's `from_timestep` (the top of the schedule)."""
        prior = self.components.colour_prior
        ids = self.token_ids([prompt])
        places = torch.from_numpy(prompt_features(prompt)[:prior.features])[None]  # a prefix: older priors read fewer
        target = prior.draw(ids.to(self.device), places, list(seeds)).to(self.device)
        alphas = self._alphas_cumprod()
        prediction_type = self.components.scheduler_config.get("prediction_type", "epsilon")

        def steered(latents: torch.Tensor, timestep: torch.Tensor) -> torch.Tensor:
            output = predictor(latents, timestep)
            step = int(torch.as_tensor(timestep).flatten()[0])
            if step < prior.from_timestep:
                return output
            return prior.steer(output, latents, float(alphas[step]), prediction_type, target)

        return steered

    def _alphas_cumprod(self) -> torch.Tensor:
        """The checkpoint's cumulative alphas per training timestep (every sampler shares its betas)."""
        from diffusers import DDIMScheduler

        return DDIMScheduler.from_config(config_for(DDIMScheduler, self.components.scheduler_config)).alphas_cumprod

    def to_terrains(self, latents: torch.Tensor, request: SamplingRequest, scale: ElevationScale | None = None,
                    seeds: Sequence[int] | None = None) -> list[Terrain]:
        """Decode clean latents one terrain at a time into `Terrain`s (elevation in metres by `scale`,
        default: the request's), the request's overscan cropped off after decoding."""
        scale = scale or self.elevation_scale(request)
        settings = GenerationSettings(request.prompt, request.negative_prompt, request.steps, float(request.guidance),
                                      request.sampler, request.height, request.width, scale.relief_m, scale.base_m,
                                      self.model_id, request.overscan)
        crop = (slice(request.overscan, request.overscan + request.height),
                slice(request.overscan, request.overscan + request.width))
        terrains = []
        for latent, seed in zip(latents, seeds or request.seeds):
            image, dem_channels = (decoded[0][crop] for decoded in self.decode(latent[None]))
            rgb = np.round(image * 255).astype(np.uint8)
            dem = dem_channels.mean(axis=-1).astype(np.float32)
            elevation_m = (scale.base_m + dem * scale.relief_m).astype(np.float32)
            # A latent pixel always covers the same ground: other sizes cover more or less area.
            terrains.append(Terrain(rgb, dem, elevation_m, self.meters_per_pixel, int(seed), settings))
        return terrains

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
        overscan: int | None = None,
    ) -> list[Terrain]:
        """Generate one `Terrain` per seed. Raises `UserError` for bad arguments (or a request too
        large for this machine's memory) and `GenerationCancelled` when `cancel` is set.

        `steps`, `guidance` and `sampler` default to the checkpoint's `sampling_defaults.json`
        (DDIM, 50 steps, guidance 7.5 for the published model); `height` and `width` to the
        model's native size; `overscan` to the checkpoint's (see `request`)."""
        request = self.request(prompt, seeds, steps, guidance, sampler, negative_prompt, height, width, relief_m,
                               base_m, overscan)
        scale = self.elevation_scale(request)
        latents = self.sample_latents(request, callback=callback, cancel=cancel)
        return self.to_terrains(latents, request, scale)


def token_ids(tokenizer, prompts: Sequence[str]) -> torch.Tensor:
    """(N, L) token ids of prompts padded/truncated to the tokenizer's length (L = model_max_length)."""
    return tokenizer(list(prompts), padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                     return_tensors="pt").input_ids


def warn_if_truncated(tokenizer, prompt: str) -> list[str]:
    """Warn, naming the dropped words, when a prompt exceeds the tokenizer's length; return them."""
    ids = tokenizer(prompt, truncation=False, add_special_tokens=True).input_ids
    limit = tokenizer.model_max_length
    if len(ids) <= limit:
        return []
    dropped = tokenizer.decode(ids[limit - 1:-1]).split()
    logger.warning("Prompt longer than %d tokens; these words were dropped: %s", limit, " ".join(dropped))
    return dropped
