"""The model parts a training run starts from: published MESA weights, Stable Diffusion 2.x, or a
fresh UNet built from a config around an existing tokenizer, text encoder and VAE."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPTextModel, CLIPTokenizer

from mesa.errors import UserError
from mesa.models.unet_dem import UNetDEMConditionModel
from mesa.pipeline.loading import load_components, resolve_model_dir
from mesa.training.config import TrainConfig

logger = logging.getLogger(__name__)

# Stable Diffusion 2.1 (768, v-prediction) training schedule: used when a start has no scheduler/.
SD21_SCHEDULER_CONFIG = {
    "_class_name": "DDIMScheduler", "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000, "prediction_type": "v_prediction", "clip_sample": False,
    "set_alpha_to_one": False, "steps_offset": 1, "timestep_spacing": "leading",
}


@dataclass
class StartingPoint:
    """Loaded components (float32, on CPU) and the noise schedule to train with."""

    tokenizer: CLIPTokenizer
    text_encoder: CLIPTextModel
    vae: AutoencoderKL
    unet: UNetDEMConditionModel
    scheduler_config: dict


def load_starting_point(config: TrainConfig) -> StartingPoint:
    """Build the components named by `--pretrained`, `--init-from-sd` or `--init-from-config`."""
    if config.pretrained is not None:
        loaded = load_components(config.pretrained)
        start = StartingPoint(loaded.tokenizer, loaded.text_encoder, loaded.vae, loaded.unet, loaded.scheduler_config)
    elif config.init_from_sd is not None:
        folder, _ = resolve_model_dir(config.init_from_sd)
        sd_unet = _load(UNet2DConditionModel, folder / "unet")
        start = StartingPoint(*_text_and_vae(folder), UNetDEMConditionModel.from_sd_unet(sd_unet),
                              _scheduler_config(folder))
    else:
        unet_config, folder = _unet_config(config.init_from_config, config.components_from)
        try:
            unet = UNetDEMConditionModel.from_config(unet_config)
        except (TypeError, ValueError) as error:
            raise UserError(f"invalid UNet config {config.init_from_config}: {error}") from None
        start = StartingPoint(*_text_and_vae(folder), unet, _scheduler_config(folder))
    if config.vae_path is not None:
        start.vae = load_vae(config.vae_path)
    check_compatible(start)
    return start


def load_vae(path: str | Path) -> AutoencoderKL:
    """An AutoencoderKL from a folder holding it directly or in a `vae/` subfolder."""
    folder = Path(path)
    if (folder / "vae" / "config.json").is_file():
        folder = folder / "vae"
    return _load(AutoencoderKL, folder)


def check_compatible(start: StartingPoint) -> None:
    """Raise UserError when the UNet cannot consume this text encoder or VAE."""
    hidden = start.text_encoder.config.hidden_size
    if start.unet.config.cross_attention_dim != hidden:
        raise UserError(f"UNet cross_attention_dim {start.unet.config.cross_attention_dim} does not match the "
                        f"text encoder's hidden size {hidden}")
    if start.unet.config.in_channels != start.vae.config.latent_channels:
        raise UserError(f"UNet in_channels {start.unet.config.in_channels} per modality does not match the "
                        f"VAE's latent_channels {start.vae.config.latent_channels}")


def _unet_config(source: str, components_from: str | None) -> tuple[dict, Path]:
    path = Path(source)
    if path.is_dir():
        config_file, default_folder = path / "unet" / "config.json", path
    else:
        config_file, default_folder = path, None
    if not config_file.is_file():
        raise UserError(f"--init-from-config needs a UNet config JSON or a folder with unet/config.json: {source}")
    folder = Path(components_from) if components_from else default_folder
    if folder is None or not (folder / "text_encoder").is_dir():
        raise UserError("--init-from-config with a JSON file needs --set components_from=DIR, a folder with "
                        "tokenizer/, text_encoder/ and vae/ (e.g. a MESA-layout model)")
    unet_config = json.loads(config_file.read_text(encoding="utf-8"))
    return {k: v for k, v in unet_config.items() if k != "_class_name"}, folder


def _text_and_vae(folder: Path) -> tuple[CLIPTokenizer, CLIPTextModel, AutoencoderKL]:
    try:
        tokenizer = CLIPTokenizer.from_pretrained(folder / "tokenizer")
    except (OSError, ValueError, TypeError) as error:
        raise UserError(f"could not load the tokenizer in {folder / 'tokenizer'}: {error}") from None
    return tokenizer, _load(CLIPTextModel, folder / "text_encoder"), _load(AutoencoderKL, folder / "vae")


def _load(cls, folder: Path):
    if not (folder / "config.json").is_file():
        raise UserError(f"{folder} has no config.json; expected a saved {cls.__name__}")
    try:
        return cls.from_pretrained(folder, use_safetensors=True)
    except (OSError, ValueError, RuntimeError) as error:
        raise UserError(f"could not load {cls.__name__} from {folder}: {str(error).splitlines()[0]}") from None


def _scheduler_config(folder: Path) -> dict:
    path = folder / "scheduler" / "scheduler_config.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    logger.warning("%s has no scheduler/; training with the Stable Diffusion 2.1 v-prediction schedule", folder)
    return dict(SD21_SCHEDULER_CONFIG)
