"""The MESA training loop (one code path for CPU, one GPU, many GPUs and nodes via Accelerate).

Per optimizer step: for each of `gradient_accumulation_steps` batches, encode colour (rgb*2-1)
and elevation (normalised to [-1, 1], replicated to 3 channels) with the frozen VAE into one
8-channel latent, encode the caption with the frozen CLIP text encoder, draw independent noise for
all channels and one timestep per sample, and regress the scheduler's v target with an MSE over
valid latent pixels only. Then clip, step AdamW, update the EMA; log, validate, checkpoint.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from diffusers import DDPMScheduler
from diffusers.optimization import get_scheduler
from diffusers.training_utils import EMAModel
from tqdm.auto import tqdm

from mesa.pipeline.loading import Components
from mesa.training.checkpoint import load_checkpoint, resolve_resume, save_checkpoint
from mesa.training.components import StartingPoint, load_starting_point
from mesa.training.config import TrainConfig, config_to_dict
from mesa.training.data import (Batch, Collator, DataPosition, build_dataset, build_loader, normalization_of,
                                 sample_at)
from mesa.training.export import export_model
from mesa.training.loss import masked_mse, noise_latents, step_generator
from mesa.training.metrics import MetricsLog
from mesa.training.validation import render_validation

logger = logging.getLogger(__name__)

LORA_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]
DTYPES = {"no": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


@dataclass
class TrainResult:
    """Where a run ended: the last step, the exported model (None if stopped early), the last loss."""

    step: int
    model_dir: Path | None
    last_loss: float | None


def train(config: TrainConfig, dataset=None) -> TrainResult:
    """Run (or resume) one training run as described by `config`.

    `dataset`: any TerrainSample source with `sample_at(position)` or `__getitem__` + `__len__`;
    by default the one `config.data` names.
    """
    accelerator = Accelerator(gradient_accumulation_steps=config.gradient_accumulation_steps,
                              mixed_precision=config.mixed_precision)
    output_dir = Path(config.output_dir)
    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "config.json").write_text(json.dumps(config_to_dict(config), indent=2), encoding="utf-8")
    set_seed(config.seed)  # the same fresh weights on every process for --init-from-config
    torch.backends.cuda.matmul.allow_tf32 = config.allow_tf32

    start = load_starting_point(config)
    weight_dtype = DTYPES[config.mixed_precision]
    freeze(start, accelerator.device, weight_dtype)
    unet = make_trainable(start.unet, config)
    noise_scheduler = DDPMScheduler.from_config(start.scheduler_config)
    parameters = [p for p in unet.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=config.learning_rate, betas=(config.adam_beta1, config.adam_beta2),
                                  weight_decay=config.adam_weight_decay, eps=config.adam_epsilon)
    lr_scheduler = get_scheduler(config.lr_scheduler, optimizer,
                                 num_warmup_steps=config.lr_warmup_steps * accelerator.num_processes,
                                 num_training_steps=config.max_steps * accelerator.num_processes)
    ema = None
    if config.use_ema:
        ema = EMAModel(unet.parameters(), decay=config.ema_decay, model_cls=type(unet), model_config=unet.config)
        ema.to(accelerator.device)
        accelerator.register_for_checkpointing(ema)
    unet, optimizer, lr_scheduler = accelerator.prepare(unet, optimizer, lr_scheduler)

    lanes = max(1, config.num_workers)
    step, position = 0, DataPosition.start(accelerator.process_index, accelerator.num_processes, lanes)
    checkpoint = resolve_resume(output_dir, config.resume) if config.resume else None
    if checkpoint is not None:
        step, position = load_checkpoint(accelerator, checkpoint, lanes)
        logger.info("resumed from %s at step %d", checkpoint, step)
    latent_factor = 2 ** (len(start.vae.config.block_out_channels) - 1)
    collate = Collator(start.tokenizer, normalization_of(config), latent_factor, config.caption_dropout, config.seed)
    dataset = build_dataset(config, config.seed) if dataset is None else dataset
    batches = iter(build_loader(dataset, collate, config.batch_size, accelerator.num_processes, position,
                                config.num_workers))

    metrics = MetricsLog(output_dir, resume_step=step, enabled=accelerator.is_main_process)
    progress = tqdm(total=config.max_steps, initial=step, desc="train", disable=not accelerator.is_main_process)
    window_losses, window_start, window_steps, last_loss = [], time.perf_counter(), 0, None
    grad_norm, meters_per_pixel = None, dataset_meters_per_pixel(dataset)
    stop_at = min(config.max_steps, config.stop_after or config.max_steps)
    while step < stop_at:
        for micro in range(config.gradient_accumulation_steps):
            batch = next(batches)
            position.advance(batch)
            meters_per_pixel = batch.meters_per_pixel
            with accelerator.accumulate(unet):
                generator = step_generator(config.seed, step, micro, accelerator.process_index, accelerator.device)
                loss = diffusion_loss(unet, batch, start, noise_scheduler, generator)
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    grad_norm = accelerator.clip_grad_norm_(parameters, config.max_grad_norm)
                optimizer.step()
                lr_scheduler.step()
                optimizer.zero_grad(set_to_none=True)
            window_losses.append(loss.detach() / config.gradient_accumulation_steps)
        step += 1
        window_steps += 1
        if ema is not None:
            ema.step(unet.parameters())
        progress.update(1)

        if step % config.log_every == 0 or step == stop_at:
            last_loss = accelerator.gather(torch.stack(window_losses).sum()[None]).mean().item() / window_steps
            elapsed = time.perf_counter() - window_start
            samples = window_steps * config.batch_size * config.gradient_accumulation_steps * accelerator.num_processes
            metrics.write(step=step, loss=last_loss, lr=lr_scheduler.get_last_lr()[0], samples_per_s=samples / elapsed,
                          grad_norm=None if grad_norm is None else float(grad_norm), **memory_stats(accelerator.device))
            progress.set_postfix(loss=f"{last_loss:.4f}")
            window_losses, window_start, window_steps = [], time.perf_counter(), 0
        if config.validation_every and step % config.validation_every == 0:
            validate(accelerator, unet, ema, start, config, step, weight_dtype)
        if step % config.checkpoint_every == 0 or step == stop_at:
            save_checkpoint(accelerator, output_dir, step, position, config.checkpoints_total_limit)
    progress.close()

    model_dir = None
    if step >= config.max_steps:
        model_dir = export_final(accelerator, unet, ema, start, config, meters_per_pixel)
    accelerator.wait_for_everyone()
    accelerator.end_training()
    return TrainResult(step, model_dir, last_loss)


def diffusion_loss(unet, batch: Batch, start: StartingPoint, scheduler, generator: torch.Generator) -> torch.Tensor:
    """Masked MSE between the UNet's prediction and the scheduler's target for one batch."""
    device = generator.device
    with torch.no_grad():
        latents = encode_latents(start.vae, batch.rgb.to(device), batch.elevation.to(device), generator)
        context = start.text_encoder(batch.input_ids.to(device))[0]
    noised = noise_latents(latents, scheduler, generator)
    prediction = unet(noised.noisy_latents, noised.timesteps, encoder_hidden_states=context).sample
    return masked_mse(prediction, noised.target, batch.latent_mask.to(device))


def encode_latents(vae, rgb: torch.Tensor, elevation: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """(B, 3, H, W) colour and elevation in [-1, 1] -> (B, 8, H/f, W/f) float32 scaled latents
    (0-3 image, 4-7 elevation), each a sample of the VAE's posterior."""
    pixels = torch.cat([rgb, elevation]).to(vae.dtype)
    latents = vae.encode(pixels).latent_dist.sample(generator).float()
    latents = (latents - (vae.config.shift_factor or 0.0)) * vae.config.scaling_factor
    rgb_latents, dem_latents = latents.chunk(2)
    return torch.cat([rgb_latents, dem_latents], dim=1)


def freeze(start: StartingPoint, device: torch.device, dtype: torch.dtype) -> None:
    """Frozen VAE and text encoder on the device (fp16 keeps the VAE in float32: it overflows)."""
    vae_dtype = torch.float32 if dtype == torch.float16 else dtype
    start.vae.requires_grad_(False).eval().to(device, vae_dtype)
    start.text_encoder.requires_grad_(False).eval().to(device, dtype)
    start.unet.to(device)


def make_trainable(unet, config: TrainConfig):
    """All UNet weights trainable, or only LoRA adapters on the attention projections."""
    unet.train()
    if config.lora_rank > 0:
        from peft import LoraConfig

        unet.requires_grad_(False)
        unet.add_adapter(LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha or config.lora_rank,
                                    init_lora_weights="gaussian", target_modules=LORA_TARGETS))
    else:
        unet.requires_grad_(True)
    if config.gradient_checkpointing:
        unet.enable_gradient_checkpointing()
    return unet


def memory_stats(device: torch.device) -> dict[str, float]:
    """Peak accelerator memory so far (GB), where the backend reports it."""
    if device.type == "cuda":
        return {"max_memory_gb": torch.cuda.max_memory_allocated(device) / 1e9}
    return {}


def validate(accelerator, unet, ema, start: StartingPoint, config: TrainConfig, step: int,
             weight_dtype: torch.dtype) -> None:
    """Write validation images for the fixed prompts (main process; EMA weights when enabled)."""
    if accelerator.is_main_process:
        model = accelerator.unwrap_model(unet)
        if ema is not None:
            ema.store(model.parameters())
            ema.copy_to(model.parameters())
        components = Components(start.scheduler_config, start.tokenizer, start.text_encoder, start.vae, model,
                                Path(config.output_dir), "training", "training run")
        render_validation(components, config.validation_prompts, config.validation_seed, config.validation_steps,
                          config.resolution, Path(config.output_dir) / "validation" / f"step_{step:08d}",
                          None if weight_dtype == torch.float32 else weight_dtype)
        if ema is not None:
            ema.restore(model.parameters())
    accelerator.wait_for_everyone()


def export_final(accelerator, unet, ema, start: StartingPoint, config: TrainConfig, meters_per_pixel: float) -> Path:
    """Write the final model (EMA weights if enabled, LoRA merged) in the published MESA layout."""
    state_dict = accelerator.get_state_dict(unet)  # gathers sharded DeepSpeed/FSDP weights
    model_dir = Path(config.output_dir) / "model"
    if accelerator.is_main_process:
        model = accelerator.unwrap_model(unet)
        model.load_state_dict(state_dict)
        if ema is not None:
            ema.copy_to(model.parameters())
        if config.lora_rank > 0:
            model.fuse_lora()
            model.unload_lora()
        export_model(model_dir, tokenizer=start.tokenizer, text_encoder=start.text_encoder, vae=start.vae,
                     unet=model, scheduler_config=start.scheduler_config, normalization=normalization_of(config),
                     meters_per_pixel=meters_per_pixel)
    return model_dir


def dataset_meters_per_pixel(dataset) -> float:
    """The source's ground sampling distance before any batch is read (its first sample's)."""
    first = next((sample for sample in (sample_at(dataset, p) for p in range(100)) if sample is not None), None)
    return 10.0 if first is None else float(first.meters_per_pixel)
