"""`DistillConfig`: everything `python -m mesa distill` needs, loaded like the trainers' configs
(`mesa.training.config.build_config`: defaults < `--config` file < `--set` < flags)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mesa.errors import UserError
from mesa.pipeline.samplers import FEW_STEP_SAMPLERS
from mesa.training.config import DEFAULT_VALIDATION_PROMPTS, DataConfig

STUDENTS = ("lora", "full")
LOSSES = ("huber", "l2")
# LCM-LoRA's adapted layers (Luo et al. 2023b): attention and feed-forward projections, the
# resnets' convolutions and time projections, the resamplers; the per-modality conv_in/conv_out stay.
DISTILL_LORA_TARGETS = ["to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2",
                        "conv1", "conv2", "conv_shortcut", "downsamplers.0.conv", "upsamplers.0.conv",
                        "time_emb_proj"]


@dataclass
class DistillConfig(DataConfig):
    """Settings of one distillation run; field names are the `--set` keys."""

    # Teacher and student.
    teacher: str | None = None  # MESA-layout folder, bundled name ("mesa-tiny") or Hub repo id
    student: str = "lora"  # "lora": adapters on the teacher (a small file); "full": every UNet weight
    lora_rank: int = 64
    lora_alpha: float | None = None  # defaults to lora_rank
    lora_targets: list[str] = field(default_factory=lambda: list(DISTILL_LORA_TARGETS))

    # Latent consistency distillation (Luo et al. 2023).
    guidance: float | None = None  # teacher guidance folded into the student (None: the teacher's default)
    solver_steps: int = 50  # N of the teacher's skipping-step DDIM grid (k = T / N); LCM's 50
    timestep_scaling: float = 10.0  # boundary scalings c_skip/c_out (LCMScheduler's default)
    target_ema_decay: float = 0.95  # EMA of the student that gives the targets (0: the student itself)
    loss: str = "huber"  # "huber" (pseudo-Huber, LCM's) or "l2"
    huber_c: float = 0.001
    sampling_steps: int = 4  # the student's default steps (sampling_defaults.json)

    # Optimisation.
    batch_size: int = 1  # per device
    gradient_accumulation_steps: int = 1
    learning_rate: float = 1e-4
    lr_scheduler: str = "constant"
    lr_warmup_steps: int = 0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_weight_decay: float = 0.0
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    max_steps: int = 4000
    seed: int = 0
    mixed_precision: str = "no"
    gradient_checkpointing: bool = False
    allow_tf32: bool = True

    # Output.
    output_dir: str = "runs/distill"
    checkpoint_every: int = 500
    checkpoints_total_limit: int | None = 3
    resume: str | None = None
    log_every: int = 10
    validation_every: int = 500  # 0: never
    validation_prompts: list[str] = field(default_factory=lambda: list(DEFAULT_VALIDATION_PROMPTS))
    validation_seed: int = 42
    stop_after: int | None = None

    def __post_init__(self) -> None:
        check_distill(self)


def check_distill(config: DistillConfig) -> None:
    """UserError for distillation settings that cannot work (the shared data and optimisation
    checks run in `build_config`)."""
    if not config.teacher:
        raise UserError("give --teacher: the model to distil (a MESA-layout folder, a bundled name such as "
                        "mesa-tiny, or a Hub repo id)")
    if config.student not in STUDENTS:
        raise UserError(f"student must be one of {', '.join(STUDENTS)}, got {config.student!r}")
    if config.loss not in LOSSES:
        raise UserError(f"loss must be one of {', '.join(LOSSES)}, got {config.loss!r}")
    if config.student == "lora" and (config.lora_rank < 1 or not config.lora_targets):
        raise UserError("a LoRA student needs lora_rank >= 1 and at least one of lora_targets")
    if config.guidance is not None and not (math.isfinite(config.guidance) and 1.0 <= config.guidance <= 100.0):
        raise UserError(f"guidance must be a number from 1 to 100 (1: no guidance), got {config.guidance}")
    if not 2 <= config.solver_steps <= 1000:
        raise UserError(f"solver_steps must be from 2 to 1000, got {config.solver_steps}")
    most = FEW_STEP_SAMPLERS["lcm"]
    if not 1 <= config.sampling_steps <= min(most, config.solver_steps):
        raise UserError(f"sampling_steps must be from 1 to {min(most, config.solver_steps)}, got {config.sampling_steps}")
    if not (0.0 <= config.target_ema_decay < 1.0):
        raise UserError(f"target_ema_decay must be in [0, 1), got {config.target_ema_decay}")
    if not (math.isfinite(config.timestep_scaling) and config.timestep_scaling > 0):
        raise UserError(f"timestep_scaling must be a positive number, got {config.timestep_scaling}")
    if config.loss == "huber" and not (math.isfinite(config.huber_c) and config.huber_c > 0):
        raise UserError(f"huber_c must be a positive number, got {config.huber_c}")
    if config.gradient_accumulation_steps < 1:
        raise UserError("gradient_accumulation_steps must be at least 1")
    if config.validation_every < 0:
        raise UserError(f"validation_every must be 0 (never) or more, got {config.validation_every}")
