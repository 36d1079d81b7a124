"""README.md of the bundled mesa-tiny model: what it is, how it was made, how well it does."""

from __future__ import annotations

import json
from pathlib import Path

from mesa.captions.places import PLACE_FEATURES
from mesa.models.colour_prior import CONFIG_NAME, FIRST_FEATURES
from mesa.models.colour_prior import FOLDER as PRIOR_FOLDER
from recipes.mesa_tiny.components import read_json
from mesa.training.metrics import read_metrics

CARD = """---
license: other
tags: [terrain, diffusion, synthetic-data, demonstration]
---
# mesa-tiny: a small demonstration model trained on synthetic terrain

**This is not MESA.** It is a {size_mb:.1f} MB model with MESA's architecture (a dual-head
`UNetDEMConditionModel` denoising an 8-channel latent: 4 image + 4 elevation channels, an
`AutoencoderKL`, a CLIP text encoder and tokenizer), trained in {total_minutes:.0f} minutes {hardware}
on **procedurally generated synthetic terrain** (`mesa.data.synthetic`), **not on Earth observation
data**. It lets the app, the command line and the tests run offline; its terrains are plausible
cartoons of the synthetic world, not of the Earth.

For real terrain use the published MESA weights: `hf download NewtNewt/MESA`, then
`--model NewtNewt/MESA` (a GPU is strongly recommended).

## Components
- tokenizer: CLIP BPE (vocab.json + merges.txt), {vocab_size} tokens; every word of the prompt
  vocabulary is one token, so every prompt fits in 77 tokens.
- text_encoder: CLIPTextModel, hidden size {text_hidden}, {text_layers} layers, {text_training}.
- vae: AutoencoderKL, factor {vae_factor} ({native} px -> {latent} x {latent} latents), trained
  with `python -m mesa train-vae` on {vae_crop} px crops, then its decoder alone on whole tiles with
  the error near the edges and at the corners weighted up (encoder frozen), against the raised rim
  and corner spikes that crops left; scaling factor {scaling:.4f}.
- unet: UNetDEMConditionModel, block channels {unet_channels}, trained with `python -m mesa train`.
- scheduler: DDIM, Stable Diffusion 2.1's v-prediction betas rescaled to zero terminal SNR.
{colour_prior}- elevation.json: global normalisation {min_m:.0f} .. {max_m:.0f} m, {mpp:.0f} m per pixel, so
  `elevation_m` is in metres{elevation_latent}.

Native size {native} px ({extent_km:.2f} km). Captions: "A Sentinel-2 image of {{biome}} and
{{landform}} in {{country}} in {{month}}", any subset of the four parts.

## Training
The recipe, `python -m recipes.mesa_tiny.recipe` (configs in `recipes/mesa_tiny/configs/`, copied to
`training/configs/`; `bash scripts/train_mesa_tiny.sh` on a CPU, `--config recipes/mesa_tiny/configs/recipe_gpu.json
--device cuda` on a GPU).
VAE: {vae_steps} steps, final reconstruction loss {vae_loss:.4f}; decoder: {decoder_steps} steps, final
edge-weighted loss {decoder_loss:.4f} ({vae_minutes:.0f} min for both). UNet:
{unet_steps} steps, final loss {unet_loss:.4f} ({unet_minutes:.0f} min){second_cycle}. Metrics: `training/*.jsonl`{validation}.

## Quality
{quality}
"""


VALIDATION = "; validation images: `training/validation/`"
TEXT_TRAINING = {
    False: "random weights from the recipe seed, frozen during training",
    True: "initialised from the recipe seed and trained jointly with the UNet",
}


def summarise_quality(quality: dict | None) -> str:
    """The figures and the steps table from quality.json (written by benchmarks/quality_mesa_tiny.py)."""
    if not quality:
        return "Not measured yet: run `python -m benchmarks.quality_mesa_tiny --write`."
    settings = quality["settings"]
    lines = [f"Measured by `benchmarks/quality_mesa_tiny.py` over {quality['seeds']} seeds per prompt at the "
             f"default settings ({settings['sampler']}, {settings['steps']} steps, guidance {settings['guidance']}, "
             f"overscan {settings.get('overscan', 0)} px; `sampling_defaults.json`); every number is in `quality.json`.", ""]
    lines += [f"- {name}: {value}" for name, value in quality["figures"].items()]
    lines += ["", "Against a 200-step DDIM reference on the same seeds:", "",
              "| sampler | steps | elevation RMSE (m) | colour RMSE | s / terrain (batched) |",
              "| --- | --- | --- | --- | --- |"]
    lines += [f"| {row['sampler']} | {row['steps']} | {row['elevation_rmse_m']:.1f} | {row['rgb_rmse']:.4f} | "
              f"{row['seconds_per_terrain_batched']:.2f} |" for row in quality["steps_table"]]
    return "\n".join(lines)


def training_seconds(metrics: list[dict], batch_size: int) -> float:
    """Wall-clock seconds of a run from its metrics lines (steps per window / samples per second)."""
    seconds, previous = 0.0, 0
    for line in metrics:
        seconds += (line["step"] - previous) * batch_size / line["samples_per_s"]
        previous = line["step"]
    return seconds


def describe_colour_prior(model_dir: Path) -> str:
    """The card's line for `colour_prior/` (empty without one)."""
    config_file = model_dir / PRIOR_FOLDER / CONFIG_NAME
    if not config_file.is_file():
        return ""
    prior = json.loads(config_file.read_text(encoding="utf-8"))
    metrics_file = model_dir / "training" / "colour_prior_metrics.json"
    trained = ""
    if metrics_file.is_file():
        metrics = json.loads(metrics_file.read_text(encoding="utf-8"))
        last = metrics["history"][-1]
        trained = (f", trained {last['step']} steps on {metrics['tiles']} season-quad tiles (held-out negative "
                   f"log-likelihood {last['held_out_nll']:.3f} per channel) with `python -m mesa.training.colour_prior`")
    facts = ("its place (country latitude, month, local summer)" if prior.get("features", FIRST_FEATURES) == PLACE_FEATURES else
             "its facts (country latitude, month, local summer; the vocabulary's biome and landform and their "
             "products with the local summer)")
    return (f"- colour_prior: a mixture of {prior['components']} Gaussians over the image latent's tile mean given "
            f"the caption (the text encoder above) and {facts}{trained}; sampling draws one per seed and sets it "
            f"at timesteps >= {prior['from_timestep']}.\n")


def describe_elevation_latent(elevation: dict) -> str:
    """The card's words for elevation.json's `latent` (the UNet's elevation latent), if any."""
    if "latent" not in elevation:
        return ""
    shift = ", ".join(f"{value:.2f}" for value in elevation["latent"]["shift"])
    return (f"; and the UNet's elevation latent: the VAE's, centred (shift [{shift}]) and scaled by "
            f"{elevation['latent']['scale']:.2f} to the image's within-tile spread")


def on_gpu(metrics: list[dict]) -> bool:
    """Whether a trainer's metrics came from a GPU (the trainers log its peak memory there alone)."""
    return any("max_memory_gb" in row for row in metrics)


def describe_hardware(vae_metrics: list[dict], unet_metrics: list[dict]) -> str:
    """Where the VAE and the UNet were trained, in the card's words."""
    vae, unet = ("one GPU" if on_gpu(metrics) else "a 2-core CPU" for metrics in (vae_metrics, unet_metrics))
    return f"on {vae}" if vae == unet else f"(the VAE on {vae}, the UNet on {unet})"


def describe_second_cycle(model_dir: Path) -> tuple[str, float]:
    """The card's words for the recipe's stage 4c and its seconds ("" and 0 where it did not run)."""
    path = model_dir / "training" / "second_cycle_metrics.jsonl"
    if not path.is_file():
        return "", 0.0
    metrics = read_metrics(path)
    seconds = training_seconds(metrics, read_json(model_dir / "training" / "configs" / "second_cycle_train.json")["batch_size"])
    return (f", then a second cosine cycle of {metrics[-1]['step']} steps, final loss {metrics[-1]['loss']:.4f} "
            f"({seconds / 60:.0f} min)"), seconds


def write_model_card(model_dir: str | Path) -> Path:
    """Write model_dir/README.md from the folder's configs, training metrics and quality.json."""
    model_dir = Path(model_dir)

    def config(part: str) -> dict:
        return json.loads((model_dir / part / "config.json").read_text(encoding="utf-8"))

    vae, unet, text = config("vae"), config("unet"), config("text_encoder")
    elevation = json.loads((model_dir / "elevation.json").read_text(encoding="utf-8"))
    vocab = json.loads((model_dir / "tokenizer" / "vocab.json").read_text(encoding="utf-8"))
    vae_metrics = read_metrics(model_dir / "training" / "vae_metrics.jsonl")
    unet_metrics = read_metrics(model_dir / "training" / "metrics.jsonl")
    quality_file = model_dir / "quality.json"
    quality = json.loads(quality_file.read_text(encoding="utf-8")) if quality_file.is_file() else None
    factor = 2 ** (len(vae["block_out_channels"]) - 1)
    native = unet["sample_size"] * factor
    size = sum(path.stat().st_size for path in model_dir.rglob("*") if path.is_file()) / 1e6
    configs = model_dir / "training" / "configs"
    unet_seconds = training_seconds(unet_metrics, read_json(configs / "train.json")["batch_size"])
    decoder_metrics = read_metrics(model_dir / "training" / "vae_decoder_metrics.jsonl")
    vae_seconds = (training_seconds(vae_metrics, read_json(configs / "vae_train.json")["batch_size"])
                   + training_seconds(decoder_metrics, read_json(configs / "vae_decoder_train.json")["batch_size"]))
    trained_text = bool(read_json(configs / "train.json").get("train_text_encoder", False))
    second_cycle, second_seconds = describe_second_cycle(model_dir)
    card = CARD.format(
        colour_prior=describe_colour_prior(model_dir), elevation_latent=describe_elevation_latent(elevation),
        size_mb=size, vocab_size=len(vocab), text_hidden=text["hidden_size"], text_layers=text["num_hidden_layers"],
        text_training=TEXT_TRAINING[trained_text],
        vae_factor=factor, native=native, latent=unet["sample_size"], scaling=vae["scaling_factor"],
        unet_channels=unet["block_out_channels"], min_m=elevation["min_m"], max_m=elevation["max_m"],
        mpp=elevation["meters_per_pixel"], extent_km=native * elevation["meters_per_pixel"] / 1000,
        vae_steps=vae_metrics[-1]["step"], vae_loss=vae_metrics[-1]["reconstruction"],
        vae_crop=read_json(configs / "vae_train.json")["resolution"], decoder_steps=decoder_metrics[-1]["step"],
        decoder_loss=decoder_metrics[-1]["reconstruction"],
        unet_steps=unet_metrics[-1]["step"], unet_loss=unet_metrics[-1]["loss"], unet_minutes=unet_seconds / 60,
        vae_minutes=vae_seconds / 60, total_minutes=(vae_seconds + unet_seconds + second_seconds) / 60,
        validation=VALIDATION if (model_dir / "training" / "validation").is_dir() else "",
        hardware=describe_hardware(vae_metrics + decoder_metrics, unet_metrics), second_cycle=second_cycle,
        quality=summarise_quality(quality))
    path = model_dir / "README.md"
    path.write_text(card, encoding="utf-8")
    return path
