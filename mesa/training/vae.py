"""Train or fine-tune the AutoencoderKL that both modalities share (colour and elevation).

Objective: masked MSE reconstruction over valid pixels + kl_weight * KL(posterior || N(0, I)),
for colour (rgb*2-1) and elevation (normalised, 3 channels) in the same batch, with the error near
tiles' edges optionally weighted up (`edge_weight`, `edge_px`). No adversarial or perceptual term
(kept simple and CPU-friendly; see docs/training.md). A VAE trained from scratch gets
`scaling_factor = 1 / std(latents)` measured on a few batches and stored in its config.

`train_decoder_only` fine-tunes the decoder of a trained VAE with its encoder frozen: the latents
do not change, so a UNet trained on them works with the new decoder (the mesa-tiny recipe uses it
to fix the rim and corner spikes of a VAE trained on crops, on whole tiles).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL

from mesa.atomic import staged_directory
from mesa.data.normalization import ElevationLatent
from mesa.data.sample import TerrainSource
from mesa.errors import UserError
from mesa.training.components import load_vae
from mesa.training.config import VaeTrainConfig
from mesa.training.data import Batch, Collator, normalization_of
from mesa.training.loss import edge_weights, masked_mse, step_generator
from mesa.training.run import TrainingRun
from mesa.training.sources import build_source, check_source
from mesa.training.state import TrainingState


@dataclass
class VaeLosses:
    """Scalar losses of one batch: total = reconstruction + kl_weight * kl."""

    total: torch.Tensor
    reconstruction: torch.Tensor
    kl: torch.Tensor


@dataclass
class VaeResult:
    step: int
    vae_dir: Path | None
    last_loss: float | None


def build_vae(config: VaeTrainConfig) -> AutoencoderKL:
    """A fresh AutoencoderKL from a config JSON, or a saved one to fine-tune."""
    if config.pretrained is not None:
        return load_vae(config.pretrained)
    path = Path(config.vae_config)
    if not path.is_file():
        raise UserError(f"VAE config file not found: {path}")
    values = {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if not k.startswith("_")}
    try:
        return AutoencoderKL.from_config(values)
    except (TypeError, ValueError) as error:
        raise UserError(f"invalid AutoencoderKL config {path}: {error}") from None


class Reconstruction(torch.nn.Module):
    """The VAE behind one `forward` (what DDP/FSDP wrap): pixels -> (reconstruction, KL per sample).

    `decoder_only`: the encoder (and quant_conv) are frozen and run without gradients.
    """

    def __init__(self, vae: AutoencoderKL, decoder_only: bool = False):
        super().__init__()
        self.vae = vae
        self.decoder_only = decoder_only
        if decoder_only:
            for module in (vae.encoder, vae.quant_conv):
                if module is not None:
                    module.requires_grad_(False)

    def forward(self, pixels: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.decoder_only):
            posterior = self.vae.encode(pixels).latent_dist
            latents = posterior.sample(generator)
        return self.vae.decode(latents).sample, posterior.kl()


def vae_losses(model: Reconstruction, batch: Batch, kl_weight: float, generator: torch.Generator,
               edge_px: int = 0, edge_weight: float = 0.0, corner_weight: float = 0.0,
               elevation_weight: float = 1.0) -> VaeLosses:
    """Reconstruct colour and elevation; reconstruction error over valid pixels only, counted
    (1 + edge_weight) times within edge_px pixels of the edges and corner_weight more at the
    corners (`edge_weights`). reconstruction = (image error + elevation_weight * elevation error) / 2,
    the mean over both halves of the batch when elevation_weight is 1."""
    device = generator.device
    pixels = torch.cat([batch.rgb, batch.elevation]).to(device)
    mask = torch.cat([batch.pixel_mask, batch.pixel_mask]).to(device)
    reconstruction, kl = model(pixels, generator)
    weight = None
    if edge_weight > 0 or corner_weight > 0:
        weight = edge_weights(*reconstruction.shape[-2:], edge_px, edge_weight, corner_weight, device=device)
    images = len(batch.rgb)
    rec = (masked_mse(reconstruction[:images], pixels[:images], mask[:images], weight)
           + elevation_weight * masked_mse(reconstruction[images:], pixels[images:], mask[images:], weight)) / 2
    return VaeLosses(rec + kl_weight * kl.mean(), rec, kl.mean())


@torch.no_grad()
def measure_scaling_factor(vae, batches, count: int, device: torch.device) -> float:
    """1 / std of posterior means at valid latent pixels over `count` batches (as Stable Diffusion did)."""
    values = []
    for _ in range(count):
        batch = next(batches)
        pixels = torch.cat([batch.rgb, batch.elevation]).to(device, vae.dtype)
        latents = vae.encode(pixels).latent_dist.mean.float()
        mask = torch.cat([batch.latent_mask, batch.latent_mask]).to(device).expand_as(latents)
        values.append(latents[mask])
    std = torch.cat(values).std().item()
    if not std > 0:
        raise UserError("cannot measure the latent scale: the latents are constant or there is no valid pixel")
    return 1.0 / std


@torch.no_grad()
def measure_elevation_latent(vae, rgb: torch.Tensor, elevation: torch.Tensor, batch: int = 32) -> ElevationLatent:
    """The UNet's elevation latent for this VAE (`ElevationLatent`), from tiles' colour and elevation,
    each (N, 3, H, W) in [-1, 1] (the elevation replicated to 3 channels, as the trainer feeds it).

    shift: the mean of each channel of the elevation's scaled posterior means (the tile's height in a
    global metres range puts it far from 0). scale: the image's within-tile spread over the elevation's
    (root mean square over channels of each tile's standard deviation), so a ridge weighs in the
    squared error and the noise schedule what an image edge does.
    """
    if len(rgb) != len(elevation) or len(rgb) < 2:
        raise UserError(f"measuring the elevation latent needs at least 2 tiles with colour and elevation, "
                        f"got {len(rgb)} and {len(elevation)}")
    parts = {"image": [], "elevation": []}
    for start in range(0, len(rgb), batch):
        for name, pixels in (("image", rgb[start:start + batch]), ("elevation", elevation[start:start + batch])):
            latents = vae.encode(pixels.to(vae.device, vae.dtype)).latent_dist.mean.float()
            parts[name].append((latents - (vae.config.shift_factor or 0.0)) * vae.config.scaling_factor)
    image, dem = (torch.cat(parts[name]) for name in ("image", "elevation"))
    spread = {name: latents.std(dim=(2, 3)).pow(2).mean().sqrt().item() for name, latents in (("image", image),
                                                                                             ("elevation", dem))}
    if not (spread["image"] > 0 and spread["elevation"] > 0):
        raise UserError("cannot measure the elevation latent: the tiles' latents do not vary within a tile")
    return ElevationLatent(tuple(round(v, 4) for v in dem.mean(dim=(0, 2, 3)).tolist()),
                           round(spread["image"] / spread["elevation"], 4))


def train_vae(config: VaeTrainConfig, dataset: TerrainSource | None = None) -> VaeResult:
    """Run (or resume) one VAE training run; the result is `<output_dir>/vae/`.

    `dataset`: any `TerrainSource` (default: the source `config.data` names).
    """
    run = TrainingRun(config, "train-vae")
    accelerator = run.accelerator
    source = build_source(config, config.seed) if dataset is None else check_source(dataset)
    vae = build_vae(config)
    model = Reconstruction(vae, decoder_only=config.train_decoder_only).to(accelerator.device).train()
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate)
    model, optimizer = accelerator.prepare(model, optimizer)
    latent_factor = 2 ** (len(vae.config.block_out_channels) - 1)
    run.start(TrainingState({"vae": vae}, optimizer, grad_scaler=accelerator.scaler), source,
              Collator(None, normalization_of(config), latent_factor))

    samples_per_step = config.batch_size * accelerator.num_processes
    while run.running:
        batch = run.next_batch()
        generator = step_generator(config.seed, run.step, 0, accelerator.process_index, accelerator.device)
        with accelerator.autocast():
            losses = vae_losses(model, batch, config.kl_weight, generator, config.edge_px, config.edge_weight,
                                config.corner_weight, config.elevation_weight)
        accelerator.backward(losses.total)
        accelerator.clip_grad_norm_(trainable, config.max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        run.end_step(samples_per_step, loss=losses.total, reconstruction=losses.reconstruction, kl=losses.kl)
        if run.log_due:
            run.log(lr=config.learning_rate)
        if run.checkpoint_due:
            run.save_checkpoint()

    vae_dir = None
    if run.finished:
        vae_dir = Path(config.output_dir) / "vae"
        if accelerator.is_main_process:
            vae.eval()
            if config.vae_config is not None:
                vae.register_to_config(scaling_factor=measure_scaling_factor(
                    vae, run.batches, config.scaling_batches, accelerator.device))
            save_vae(vae, vae_dir)
    run.finish()
    return VaeResult(run.step, vae_dir, run.last_loss)


def save_vae(vae: AutoencoderKL, directory: Path) -> Path:
    """config.json + safetensors, staged beside `directory` and swapped in whole."""
    with staged_directory(directory) as staging:
        vae.to(torch.float32).save_pretrained(staging, safe_serialization=True)
    return directory
