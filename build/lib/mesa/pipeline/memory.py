"""Upper-bound memory estimates for sampling, from the model configs alone (no allocation).

Measured on the CPU (peak RSS growth of one forward pass, fp32, random weights; `python -m
benchmarks.bench_memory` prints measured against estimated): the SD 2.1 768-v UNet holds about 19
times its per-level feature maps at once (skips, attention and GEGLU intermediates; attention
itself is linear in memory with PyTorch's SDPA), the SD VAE decoder about 4.5-5.5 times its
decoder feature maps. The constants below sit above those factors, so the estimate is an upper bound.
"""

from __future__ import annotations

import torch

UNET_FEATURE_FACTOR = 24.0  # measured 19x (SD 2.1 at 256 and 512 px)
VAE_FEATURE_FACTOR = 6.5  # measured 4.3-5.5x (SD VAE at 256 and 512 px)
UNET_OVERHEAD_BYTES = 320 * 2**20  # first-call workspaces and allocator caches (measured ~110-280 MB)
VAE_OVERHEAD_BYTES = 96 * 2**20
LATENT_COPIES = 8  # latents, model input (x2 with guidance), prediction, scheduler history and temporaries


def element_bytes(dtype: torch.dtype) -> int:
    return torch.finfo(dtype).bits // 8


def unet_bytes(unet_config, batch: int, latent_height: int, latent_width: int, dtype: torch.dtype) -> float:
    """Peak bytes of one UNet forward on `batch` latents of (latent_height, latent_width)."""
    area = latent_height * latent_width
    features = sum(channels * area / 4**level for level, channels in enumerate(unet_config.block_out_channels))
    return UNET_FEATURE_FACTOR * batch * features * element_bytes(dtype) + UNET_OVERHEAD_BYTES


def vae_decode_bytes(vae_config, batch: int, height: int, width: int, dtype: torch.dtype) -> float:
    """Peak bytes of decoding `batch` latents to (height, width) pixels."""
    channels = list(reversed(vae_config.block_out_channels))  # the decoder runs coarse to fine
    levels = len(channels)
    features = sum(c * height * width / 4 ** (levels - 1 - level) for level, c in enumerate(channels))
    return VAE_FEATURE_FACTOR * batch * features * element_bytes(dtype) + VAE_OVERHEAD_BYTES


def sampling_bytes(unet_config, vae_config, latent_channels: int, num_latents: int, height: int, width: int,
                   vae_scale_factor: int, guidance: bool, unet_dtype: torch.dtype, vae_dtype: torch.dtype) -> float:
    """Peak bytes of denoising `num_latents` latents for (height, width) pixels and decoding them
    one at a time (each decode is the image and the elevation half, batch 2), outputs included."""
    latent_height, latent_width = height // vae_scale_factor, width // vae_scale_factor
    latents = LATENT_COPIES * num_latents * latent_channels * latent_height * latent_width * 4
    batch = num_latents * (2 if guidance else 1)
    denoising = unet_bytes(unet_config, batch, latent_height, latent_width, unet_dtype)
    decoding = vae_decode_bytes(vae_config, 2, height, width, vae_dtype)
    outputs = num_latents * height * width * (3 + 4 + 4 + 2 * 3 * 4)  # rgb, dem, metres, decoded float copies
    return latents + max(denoising, decoding) + outputs
