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
OVERHEAD_OF_WEIGHTS = 0.1  # first-call workspaces and allocator caches: measured 110-280 MB for the 3.5 GB SD UNet
OVERHEAD_BYTES = 16 * 2**20
LATENT_COPIES = 8  # latents, model input (x2 with guidance), prediction, scheduler history and temporaries


def element_bytes(dtype: torch.dtype) -> int:
    return torch.finfo(dtype).bits // 8


def overhead_bytes(module: torch.nn.Module) -> float:
    """Workspaces and allocator caches of a module's first call, growing with its weights."""
    weights = sum(p.numel() * p.element_size() for p in module.parameters())
    return OVERHEAD_OF_WEIGHTS * weights + OVERHEAD_BYTES


def unet_bytes(unet: torch.nn.Module, batch: int, latent_height: int, latent_width: int) -> float:
    """Peak bytes of one UNet forward on `batch` latents of (latent_height, latent_width)."""
    area = latent_height * latent_width
    features = sum(channels * area / 4**level for level, channels in enumerate(unet.config.block_out_channels))
    return UNET_FEATURE_FACTOR * batch * features * element_bytes(unet.dtype) + overhead_bytes(unet)


def vae_decode_bytes(vae: torch.nn.Module, batch: int, height: int, width: int) -> float:
    """Peak bytes of decoding `batch` latents to (height, width) pixels."""
    channels = list(reversed(vae.config.block_out_channels))  # the decoder runs coarse to fine
    levels = len(channels)
    features = sum(c * height * width / 4 ** (levels - 1 - level) for level, c in enumerate(channels))
    return VAE_FEATURE_FACTOR * batch * features * element_bytes(vae.dtype) + overhead_bytes(vae)


def sampling_bytes(unet: torch.nn.Module, vae: torch.nn.Module, latent_channels: int, num_latents: int, height: int,
                   width: int, vae_scale_factor: int, guidance: bool) -> float:
    """Peak bytes of denoising `num_latents` latents for (height, width) pixels and decoding them
    one at a time (each decode is the image and the elevation half, batch 2), outputs included."""
    latent_height, latent_width = height // vae_scale_factor, width // vae_scale_factor
    latents = LATENT_COPIES * num_latents * latent_channels * latent_height * latent_width * 4
    batch = num_latents * (2 if guidance else 1)
    denoising = unet_bytes(unet, batch, latent_height, latent_width)
    decoding = vae_decode_bytes(vae, 2, height, width)
    outputs = num_latents * height * width * (3 + 4 + 4 + 2 * 3 * 4)  # rgb, dem, metres, decoded float copies
    return latents + max(denoising, decoding) + outputs
