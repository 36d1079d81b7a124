"""Write a trained model in the published MESA layout, loadable by `TerrainPipeline.from_pretrained`.

    model_index.json  scheduler/  tokenizer/  text_encoder/  vae/  unet/  elevation.json

All weights are safetensors. The scheduler is written as DDIM (the published sampler) with the
training noise schedule and prediction type. `elevation.json` records the training elevation
normalisation so the model's output maps back to metres.
"""

from __future__ import annotations

import json
from pathlib import Path

import diffusers
import torch
from diffusers import DDIMScheduler

from mesa.atomic import staged_directory
from mesa.data.normalization import ElevationLatent, ElevationNormalization

PIPELINE_CLASS = "TerrainDiffusionPipeline"


def model_index() -> dict:
    """The published model_index.json (the UNet class lives in the `models` module)."""
    return {
        "_class_name": PIPELINE_CLASS,
        "_diffusers_version": diffusers.__version__,
        "feature_extractor": [None, None],
        "image_encoder": [None, None],
        "requires_safety_checker": False,
        "safety_checker": [None, None],
        "scheduler": ["diffusers", "DDIMScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["models", "UNetDEMConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }


def elevation_document(normalization: ElevationNormalization, meters_per_pixel: float,
                       elevation_latent: ElevationLatent = ElevationLatent()) -> str:
    """elevation.json: the data module's normalisation record plus the ground sampling distance (and
    the UNet's elevation latent where it is not the VAE's own)."""
    document = json.loads(normalization.to_json())
    document["meters_per_pixel"] = float(meters_per_pixel)
    if not elevation_latent.is_identity:
        document["latent"] = elevation_latent.to_json()
    return json.dumps(document, indent=2) + "\n"


def export_model(directory: str | Path, *, tokenizer, text_encoder, vae, unet, scheduler_config: dict,
                 normalization: ElevationNormalization, meters_per_pixel: float,
                 elevation_latent: ElevationLatent = ElevationLatent()) -> Path:
    """Write every component into a staging folder that then replaces `directory` in one step."""
    directory = Path(directory)
    with staged_directory(directory) as staging:
        (staging / "model_index.json").write_text(json.dumps(model_index(), indent=2) + "\n", encoding="utf-8")
        DDIMScheduler.from_config(scheduler_config).save_pretrained(staging / "scheduler")
        tokenizer.save_pretrained(staging / "tokenizer")
        tokenizer.backend_tokenizer.model.save(str(staging / "tokenizer"))  # vocab.json + merges.txt, as published
        for name, module in (("text_encoder", text_encoder), ("vae", vae), ("unet", unet)):
            module.to(torch.float32).save_pretrained(staging / name, safe_serialization=True)
        (staging / "elevation.json").write_text(elevation_document(normalization, meters_per_pixel, elevation_latent),
                                                      encoding="utf-8")
    return directory
