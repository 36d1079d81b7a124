"""The MESA training loop (one code path for CPU, one GPU, many GPUs and nodes via Accelerate).

Per optimizer step: for each of `gradient_accumulation_steps` batches, encode colour (rgb*2-1)
and elevation (normalised to [-1, 1], replicated to 3 channels) with the frozen VAE into one
8-channel latent (its elevation half in the config's `ElevationLatent`, the VAE's own by default),
encode the caption with the text encoder (frozen CLIP in the published recipe;
trained jointly with `train_text_encoder`), draw independent noise for all channels and one
timestep per sample, and regress the scheduler's v target with an MSE over valid latent pixels
only. Then clip, step AdamW, update the EMA; log, validate, checkpoint.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import DDPMScheduler
from diffusers.optimization import get_scheduler
from diffusers.training_utils import EMAModel
from peft import LoraConfig

from mesa.data.normalization import ElevationLatent
from mesa.data.sample import TerrainSource
from mesa.errors import UserError
from mesa.pipeline.elevation import read_checkpoint_elevation
from mesa.pipeline.loading import Components, resolve_model_dir
from mesa.training.components import StartingPoint, load_starting_point
from mesa.training.config import TrainConfig, elevation_latent_of
from mesa.training.data import Batch, Collator, normalization_of
from mesa.training.export import export_model
from mesa.training.loss import masked_mse, noise_latents, step_generator
from mesa.training.run import TrainingRun
from mesa.training.sources import build_source, check_source
from mesa.training.state import TrainingState, named_parameters
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


@dataclass
class Trainees:
    """The trained modules and their optimisation state.

    Attributes:
        modules: "unet" (and "text_encoder" with train_text_encoder), unwrapped.
        wrapped: the same modules as Accelerate prepared them (DDP wrappers on several processes).
        optimizer, lr_scheduler: prepared by Accelerate.
        ema: EMA of every parameter of `modules` (use_ema), else None.
    """

    modules: dict[str, torch.nn.Module]
    wrapped: dict[str, torch.nn.Module]
    optimizer: torch.optim.Optimizer
    lr_scheduler: object
    ema: EMAModel | None

    @property
    def parameters(self) -> list[torch.nn.Parameter]:
        return [p for group in self.optimizer.param_groups for p in group["params"]]

    @property
    def ema_parameters(self) -> list[torch.nn.Parameter]:
        return [parameter for _, parameter in named_parameters(self.modules)]


def train(config: TrainConfig, dataset: TerrainSource | None = None) -> TrainResult:
    """Run (or resume) one training run as described by `config`.

    `dataset`: any `TerrainSource` (`sample_at(position)` + `meters_per_pixel`); by default the
    source `config.data` names (`mesa.training.sources`).
    """
    config = with_pretrained_latent(config)
    run = TrainingRun(config, "train", gradient_accumulation_steps=config.gradient_accumulation_steps)
    accelerator = run.accelerator
    source = build_source(config, config.seed) if dataset is None else check_source(dataset)
    torch.backends.cuda.matmul.allow_tf32 = config.allow_tf32
    start = load_starting_point(config)
    weight_dtype = DTYPES[config.mixed_precision]
    place_components(start, accelerator.device, weight_dtype, config.train_text_encoder)
    trainees = prepare_trainees(accelerator, start, config)
    unet, text_encoder = trainees.wrapped["unet"], trainees.wrapped.get("text_encoder", start.text_encoder)
    noise_scheduler = DDPMScheduler.from_config(start.scheduler_config)
    latent_factor = 2 ** (len(start.vae.config.block_out_channels) - 1)
    collate = Collator(start.tokenizer, normalization_of(config), latent_factor, config.caption_dropout, config.seed)
    run.start(TrainingState(trainees.modules, trainees.optimizer, trainees.lr_scheduler, trainees.ema,
                            accelerator.scaler), source, collate)

    samples_per_step = config.batch_size * config.gradient_accumulation_steps * accelerator.num_processes
    grad_norm = None
    while run.running:
        step_loss = 0.0
        for micro in range(config.gradient_accumulation_steps):
            batch = run.next_batch()
            with accelerator.accumulate(*trainees.wrapped.values()):
                generator = step_generator(config.seed, run.step, micro, accelerator.process_index, accelerator.device)
                loss = diffusion_loss(unet, text_encoder, start.vae, batch, noise_scheduler, generator,
                                      config.high_noise_share, config.high_noise_min_timestep,
                                      elevation_latent_of(config))
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    grad_norm = accelerator.clip_grad_norm_(trainees.parameters, config.max_grad_norm)
                trainees.optimizer.step()
                trainees.lr_scheduler.step()
                trainees.optimizer.zero_grad(set_to_none=True)
            step_loss = step_loss + loss.detach() / config.gradient_accumulation_steps
        if trainees.ema is not None:
            trainees.ema.step(trainees.ema_parameters)
        run.end_step(samples_per_step, loss=step_loss)
        if run.log_due:
            run.log(lr=trainees.lr_scheduler.get_last_lr()[0],
                    grad_norm=None if grad_norm is None else float(grad_norm), **memory_stats(accelerator.device))
        if config.validation_every and run.step % config.validation_every == 0:
            validate(accelerator, trainees, start, config, run.step, weight_dtype)
        if run.checkpoint_due:
            run.save_checkpoint()

    model_dir = export_final(accelerator, trainees, start, config, source.meters_per_pixel) if run.finished else None
    run.finish()
    return TrainResult(run.step, model_dir, run.last_loss)


def with_pretrained_latent(config: TrainConfig) -> TrainConfig:
    """The config with the elevation latent a `--pretrained` model was trained in (its elevation.json)
    when the config sets none: fine-tuning goes on in the model's latent space. A config that sets
    another one is refused (the UNet would see latents it never learnt)."""
    if config.pretrained is None:
        return config
    declared = read_checkpoint_elevation(resolve_model_dir(config.pretrained)[0]).latent
    asked = elevation_latent_of(config)
    if asked.is_identity:
        return dataclasses.replace(config, elevation_latent_shift=list(declared.shift),
                                   elevation_latent_scale=declared.scale)
    if asked != declared:
        raise UserError(f"elevation_latent_shift/scale {asked.to_json()} differ from the elevation latent "
                        f"{config.pretrained} was trained in ({declared.to_json()}); leave them unset to "
                        "fine-tune in the model's own")
    return config


def prepare_trainees(accelerator, start: StartingPoint, config: TrainConfig) -> Trainees:
    """Trainable UNet (and text encoder), AdamW over them, the LR schedule and EMA, prepared by Accelerate."""
    modules = {"unet": make_trainable(start.unet, config)}
    groups = [{"params": [p for p in start.unet.parameters() if p.requires_grad]}]
    if config.train_text_encoder:
        modules["text_encoder"] = make_text_encoder_trainable(start.text_encoder, config)
        groups.append({"params": list(start.text_encoder.parameters()),
                       "lr": config.text_encoder_learning_rate or config.learning_rate})
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate, betas=(config.adam_beta1, config.adam_beta2),
                                  weight_decay=config.adam_weight_decay, eps=config.adam_epsilon)
    lr_scheduler = get_scheduler(config.lr_scheduler, optimizer,
                                 num_warmup_steps=config.lr_warmup_steps * accelerator.num_processes,
                                 num_training_steps=config.max_steps * accelerator.num_processes)
    ema = None
    if config.use_ema:
        ema = EMAModel([parameter for _, parameter in named_parameters(modules)], decay=config.ema_decay)
        ema.to(accelerator.device)
    prepared = accelerator.prepare(*modules.values(), optimizer, lr_scheduler)
    wrapped = dict(zip(modules, prepared[:len(modules)]))
    return Trainees(modules, wrapped, prepared[-2], prepared[-1], ema)


def diffusion_loss(unet, text_encoder, vae, batch: Batch, scheduler, generator: torch.Generator,
                   high_noise_share: float = 0.0, high_noise_min_timestep: int = 850,
                   elevation_latent: ElevationLatent = ElevationLatent()) -> torch.Tensor:
    """Masked MSE between the UNet's prediction and the scheduler's target for one batch.

    The text encoder is differentiated through when it is in train mode (`train_text_encoder`);
    a frozen one is in eval mode and runs without gradients, like the VAE."""
    device = generator.device
    with torch.no_grad():
        latents = encode_latents(vae, batch.rgb.to(device), batch.elevation.to(device), generator, elevation_latent)
    with torch.set_grad_enabled(text_encoder.training):
        context = text_encoder(batch.input_ids.to(device))[0]
    noised = noise_latents(latents, scheduler, generator, high_noise_share, high_noise_min_timestep)
    prediction = unet(noised.noisy_latents, noised.timesteps, encoder_hidden_states=context).sample
    return masked_mse(prediction, noised.target, batch.latent_mask.to(device))


def encode_latents(vae, rgb: torch.Tensor, elevation: torch.Tensor, generator: torch.Generator,
                   elevation_latent: ElevationLatent = ElevationLatent()) -> torch.Tensor:
    """(B, 3, H, W) colour and elevation in [-1, 1] -> (B, 8, H/f, W/f) float32 scaled latents
    (0-3 image, 4-7 elevation, the latter in the UNet's `elevation_latent`), each a sample of the
    VAE's posterior."""
    pixels = torch.cat([rgb, elevation]).to(vae.dtype)
    latents = vae.encode(pixels).latent_dist.sample(generator).float()
    latents = (latents - (vae.config.shift_factor or 0.0)) * vae.config.scaling_factor
    rgb_latents, dem_latents = latents.chunk(2)
    return torch.cat([rgb_latents, elevation_latent.to_unet(dem_latents)], dim=1)


def place_components(start: StartingPoint, device: torch.device, dtype: torch.dtype,
                     train_text_encoder: bool = False) -> None:
    """Frozen parts in eval mode on the device in the mixed-precision dtype (fp16 keeps the VAE in
    float32: it overflows); trained parts stay float32 (autocast runs them in `dtype`)."""
    vae_dtype = torch.float32 if dtype == torch.float16 else dtype
    start.vae.requires_grad_(False).eval().to(device, vae_dtype)
    if train_text_encoder:
        start.text_encoder.to(device, torch.float32)
    else:
        start.text_encoder.requires_grad_(False).eval().to(device, dtype)
    start.unet.to(device)


def make_trainable(unet, config: TrainConfig):
    """All UNet weights trainable, or only LoRA adapters on the attention projections."""
    unet.train()
    if config.lora_rank > 0:
        unet.requires_grad_(False)
        unet.add_adapter(LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha or config.lora_rank,
                                    init_lora_weights="gaussian", target_modules=LORA_TARGETS))
    else:
        unet.requires_grad_(True)
    if config.gradient_checkpointing:
        unet.enable_gradient_checkpointing()
    return unet


def make_text_encoder_trainable(text_encoder, config: TrainConfig):
    """Every text encoder weight trainable, in train mode (caption dropout still applies upstream)."""
    text_encoder.requires_grad_(True).train()
    if config.gradient_checkpointing:
        text_encoder.gradient_checkpointing_enable()
    return text_encoder


def memory_stats(device: torch.device) -> dict[str, float]:
    """Peak accelerator memory so far (GB), where the backend reports it."""
    if device.type == "cuda":
        return {"max_memory_gb": torch.cuda.max_memory_allocated(device) / 1e9}
    return {}


def validate(accelerator, trainees: Trainees, start: StartingPoint, config: TrainConfig, step: int,
             weight_dtype: torch.dtype) -> None:
    """Write validation images for the fixed prompts (main process; EMA weights when enabled)."""
    if accelerator.is_main_process:
        ema, parameters = trainees.ema, trainees.ema_parameters
        if ema is not None:
            ema.store(parameters)
            ema.copy_to(parameters)
        components = Components(start.scheduler_config, start.tokenizer, start.text_encoder, start.vae,
                                trainees.modules["unet"], Path(config.output_dir), "training", "training run")
        render_validation(components, config.validation_prompts, config.validation_seed, config.validation_steps,
                          config.resolution, Path(config.output_dir) / "validation" / f"step_{step:08d}",
                          None if weight_dtype == torch.float32 else weight_dtype,
                          elevation_latent=elevation_latent_of(config))
        if ema is not None:
            ema.restore(parameters)
    accelerator.wait_for_everyone()


def export_final(accelerator, trainees: Trainees, start: StartingPoint, config: TrainConfig,
                 meters_per_pixel: float) -> Path:
    """Write the final model (EMA weights if enabled, LoRA merged, the trained text encoder when
    there is one) in the published MESA layout."""
    state_dicts = {name: accelerator.get_state_dict(module) for name, module in trainees.wrapped.items()}
    model_dir = Path(config.output_dir) / "model"
    if accelerator.is_main_process:
        for name, module in trainees.modules.items():
            module.load_state_dict(state_dicts[name])  # gathered from DeepSpeed/FSDP shards
        if trainees.ema is not None:
            trainees.ema.copy_to(trainees.ema_parameters)
        unet = trainees.modules["unet"]
        if config.lora_rank > 0:
            unet.fuse_lora()
            unet.unload_lora()
        export_model(model_dir, tokenizer=start.tokenizer, text_encoder=start.text_encoder.eval(), vae=start.vae,
                     unet=unet, scheduler_config=start.scheduler_config, normalization=normalization_of(config),
                     meters_per_pixel=meters_per_pixel, elevation_latent=elevation_latent_of(config))
    return model_dir
