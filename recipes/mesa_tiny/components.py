"""The parts mesa-tiny starts from: tokenizer, CLIP text encoder from the seed (trained with the UNet
since v2), noise schedule.

`write_components(folder, ...)` writes tokenizer/, text_encoder/ and scheduler/ in the MESA
layout; the recipe adds vae/ after `train-vae`, and the folder becomes the trainer's
`components_from`.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from diffusers import DDIMScheduler
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from recipes.mesa_tiny.tokenizer import BOS, EOS, MAX_LENGTH, write_tokenizer


def text_encoder_config(values: dict, tokenizer: CLIPTokenizer) -> CLIPTextConfig:
    """A CLIPTextConfig from the recipe's settings, sized to the tokenizer's vocabulary."""
    settings = {key: value for key, value in values.items() if not key.startswith("_")}
    return CLIPTextConfig(**settings, vocab_size=len(tokenizer), max_position_embeddings=MAX_LENGTH,
                          bos_token_id=tokenizer.convert_tokens_to_ids(BOS),
                          eos_token_id=tokenizer.convert_tokens_to_ids(EOS),
                          pad_token_id=tokenizer.convert_tokens_to_ids(EOS))


def random_text_encoder(config: CLIPTextConfig, seed: int) -> CLIPTextModel:
    """CLIP text encoder with weights drawn from `seed` (CPU generator; same on every machine)."""
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        return CLIPTextModel(config).eval()
    finally:
        torch.random.set_rng_state(state)


def write_components(folder: str | Path, text_encoder_settings: dict, scheduler_settings: dict, seed: int) -> Path:
    """Write tokenizer/, text_encoder/ and scheduler/ (a DDIMScheduler config) into `folder`."""
    folder = Path(folder)
    tokenizer = CLIPTokenizer.from_pretrained(write_tokenizer(folder / "tokenizer"))
    encoder = random_text_encoder(text_encoder_config(text_encoder_settings, tokenizer), seed)
    encoder.save_pretrained(folder / "text_encoder", safe_serialization=True)
    DDIMScheduler.from_config(scheduler_settings).save_pretrained(folder / "scheduler")
    return folder


def read_json(path: str | Path) -> dict:
    """A JSON object from a file, without "_comment"-style keys."""
    values = json.loads(Path(path).read_text(encoding="utf-8"))
    return {key: value for key, value in values.items() if not key.startswith("_")}
