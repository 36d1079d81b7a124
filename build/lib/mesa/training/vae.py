"""Train or fine-tune the AutoencoderKL that both modalities share (colour and elevation).

Objective: masked MSE reconstruction over valid pixels + kl_weight * KL(posterior || N(0, I)),
for colour (rgb*2-1) and elevation (normalised, 3 channels) in the same batch. No adversarial or
perceptual term (kept simple and CPU-friendly; see docs/training.md). A VAE trained from scratch
gets `scaling_factor = 1 / std(latents)` measured on a few batches and stored in its config.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from diffusers import AutoencoderKL
from tqdm.auto import tqdm

from mesa.errors import UserError
from mesa.training.checkpoint import load_checkpoint, resolve_resume, save_checkpoint
from mesa.training.components import load_vae
from mesa.training.config import VaeTrainConfig, config_to_dict
from mesa.training.data import Batch, Collator, DataPosition, build_dataset, build_loader, normalization_of
from mesa.training.loss import masked_mse, step_generator
from mesa.training.metrics import MetricsLog


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
    """The VAE behind one `forward` (what DDP/FSDP wrap): pixels -> (reconstruction, KL per sample)."""

    def __init__(self, vae: AutoencoderKL):
        super().__init__()
        self.vae = vae

    def forward(self, pixels: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        posterior = self.vae.encode(pixels).latent_dist
        return self.vae.decode(posterior.sample(generator)).sample, posterior.kl()


def vae_losses(model: Reconstruction, batch: Batch, kl_weight: float, generator: torch.Generator) -> VaeLosses:
    """Reconstruct colour and elevation; reconstruction error over valid pixels only."""
    device = generator.device
    pixels = torch.cat([batch.rgb, batch.elevation]).to(device)
    mask = torch.cat([batch.pixel_mask, batch.pixel_mask]).to(device)
    reconstruction, kl = model(pixels, generator)
    rec = masked_mse(reconstruction, pixels, mask)
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


def train_vae(config: VaeTrainConfig, dataset=None) -> VaeResult:
    """Run (or resume) one VAE training run; the result is `<output_dir>/vae/`.

    `dataset`: any TerrainSample source (default: the one `config.data` names).
    """
    accelerator = Accelerator(mixed_precision=config.mixed_precision)
    output_dir = Path(config.output_dir)
    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "config.json").write_text(json.dumps(config_to_dict(config), indent=2), encoding="utf-8")
    set_seed(config.seed)
    model = Reconstruction(build_vae(config)).to(accelerator.device).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
    model, optimizer = accelerator.prepare(model, optimizer)

    lanes = max(1, config.num_workers)
    step, position = 0, DataPosition.start(accelerator.process_index, accelerator.num_processes, lanes)
    checkpoint = resolve_resume(output_dir, config.resume) if config.resume else None
    if checkpoint is not None:
        step, position = load_checkpoint(accelerator, checkpoint, lanes)
    vae = accelerator.unwrap_model(model).vae
    latent_factor = 2 ** (len(vae.config.block_out_channels) - 1)
    collate = Collator(None, normalization_of(config), latent_factor)
    dataset = build_dataset(config, config.seed) if dataset is None else dataset
    batches = iter(build_loader(dataset, collate, config.batch_size,
                                accelerator.num_processes, position, config.num_workers))

    metrics = MetricsLog(output_dir, resume_step=step, enabled=accelerator.is_main_process)
    progress = tqdm(total=config.max_steps, initial=step, desc="train-vae", disable=not accelerator.is_main_process)
    stop_at, last_loss, window_start = min(config.max_steps, config.stop_after or config.max_steps), None, time.perf_counter()
    while step < stop_at:
        batch = next(batches)
        position.advance(batch)
        generator = step_generator(config.seed, step, 0, accelerator.process_index, accelerator.device)
        with accelerator.autocast():
            losses = vae_losses(model, batch, config.kl_weight, generator)
        accelerator.backward(losses.total)
        accelerator.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        progress.update(1)
        if step % config.log_every == 0 or step == stop_at:
            last_loss = accelerator.gather(losses.total.detach()[None]).mean().item()
            elapsed, window_start = time.perf_counter() - window_start, time.perf_counter()
            metrics.write(step=step, loss=last_loss, reconstruction=losses.reconstruction.item(), kl=losses.kl.item(),
                          lr=config.learning_rate,
                          samples_per_s=config.log_every * config.batch_size * accelerator.num_processes / elapsed)
            progress.set_postfix(loss=f"{last_loss:.4f}")
        if step % config.checkpoint_every == 0 or step == stop_at:
            save_checkpoint(accelerator, output_dir, step, position, config.checkpoints_total_limit)
    progress.close()

    vae_dir = None
    if step >= config.max_steps:
        vae_dir = output_dir / "vae"
        if accelerator.is_main_process:
            vae.eval()
            if config.vae_config is not None:
                vae.register_to_config(scaling_factor=measure_scaling_factor(
                    vae, batches, config.scaling_batches, accelerator.device))
            save_vae(vae, vae_dir)
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return VaeResult(step, vae_dir, last_loss)


def save_vae(vae: AutoencoderKL, directory: Path) -> Path:
    """config.json + safetensors, written to a temporary folder and renamed."""
    temporary = directory.with_name(f".{directory.name}.tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    vae.to(torch.float32).save_pretrained(temporary, safe_serialization=True)
    if directory.exists():
        shutil.rmtree(directory)
    os.replace(temporary, directory)
    return directory
