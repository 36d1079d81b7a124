"""Typed training configurations, loaded from one JSON or TOML file plus command-line overrides.

Precedence: dataclass defaults < the config file (`--config`) < explicit flags and `--set KEY=VALUE`.
Unknown keys are errors (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from mesa.data.normalization import ElevationLatent
from mesa.errors import UserError

DATA_SOURCES = ("majortom", "synthetic", "prepared")  # registered in mesa.training.sources
MIXED_PRECISION = ("no", "fp16", "bf16")
DEFAULT_VALIDATION_PROMPTS = (
    "A Sentinel-2 satellite image and a digital elevation model of mountains in Switzerland",
    "A Sentinel-2 satellite image and a digital elevation model of plains in France",
)


@dataclass
class DataConfig:
    """Where samples come from and how elevation is normalised (shared by both trainers)."""

    data: str = "majortom"  # one of DATA_SOURCES (the paper's recipe: Major TOM)
    s2l2a: str = "Major-TOM/Core-S2L2A"  # local copy or Hub dataset id
    dem: str = "Major-TOM/Core-DEM"
    s2l1c: str | None = None  # Core-S2L1C for shadow correction (None: off)
    ecoregions: str | None = None  # optional ecoregion table for captions (Major TOM only)
    data_dir: str | None = None  # folder of prepared synthetic tiles (data = "prepared" only)
    resolution: int = 768  # crop size in pixels
    synthetic_length: int = 10_000  # samples per synthetic epoch
    elevation_mode: str = "global"  # "global" (metres) or "per_tile" (relative relief)
    elevation_min_m: float = -500.0
    elevation_max_m: float = 9000.0
    num_workers: int = 0  # data loader worker processes per GPU
    caption_dropout: float = 0.0  # probability of an empty caption (for classifier-free guidance)


@dataclass
class TrainConfig(DataConfig):
    """Everything `python -m mesa train` needs; field names are the `--set` keys."""

    # Initialisation: exactly one of the three.
    pretrained: str | None = None  # MESA-layout folder or Hub repo id
    init_from_sd: str | None = None  # Stable Diffusion 2.x folder or Hub repo id
    init_from_config: str | None = None  # UNet config JSON, or a folder with unet/config.json
    components_from: str | None = None  # tokenizer/text_encoder/vae(/scheduler) folder for init_from_config
    vae_path: str | None = None  # replace the VAE (a folder with config.json + safetensors)

    # Optimisation (paper: batch 128 = 8 GPUs x 16, constant 1e-5, 80k steps).
    batch_size: int = 1  # per device
    gradient_accumulation_steps: int = 1
    learning_rate: float = 1e-5
    lr_scheduler: str = "constant"  # any diffusers.optimization name
    lr_warmup_steps: int = 0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_weight_decay: float = 1e-2
    adam_epsilon: float = 1e-8
    max_grad_norm: float = 1.0
    max_steps: int = 80_000
    high_noise_share: float = 0.0  # probability that a batch draws all its timesteps from the top of the
    high_noise_min_timestep: int = 850  # schedule, [high_noise_min_timestep, T): where captions set the colour
    # The UNet's elevation latent: (VAE-scaled latent - shift[c]) * scale per channel, recorded in the
    # model's elevation.json (`ElevationLatent`); empty shift and scale 1: the VAE's own, as published.
    elevation_latent_shift: list[float] = field(default_factory=list)
    elevation_latent_scale: float = 1.0
    seed: int = 0

    # Memory and speed.
    mixed_precision: str = "no"  # one of MIXED_PRECISION
    gradient_checkpointing: bool = False
    allow_tf32: bool = True

    # Options.
    use_ema: bool = False
    ema_decay: float = 0.9999
    lora_rank: int = 0  # > 0 trains LoRA adapters (peft) on the attention projections only
    lora_alpha: float | None = None  # defaults to lora_rank
    train_text_encoder: bool = False  # train the text encoder jointly (the published recipe freezes CLIP)
    text_encoder_learning_rate: float | None = None  # defaults to learning_rate

    # Output.
    output_dir: str = "runs/mesa"
    checkpoint_every: int = 1000
    checkpoints_total_limit: int | None = 3
    resume: str | None = None  # "latest" or a checkpoint folder
    log_every: int = 10
    validation_every: int = 1000  # 0: never
    validation_prompts: list[str] = field(default_factory=lambda: list(DEFAULT_VALIDATION_PROMPTS))
    validation_steps: int = 25
    validation_seed: int = 42
    stop_after: int | None = None  # stop (as if interrupted) after this many steps; for tests


@dataclass
class VaeTrainConfig(DataConfig):
    """Everything `python -m mesa train-vae` needs."""

    vae_config: str | None = None  # AutoencoderKL config JSON: train from scratch
    pretrained: str | None = None  # folder with an AutoencoderKL (or with a vae/ subfolder)
    batch_size: int = 4
    learning_rate: float = 1e-4
    max_steps: int = 10_000
    seed: int = 0
    kl_weight: float = 1e-6
    max_grad_norm: float = 1.0
    mixed_precision: str = "no"
    # Fine-tune the decoder alone (needs --pretrained): the encoder, its latent space and scaling
    # factor stay as they were, so a UNet trained on that VAE's latents keeps working with the result.
    train_decoder_only: bool = False
    edge_weight: float = 0.0  # extra weight of the reconstruction error within edge_px of a tile's edge
    edge_px: int = 8
    corner_weight: float = 0.0  # extra weight of the 2 x 2 pixels at each corner (corner spikes)
    # Weight of the elevation's squared error against the image's (1: equal). In a global metres range a
    # ridge's detail is a few thousandths of the [-1, 1] range, so with equal weights the image's error
    # decides what the latents keep (measured: docs/mesa_tiny.md, "Where the ridges go").
    elevation_weight: float = 1.0
    scaling_batches: int = 8  # batches used to measure the latent std (from-scratch VAEs)
    output_dir: str = "runs/vae"
    checkpoint_every: int = 1000
    checkpoints_total_limit: int | None = 3
    resume: str | None = None
    log_every: int = 10
    stop_after: int | None = None


Config = TypeVar("Config", bound=DataConfig)


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A flat mapping from a .json or .toml file."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"config file not found: {path}")
    try:
        if path.suffix == ".json":
            values = json.loads(path.read_text(encoding="utf-8"))
        elif path.suffix == ".toml":
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        else:
            raise UserError(f"config file {path} must end in .json or .toml")
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise UserError(f"config file {path} is not valid: {error}") from None
    if not isinstance(values, dict):
        raise UserError(f"config file {path} must hold one object of settings")
    return {key: value for key, value in values.items() if not key.startswith("_")}  # "_comment" keys


def parse_override(text: str) -> tuple[str, str]:
    """`KEY=VALUE` -> (key, raw value)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise UserError(f"--set expects KEY=VALUE, got {text!r}")
    return key.strip().replace("-", "_"), value


def coerce(value: Any, annotation: Any, key: str) -> Any:
    """Convert a file or command-line value to the field's type; raise UserError if it cannot be."""
    kinds = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
        if type(None) in kinds:
            return None
        raise UserError(f"setting {key} cannot be empty")
    kind = next(k for k in kinds if k is not type(None))
    try:
        if kind is bool:
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                return value.lower() in ("true", "1", "yes")
            return bool(value)
        if typing.get_origin(kind) is list:
            items = json.loads(value) if isinstance(value, str) and value.startswith("[") else value
            item_kind = (typing.get_args(kind) or (str,))[0]
            return [item_kind(item) for item in ([items] if isinstance(items, str) else items)]
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        return kind(value)
    except (TypeError, ValueError, json.JSONDecodeError):
        raise UserError(f"setting {key} expects {getattr(kind, '__name__', kind)}, got {value!r}") from None


def build_config(cls: type[Config], file_values: dict[str, Any], overrides: dict[str, Any]) -> Config:
    """Defaults, then the file, then the overrides (None values in overrides are ignored)."""
    hints = typing.get_type_hints(cls)
    values = {}
    for source in (file_values, {k: v for k, v in overrides.items() if v is not None}):
        for key, value in source.items():
            if key not in hints:
                names = ", ".join(sorted(hints))
                raise UserError(f"unknown setting {key!r}; accepted settings: {names}")
            values[key] = coerce(value, hints[key], key)
    config = cls(**values)
    validate(config)
    return config


def validate(config: DataConfig) -> None:
    """Raise UserError for settings that cannot work together (the checks every trainer shares, then
    each config's own; other configs, e.g. distillation's, check theirs in `__post_init__`)."""
    if config.data not in DATA_SOURCES:
        raise UserError(f"--data must be one of {', '.join(DATA_SOURCES)}, got {config.data!r}")
    if (config.data == "prepared") != (config.data_dir is not None):
        raise UserError("--data prepared needs --data-dir DIR (prepared synthetic tiles), and data_dir "
                        "applies to --data prepared only")
    if config.mixed_precision not in MIXED_PRECISION:
        raise UserError(f"mixed_precision must be one of {', '.join(MIXED_PRECISION)}, got {config.mixed_precision!r}")
    if config.resolution < 8 or config.resolution % 8:
        raise UserError(f"--resolution must be a positive multiple of 8 pixels, got {config.resolution}")
    for name in ("batch_size", "max_steps", "checkpoint_every", "log_every"):
        if getattr(config, name) < 1:
            raise UserError(f"{name} must be at least 1, got {getattr(config, name)}")
    if not (math.isfinite(config.learning_rate) and config.learning_rate > 0):
        raise UserError(f"--learning-rate must be a positive number, got {config.learning_rate}")
    if not 0.0 <= config.caption_dropout < 1.0:
        raise UserError(f"caption_dropout must be in [0, 1), got {config.caption_dropout}")
    if isinstance(config, TrainConfig):
        sources = [config.pretrained, config.init_from_sd, config.init_from_config]
        if sum(source is not None for source in sources) != 1:
            raise UserError("give exactly one of --pretrained, --init-from-sd and --init-from-config")
        if config.lora_rank and config.use_ema:
            raise UserError("use_ema and LoRA cannot be combined (EMA of adapters is not supported)")
        if config.gradient_accumulation_steps < 1:
            raise UserError("gradient_accumulation_steps must be at least 1")
        if not (math.isfinite(config.high_noise_share) and 0.0 <= config.high_noise_share <= 1.0):
            raise UserError(f"high_noise_share must be in [0, 1], got {config.high_noise_share}")
        if config.high_noise_min_timestep < 0:
            raise UserError(f"high_noise_min_timestep must be >= 0, got {config.high_noise_min_timestep}")
        elevation_latent_of(config)  # raises UserError naming a bad shift or scale
        if config.text_encoder_learning_rate is not None:
            if not config.train_text_encoder:
                raise UserError("text_encoder_learning_rate applies only with train_text_encoder=true")
            if not (math.isfinite(config.text_encoder_learning_rate) and config.text_encoder_learning_rate > 0):
                raise UserError("text_encoder_learning_rate must be a positive number, got "
                                f"{config.text_encoder_learning_rate}")
    elif isinstance(config, VaeTrainConfig):
        if (config.vae_config is None) == (config.pretrained is None):
            raise UserError("give exactly one of --vae-config (from scratch) and --pretrained (fine-tune)")
        if config.train_decoder_only and config.pretrained is None:
            raise UserError("train_decoder_only fine-tunes a trained VAE's decoder: it needs --pretrained, "
                            "not --vae-config")
        for name in ("edge_weight", "corner_weight"):
            if not (math.isfinite(getattr(config, name)) and getattr(config, name) >= 0):
                raise UserError(f"{name} must be a number >= 0, got {getattr(config, name)}")
        if not (math.isfinite(config.elevation_weight) and config.elevation_weight > 0):
            raise UserError(f"elevation_weight must be a number > 0, got {config.elevation_weight}")
        if not 1 <= config.edge_px <= config.resolution // 2:
            raise UserError(f"edge_px must be between 1 and half the resolution ({config.resolution // 2}), "
                            f"got {config.edge_px}")


def config_to_dict(config: TrainConfig | VaeTrainConfig) -> dict[str, Any]:
    """JSON-ready settings (written beside every run and checkpoint)."""
    return dataclasses.asdict(config)


def elevation_latent_of(config: TrainConfig) -> ElevationLatent:
    """The UNet's elevation latent the config trains in (recorded in the model's elevation.json)."""
    return ElevationLatent(tuple(config.elevation_latent_shift), config.elevation_latent_scale)
