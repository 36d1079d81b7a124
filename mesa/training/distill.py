"""Few-step students of a MESA teacher by latent consistency distillation (Luo et al. 2023, LCM).

Per micro-batch: encode colour and elevation with the teacher's frozen VAE, draw one solver index n
per sample (`SkippingGrid`), noise the latents to t_n, and

1. **teacher**: one DDIM step of the probability-flow ODE from t_n to t_n - k with classifier-free
   guidance folded in (uncond and cond in one batch, their x0 and noise estimates guided with
   `guidance`);
2. **target**: the consistency function of the EMA target network at the teacher's result
   (no gradient; with `target_ema_decay = 0` the student itself, as LCM-LoRA does);
3. **student**: the consistency function at t_n, with gradients; pseudo-Huber (or L2) loss
   against the target over valid latent pixels.

A LoRA student trains adapters on the teacher's own UNet (the teacher is that UNet with the
adapters switched off); a full student trains a copy of every UNet weight beside a frozen teacher.
The run setup, resume, safetensors checkpoints and metrics are `train`'s (`TrainingRun`); the
checkpoint holds the trained weights under "student.*" and the target network as its EMA.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import DDPMScheduler
from diffusers.optimization import get_scheduler
from diffusers.training_utils import EMAModel
from peft import LoraConfig
from peft.utils import get_peft_model_state_dict

from mesa.data.normalization import ElevationLatent, ElevationNormalization
from mesa.data.sample import TerrainSource
from mesa.errors import UserError
from mesa.limits import check_memory
from mesa.pipeline.elevation import read_checkpoint_elevation
from mesa.pipeline.loading import Components, load_components, resolve_model_dir
from mesa.pipeline.memory import unet_bytes
from mesa.pipeline.pipeline import SamplingDefaults
from mesa.pipeline.students import LoraStudent, student_scheduler_config, unet_fingerprint
from mesa.training.components import StartingPoint
from mesa.training.consistency import SkippingGrid, consistency_output, ddim_step, guided, pseudo_huber, split_prediction
from mesa.training.data import Batch, Collator, normalization_of
from mesa.training.distill_config import DistillConfig
from mesa.training.loss import masked_mse, step_generator
from mesa.training.run import TrainingRun
from mesa.training.sources import build_source, check_source
from mesa.training.state import TrainingState
from mesa.training.student_export import export_full_student, export_lora_student
from mesa.training.train import DTYPES, encode_latents, memory_stats, place_components
from mesa.training.validation import render_validation

logger = logging.getLogger(__name__)

STUDENT_SAMPLER = "lcm"


@dataclass
class DistillResult:
    """Where a run ended: the last step, the exported student (None if stopped early), the last loss."""

    step: int
    model_dir: Path | None
    last_loss: float | None


class TrainableView(torch.nn.Module):
    """The trainable parameters of a module as a module of their own (the same tensors, names with
    "." as "__"), so checkpoints and the EMA target cover exactly what is trained."""

    def __init__(self, module: torch.nn.Module):
        super().__init__()
        for name, parameter in module.named_parameters():
            if parameter.requires_grad:
                self.register_parameter(name.replace(".", "__"), parameter)


@dataclass
class Student:
    """The networks of one run.

    Attributes:
        unet: the student UNet, unwrapped (LoRA: the teacher's UNet with adapters).
        wrapped: the same as Accelerate prepared it (DDP on several processes).
        teacher: the teacher UNet (LoRA: `unet` itself, called with its adapters off).
        view: the trained parameters (`TrainableView` of `unet`).
        optimizer, lr_scheduler: prepared by Accelerate.
        target: EMA of `view`'s parameters (the target network), or None (the student is its own).
    """

    unet: torch.nn.Module
    wrapped: torch.nn.Module
    teacher: torch.nn.Module
    view: TrainableView
    optimizer: torch.optim.Optimizer
    lr_scheduler: object
    target: EMAModel | None
    lora: bool

    def teacher_forward(self, *args, **kwargs) -> torch.Tensor:
        with self.adapters_off():
            return self.teacher(*args, **kwargs).sample

    def target_forward(self, *args, **kwargs) -> torch.Tensor:
        with self.target_weights():
            return self.unet(*args, **kwargs).sample

    @contextlib.contextmanager
    def adapters_off(self) -> Iterator[None]:
        if not self.lora:
            yield
            return
        self.unet.disable_adapters()
        try:
            yield
        finally:
            self.unet.enable_adapters()

    @contextlib.contextmanager
    def target_weights(self) -> Iterator[None]:
        """The EMA weights in the student's parameters (their storage swapped, not copied)."""
        if self.target is None:
            yield
            return
        pairs = list(zip(self.view.parameters(), self.target.shadow_params))
        swap_storage(pairs)
        try:
            yield
        finally:
            swap_storage(pairs)


def swap_storage(pairs: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
    for parameter, shadow in pairs:
        parameter.data, shadow.data = shadow.data, parameter.data


@dataclass(frozen=True)
class Setup:
    """What every step's arithmetic needs: the noise schedule and the distillation settings."""

    scheduler: DDPMScheduler
    grid: SkippingGrid
    guidance: float
    timestep_scaling: float
    loss: str
    huber_c: float
    elevation_latent: ElevationLatent  # the teacher's (its elevation.json): the student denoises the same latents

    @property
    def prediction_type(self) -> str:
        return self.scheduler.config.prediction_type

    def alpha_bar(self, timesteps: torch.Tensor) -> torch.Tensor:
        """(B, 1, 1, 1) float32 cumulative alphas of int timesteps (B,)."""
        return self.scheduler.alphas_cumprod.to(timesteps.device)[timesteps][:, None, None, None]


def distill(config: DistillConfig, dataset: TerrainSource | None = None) -> DistillResult:
    """Run (or resume) one distillation run; export the student when `max_steps` are done.

    `dataset`: any `TerrainSource`; by default the source `config.data` names."""
    teacher_dir, _ = resolve_model_dir(config.teacher)
    config = with_teacher_normalization(config, teacher_dir)
    run = TrainingRun(config, "distill", gradient_accumulation_steps=config.gradient_accumulation_steps)
    accelerator = run.accelerator
    source = build_source(config, config.seed) if dataset is None else check_source(dataset)
    torch.backends.cuda.matmul.allow_tf32 = config.allow_tf32
    teacher = load_components(config.teacher)
    setup = make_setup(teacher, config)
    latent_factor = 2 ** (len(teacher.vae.config.block_out_channels) - 1)
    check_distill_memory(teacher.unet, config, config.resolution // latent_factor, accelerator.device)
    weight_dtype = DTYPES[config.mixed_precision]
    place_components(StartingPoint(teacher.tokenizer, teacher.text_encoder, teacher.vae, teacher.unet,
                                   teacher.scheduler_config), accelerator.device, weight_dtype)
    student = make_student(accelerator, teacher, config)
    collate = Collator(teacher.tokenizer, normalization_of(config), latent_factor, config.caption_dropout, config.seed)
    run.start(TrainingState({"student": student.view}, student.optimizer, student.lr_scheduler, student.target,
                            accelerator.scaler), source, collate)
    uncond = empty_prompt_context(teacher, accelerator.device)

    samples_per_step = config.batch_size * config.gradient_accumulation_steps * accelerator.num_processes
    grad_norm = None
    while run.running:
        step_loss = 0.0
        for micro in range(config.gradient_accumulation_steps):
            batch = run.next_batch()
            with accelerator.accumulate(student.wrapped):
                generator = step_generator(config.seed, run.step, micro, accelerator.process_index, accelerator.device)
                with accelerator.autocast():
                    loss = consistency_loss(student, teacher, batch, uncond, setup, generator)
                accelerator.backward(loss)
                if accelerator.sync_gradients:
                    grad_norm = accelerator.clip_grad_norm_(list(student.view.parameters()), config.max_grad_norm)
                student.optimizer.step()
                student.lr_scheduler.step()
                student.optimizer.zero_grad(set_to_none=True)
            step_loss = step_loss + loss.detach() / config.gradient_accumulation_steps
        if student.target is not None:
            student.target.step(list(student.view.parameters()))
        run.end_step(samples_per_step, loss=step_loss)
        if run.log_due:
            run.log(lr=student.lr_scheduler.get_last_lr()[0],
                    grad_norm=None if grad_norm is None else float(grad_norm), **memory_stats(accelerator.device))
        if config.validation_every and run.step % config.validation_every == 0:
            validate(accelerator, student, teacher, config, setup, run.step, weight_dtype)
        if run.checkpoint_due:
            run.save_checkpoint()

    model_dir = export_student(accelerator, student, teacher, config, setup) if run.finished else None
    run.finish()
    return DistillResult(run.step, model_dir, run.last_loss)


def with_teacher_normalization(config: DistillConfig, teacher_dir: Path) -> DistillConfig:
    """The config with the teacher's elevation normalisation (its elevation.json), so the student
    sees the data as the teacher did; unchanged for a teacher without one (the published model:
    set elevation_mode per_tile)."""
    if not (teacher_dir / "elevation.json").is_file():
        return config
    try:
        normalization = ElevationNormalization.load(teacher_dir)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(f"{teacher_dir / 'elevation.json'} is not a valid elevation record: {error}") from None
    return dataclasses.replace(config, elevation_mode=normalization.mode, elevation_min_m=normalization.min_m,
                               elevation_max_m=normalization.max_m)


def make_setup(teacher: Components, config: DistillConfig) -> Setup:
    """The training noise schedule of the teacher, the solver grid and the guidance to fold in."""
    scheduler = DDPMScheduler.from_config(teacher.scheduler_config)
    prediction_type = scheduler.config.prediction_type
    if prediction_type not in ("v_prediction", "epsilon"):
        raise UserError(f"the teacher predicts {prediction_type!r}; distillation supports v_prediction and epsilon")
    if prediction_type == "epsilon" and float(scheduler.alphas_cumprod[-1]) == 0.0:
        raise UserError("an epsilon-prediction teacher with a zero-terminal-SNR schedule cannot be distilled "
                        "(its clean estimate at the last timestep divides by zero)")
    guidance = config.guidance if config.guidance is not None else SamplingDefaults.read(teacher.model_dir).guidance
    guidance = max(1.0, guidance)  # a teacher sampled without guidance folds in none
    grid = SkippingGrid(scheduler.config.num_train_timesteps, config.solver_steps)
    return Setup(scheduler, grid, guidance, config.timestep_scaling, config.loss, config.huber_c,
                 read_checkpoint_elevation(teacher.model_dir).latent)


def check_distill_memory(unet: torch.nn.Module, config: DistillConfig, latent_side: int, device: torch.device) -> None:
    """Refuse a CPU run that cannot fit in this machine's memory (one line, before any work): the
    weights (teacher, student, gradients, AdamW moments, EMA target), the teacher's guided pass and
    the student's pass with its activations kept for the backward pass (counted three times)."""
    if device.type != "cpu":
        return
    weights = sum(p.numel() for p in unet.parameters()) * 4
    copies = 2 if config.student == "lora" else 6
    passes = (unet_bytes(unet, 2 * config.batch_size, latent_side, latent_side)
              + 3 * unet_bytes(unet, config.batch_size, latent_side, latent_side))
    check_memory(copies * weights + passes, f"distilling {config.teacher} ({config.student} student, batch "
                 f"{config.batch_size}, {config.resolution} px)", "use a smaller batch_size or resolution, or a LoRA student")


def make_student(accelerator, teacher: Components, config: DistillConfig) -> Student:
    """The student, its optimizer, LR schedule and EMA target, prepared by Accelerate."""
    lora = config.student == "lora"
    if lora:
        unet = teacher.unet.requires_grad_(False)
        unet.add_adapter(LoraConfig(r=config.lora_rank, lora_alpha=config.lora_alpha or config.lora_rank,
                                    init_lora_weights="gaussian", target_modules=list(config.lora_targets)))
        teacher_unet = unet
    else:
        unet = copy.deepcopy(teacher.unet).requires_grad_(True)
        teacher_unet = teacher.unet.to(accelerator.device, DTYPES[config.mixed_precision])
    unet.to(accelerator.device).train()
    if config.gradient_checkpointing:
        unet.enable_gradient_checkpointing()
    view = TrainableView(unet)
    optimizer = torch.optim.AdamW(view.parameters(), lr=config.learning_rate, betas=(config.adam_beta1, config.adam_beta2),
                                  weight_decay=config.adam_weight_decay, eps=config.adam_epsilon)
    lr_scheduler = get_scheduler(config.lr_scheduler, optimizer,
                                 num_warmup_steps=config.lr_warmup_steps * accelerator.num_processes,
                                 num_training_steps=config.max_steps * accelerator.num_processes)
    target = None
    if config.target_ema_decay > 0:
        target = EMAModel(list(view.parameters()), decay=config.target_ema_decay)
        target.to(accelerator.device)
    wrapped, optimizer, lr_scheduler = accelerator.prepare(unet, optimizer, lr_scheduler)
    return Student(unet, wrapped, teacher_unet, view, optimizer, lr_scheduler, target, lora)


def empty_prompt_context(teacher: Components, device: torch.device) -> torch.Tensor:
    """(1, 77, D) hidden states of the empty prompt: the unconditional half of guidance."""
    tokenizer = teacher.tokenizer
    ids = tokenizer([""], padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                    return_tensors="pt").input_ids
    with torch.no_grad():
        return teacher.text_encoder(ids.to(device))[0]


def consistency_loss(student: Student, teacher: Components, batch: Batch, uncond: torch.Tensor, setup: Setup,
                     generator: torch.Generator) -> torch.Tensor:
    """The latent consistency distillation loss of one batch (see the module docstring)."""
    device = generator.device
    with torch.no_grad():
        latents = encode_latents(teacher.vae, batch.rgb.to(device), batch.elevation.to(device), generator,
                                 setup.elevation_latent)
        context = teacher.text_encoder(batch.input_ids.to(device))[0]
        noise = torch.randn(latents.shape, generator=generator, device=device, dtype=latents.dtype)
        start, end = setup.grid.draw(latents.shape[0], generator)
        noisy = setup.scheduler.add_noise(latents, noise, start)
        solved = teacher_solve(student, noisy, start, end, context, uncond.expand_as(context), setup)
        target = consistency_output(student.target_forward(solved, end, encoder_hidden_states=context), solved, end,
                                    setup.alpha_bar(end), setup.prediction_type, setup.timestep_scaling)
    output = student.wrapped(noisy, start, encoder_hidden_states=context).sample
    prediction = consistency_output(output, noisy, start, setup.alpha_bar(start), setup.prediction_type,
                                    setup.timestep_scaling)
    mask = batch.latent_mask.to(device)
    if setup.loss == "huber":
        return pseudo_huber(prediction, target, mask, setup.huber_c)
    return masked_mse(prediction, target, mask)


def teacher_solve(student: Student, noisy: torch.Tensor, start: torch.Tensor, end: torch.Tensor,
                  context: torch.Tensor, uncond: torch.Tensor, setup: Setup) -> torch.Tensor:
    """The teacher's guided DDIM step from `start` to `end` timesteps: (B, 8, h, w) float32 latents."""
    alpha_start = setup.alpha_bar(start)
    if setup.guidance > 1.0:
        output = student.teacher_forward(torch.cat([noisy, noisy]), torch.cat([start, start]),
                                         encoder_hidden_states=torch.cat([uncond, context]))
        (x0_uncond, noise_uncond), (x0_cond, noise_cond) = (
            split_prediction(half.float(), noisy, alpha_start, setup.prediction_type) for half in output.chunk(2))
        x0, noise = guided(x0_uncond, x0_cond, setup.guidance), guided(noise_uncond, noise_cond, setup.guidance)
    else:
        output = student.teacher_forward(noisy, start, encoder_hidden_states=context)
        x0, noise = split_prediction(output.float(), noisy, alpha_start, setup.prediction_type)
    return ddim_step(x0, noise, setup.alpha_bar(end))


def student_components(student: Student, teacher: Components, config: DistillConfig) -> Components:
    """The teacher's components with the student's UNet and solver grid (for validation images)."""
    return Components(student_scheduler_config(teacher.scheduler_config, config.solver_steps), teacher.tokenizer,
                      teacher.text_encoder, teacher.vae, student.unet, Path(config.output_dir), "distillation",
                      teacher.license)


def validate(accelerator, student: Student, teacher: Components, config: DistillConfig, setup: Setup, step: int,
             weight_dtype: torch.dtype) -> None:
    """Validation images of the student at its default steps (main process)."""
    if accelerator.is_main_process:
        render_validation(student_components(student, teacher, config), config.validation_prompts,
                          config.validation_seed, config.sampling_steps, config.resolution,
                          Path(config.output_dir) / "validation" / f"step_{step:08d}",
                          None if weight_dtype == torch.float32 else weight_dtype, sampler=STUDENT_SAMPLER,
                          guidance=1.0, elevation_latent=setup.elevation_latent)
    accelerator.wait_for_everyone()


def export_student(accelerator, student: Student, teacher: Components, config: DistillConfig, setup: Setup) -> Path:
    """Write `output_dir/model/`: a LoRA student folder or a full MESA-layout model (the trained
    student's weights, not the EMA target's)."""
    state_dict = accelerator.get_state_dict(student.wrapped)
    model_dir = Path(config.output_dir) / "model"
    if accelerator.is_main_process:
        student.unet.load_state_dict(state_dict)  # gathered from DeepSpeed/FSDP shards
        # the student has its teacher's edges (same architecture and tiles): it samples with the teacher's overscan
        defaults = SamplingDefaults(STUDENT_SAMPLER, config.sampling_steps, 1.0,
                                    SamplingDefaults.read(teacher.model_dir).overscan)
        record = {"method": "latent consistency distillation (Luo et al. 2023)", "teacher": config.teacher,
                  "student": config.student, "guidance": setup.guidance, "solver_steps": config.solver_steps,
                  "timestep_scaling": config.timestep_scaling, "target_ema_decay": config.target_ema_decay,
                  "loss": config.loss, "steps": config.max_steps, "batch_size": config.batch_size,
                  "learning_rate": config.learning_rate, "resolution": config.resolution, "data": config.data}
        if student.lora:
            record["lora"] = {"rank": config.lora_rank, "alpha": config.lora_alpha or config.lora_rank,
                              "target_modules": list(config.lora_targets)}
            lora = LoraStudent(config.teacher, unet_fingerprint(teacher.model_dir), config.lora_rank,
                               float(config.lora_alpha or config.lora_rank), tuple(config.lora_targets),
                               config.solver_steps, setup.guidance)
            export_lora_student(model_dir, teacher.model_dir, get_peft_model_state_dict(student.unet), lora, record,
                                defaults, teacher.license)
        else:
            export_full_student(model_dir, teacher.model_dir, student.unet, teacher.scheduler_config, record,
                                defaults, teacher.license)
    accelerator.wait_for_everyone()
    return model_dir
