"""The diffusion training objective: noise both latents, predict the scheduler's target, masked MSE."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass
class NoisedBatch:
    """What the UNet sees and what it must predict.

    Attributes:
        noisy_latents: (B, 8, h, w) image latent (0-3) and elevation latent (4-7), noised.
        timesteps: (B,) int64, one timestep per sample, shared by both modalities.
        target: (B, 8, h, w) the scheduler's training target (v, or the noise for epsilon models).
    """

    noisy_latents: torch.Tensor
    timesteps: torch.Tensor
    target: torch.Tensor


def noise_latents(latents: torch.Tensor, scheduler, generator: torch.Generator, high_noise_share: float = 0.0,
                  high_noise_min_timestep: int = 850) -> NoisedBatch:
    """Draw independent noise for every channel (so image and elevation noise are independent) and
    one timestep per sample; return the noised latents and the target of `scheduler`'s
    prediction_type ("v_prediction": v = sqrt(a) * noise - sqrt(1 - a) * x0; "epsilon": noise).

    Timesteps are uniform over the schedule, except that with probability `high_noise_share` the
    whole batch draws them from [high_noise_min_timestep, T) instead. Near pure noise is the only place
    where a tile's overall colour (its season) must come from the caption: lower down, the noisy latent
    already gives it away, so a uniform draw spends little of the loss on reading the month. A whole
    batch, not single samples, so tiles prepared as twins (the same ground in two months, adjacent
    positions) share their noise level. share 0 draws nothing extra (runs stay reproducible)."""
    num_timesteps = scheduler.config.num_train_timesteps
    if not 0 <= high_noise_min_timestep < num_timesteps:
        raise ValueError(f"high_noise_min_timestep must be in [0, {num_timesteps}), got {high_noise_min_timestep}")
    noise = torch.randn(latents.shape, generator=generator, device=latents.device, dtype=latents.dtype)
    lowest = 0
    if high_noise_share > 0 and torch.rand((), generator=generator, device=latents.device) < high_noise_share:
        lowest = high_noise_min_timestep
    timesteps = torch.randint(lowest, num_timesteps, (latents.shape[0],), generator=generator, device=latents.device)
    noisy = scheduler.add_noise(latents, noise, timesteps)
    prediction_type = scheduler.config.prediction_type
    if prediction_type == "v_prediction":
        target = scheduler.get_velocity(latents, noise, timesteps)
    elif prediction_type == "epsilon":
        target = noise
    else:
        raise ValueError(f"unsupported prediction_type {prediction_type!r}; expected v_prediction or epsilon")
    return NoisedBatch(noisy, timesteps, target)


def masked_mse(prediction: torch.Tensor, target: torch.Tensor, latent_mask: torch.Tensor,
               weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean squared error over valid latent pixels only.

    Args:
        prediction, target: (B, C, h, w).
        latent_mask: (B, 1, h, w) bool or {0, 1}; True where the latent pixel is valid.
        weight: optional (1, 1, h, w) weight per pixel (e.g. `edge_weights`); the mean is then
            the weighted mean over valid pixels.

    Returns a scalar: sum of squared errors at valid pixels / (valid pixels * C). Invalid pixels
    are removed with `where` before squaring, so even a non-finite prediction there contributes no gradient.
    An all-invalid batch gives 0 (and zero gradients).
    """
    if latent_mask.shape != (prediction.shape[0], 1, *prediction.shape[2:]):
        raise ValueError(f"latent mask shape {tuple(latent_mask.shape)} does not match prediction "
                         f"{tuple(prediction.shape)}; expected (B, 1, h, w)")
    valid = latent_mask.bool().expand_as(prediction)
    error = torch.where(valid, prediction.float() - target.float(), 0.0)
    if weight is None:
        return error.square().sum() / valid.sum().clamp(min=1)
    weight = weight.float().expand_as(prediction)
    return (weight * error.square()).sum() / (weight * valid).sum().clamp(min=1e-12)


CORNER_PX = 2  # side of the corner blocks `corner_weight` applies to


def edge_weights(height: int, width: int, edge_px: int, edge_weight: float, corner_weight: float = 0.0,
                 device: torch.device | None = None) -> torch.Tensor:
    """(1, 1, height, width) weights: 1 + edge_weight within edge_px pixels of an edge, 1 inside, and
    corner_weight more on the CORNER_PX x CORNER_PX block at each corner.

    Convolutions pad with zeros, so a decoder sees its tiles' edges differently from their middle; an
    unweighted error lets it trade a raised rim (a band) and corner spikes (a pixel or two at each
    corner: 16 of 16,384 at 128 px, so each needs a weight of its own) for the interior.
    """
    rows = torch.arange(height, device=device)
    cols = torch.arange(width, device=device)
    row_distance = torch.minimum(rows, height - 1 - rows)[:, None]
    col_distance = torch.minimum(cols, width - 1 - cols)[None, :]
    near = (row_distance < edge_px) | (col_distance < edge_px)
    corner = (row_distance < CORNER_PX) & (col_distance < CORNER_PX)
    return (1.0 + edge_weight * near.float() + corner_weight * corner.float())[None, None]


def step_generator(seed: int, step: int, micro: int, rank: int, device: torch.device) -> torch.Generator:
    """The noise/timestep/posterior RNG of one micro-batch: a pure function of (seed, step, micro,
    rank), so a resumed run draws exactly what an uninterrupted one would."""
    value = int(np.random.SeedSequence([seed, step, micro, rank]).generate_state(1, dtype=np.uint64)[0])
    return torch.Generator(device=device).manual_seed(value)
