"""Step hooks and starting latents for the one sampling loop (`mesa.pipeline.sampling.denoise`).

All three modes steer sampling the same way: known latents are brought to the current noise level
with the seed's own noise (`StepState.noised`) and written over the sampled ones, either where a
mask says (texture: the elevation half; repaint: everything outside the region) or only in their
low frequencies (guide). Using the seed's noise makes the held latents at the first, pure-noise
step identical to the noise the loop starts from, so nothing jumps at the start.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from mesa.pipeline.sampling import StepHook, StepState, make_schedule


def hold_known(known: torch.Tensor, keep: torch.Tensor, noise: torch.Tensor) -> StepHook:
    """A hook that writes `known` (at the step's noise level) where `keep` is 1.

    RePaint-style replacement (Lugmayr et al. 2022, without resampling): after every step,
    `latents = keep * noised(known) + (1 - keep) * latents`; after the last step the kept part is
    exactly `known`.

    Args:
        known: (N, C, h, w) clean latents.
        keep: (N or 1, C or 1, h, w) weights in [0, 1] (1 = hold).
        noise: (N, C, h, w) the seeds' noise (as `pipe.initial_noise` draws it).
    """

    def hold(state: StepState) -> torch.Tensor:
        held = state.noised(known, noise)
        return keep * held + (1 - keep) * state.latents

    return hold


def pull_low_frequencies(guide: torch.Tensor, channels: slice, noise: torch.Tensor, sigma_latent_px: float,
                         active_steps: int) -> StepHook:
    """A hook that replaces the low frequencies of some channels with the noised guide's
    (ILVR, Choi et al. 2021) during the first `active_steps` steps; the high frequencies and
    the other channels stay the model's.

    Args:
        guide: (N, C, h, w) clean latents of the guide (only `channels` are read).
        channels: the channels steered (the elevation half).
        noise: (N, C, h, w) the seeds' noise.
        sigma_latent_px: Gaussian low-pass scale, latent pixels.
        active_steps: steps (from the first) that are steered; all of them keep the guide's
            large shapes to the end.
    """

    def pull(state: StepState) -> torch.Tensor | None:
        if state.index >= active_steps:
            return None
        target = state.noised(guide, noise)[:, channels]
        latents = state.latents.clone()
        current = latents[:, channels]
        latents[:, channels] = current - gaussian_blur(current, sigma_latent_px) + gaussian_blur(target, sigma_latent_px)
        return latents

    return pull


def gaussian_blur(latents: torch.Tensor, sigma_px: float) -> torch.Tensor:
    """Separable Gaussian low-pass of (N, C, h, w) latents, edges replicated."""
    radius = max(1, min(math.ceil(3 * sigma_px), min(latents.shape[-2:]) - 1))
    offsets = torch.arange(-radius, radius + 1, dtype=torch.float32, device=latents.device)
    kernel = torch.exp(-0.5 * (offsets / sigma_px) ** 2)
    kernel = (kernel / kernel.sum()).to(latents.dtype)
    channels = latents.shape[1]
    padded = F.pad(latents, (radius, radius, radius, radius), mode="replicate")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1), groups=channels)
    return F.conv2d(rows, kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1), groups=channels)


def held_start_noise(pipe, request, known: torch.Tensor, keep: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """The `noise` argument for `pipe.sample_latents` that starts the loop with the kept part
    already at the first timestep's noise level (the loop scales its noise by
    `init_noise_sigma`; with a zero-terminal-SNR schedule this changes nothing)."""
    schedule = make_schedule(request.sampler, pipe.components.scheduler_config, request.steps, pipe.device)
    scheduler = schedule.scheduler
    noisy = scheduler.add_noise(known, noise, schedule.timesteps[:1]) / scheduler.init_noise_sigma
    return keep * noisy + (1 - keep) * noise
