"""Where does a model read its prompt, and does it read the month? A minute's check before a scorecard.

    .venv/bin/python -m benchmarks.text_conditioning [--model mesa-tiny] [--pairs 48] [--prompts 8]

Two measurements on the model's own UNet and text encoder, in one process:

1. Words or padding. The context a UNet cross-attends to is 77 text-encoder states: the prompt's
   words, its end token, then padding whose states (in a causal encoder) summarise the prompt.
   For prompt pairs that differ in the biome, the UNet's prediction at t = 999 (fixed noise) with
   A's word states and B's padding states is compared with its predictions for A and for B:
   `padding share` = d(mix, A) / (d(mix, A) + d(mix, B)); near 1 the padding decides, near 0 the words.
2. Season twins. Held-out synthetic terrains (the "val" split) of biomes whose colour follows the
   season, each twice: in its drawn month and six months later (same ground, opposite season).
   The error of the UNet's tile-mean image prediction (the v-prediction's mean over the tile, per
   image latent channel, squared) at t = 999, 900 and 600, with the four-part captions as they are,
   with each twin's month swapped for the other's, with its country swapped for one of the other
   hemisphere (the season flipped by the place: a model that reads month x hemisphere errs as much as
   with the month swapped; one that reads only "July is green" errs as little as with the true
   caption), with the biome swapped, and with no prompt.
   `room` is what knowing the month could save at t = 999: the error of predicting the pair's
   average instead of each twin. A model that reads the month has true well below swapped.

mesa-tiny v2.2 (docs/mesa_tiny.md, "The month"): padding share 0.76; at t = 999 true 0.391, month
swapped 0.395, hemisphere swapped 0.389, biome swapped 0.425, empty 0.438, room 0.259: the biome is read,
the month is not.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import replace

import numpy as np
import torch
from diffusers import DDIMScheduler

from mesa.control.encoding import encoding_scale, to_model_dem
from mesa.data.synthetic import SyntheticTerrainDataset, generate_tile
from mesa.data.synthetic.captions import caption_parts
from mesa.data.synthetic.generate import TILE_EXTENT_M
from mesa.data.synthetic.params import MONTHS, other_hemisphere_place
from mesa.data.synthetic.prepared import shift_month
from mesa.pipeline.pipeline import TerrainPipeline
from mesa.prompts import build_prompt

TIMESTEPS = (999, 900, 600)
MIN_SEASON_CHANGE = 0.05  # mean colour difference (0..1) between twins for a pair to count
SWAP_BIOME, SWAP_BIOME_ELSE = "deserts", "tropical rainforests"  # the second where the first is the tile's own
PROMPT_PAIRS = [(f"A Sentinel-2 image of {a} and {landform} in {country} in July",
                 f"A Sentinel-2 image of {b} and {landform} in {country} in July")
                for a, b in (("tropical rainforests", "rock and ice"), ("deserts", "conifer forests"),
                             ("savannas", "tundra"), ("boreal forests", "deserts"))
                for landform, country in (("plains", "Brazil"), ("mountains", "Canada"))]


def season_twins(pipe: TerrainPipeline, count: int, seed: int) -> tuple[torch.Tensor, list[str], list[str]]:
    """(2 * count, 8, h, w) latents of held-out twins (pair i at rows 2i, 2i + 1), their captions, and
    the captions with the country of the other hemisphere (params.py `other_hemisphere_place`)."""
    size = pipe.native_size
    world = SyntheticTerrainDataset(resolution=size, length=20 * count, seed=seed, split="val")
    rgb, dem, captions, flipped = [], [], [], []
    for index in range(len(world)):
        params = world.sample_params(index)
        twins = [params, replace(params, month=shift_month(params.month, 6))]
        tiles = [generate_tile(p, size, TILE_EXTENT_M / size) for p in twins]
        if abs(float(tiles[0].rgb.mean() - tiles[1].rgb.mean())) < MIN_SEASON_CHANGE:
            continue
        for p, tile in zip(twins, tiles):
            rgb.append(np.clip(tile.rgb, 0.0, 1.0))
            dem.append(to_model_dem(tile.elevation_m, encoding_scale(pipe, tile.elevation_m)))
            captions.append(build_prompt(caption_parts(p)))
            flipped.append(build_prompt(caption_parts(other_hemisphere_place(p))))
        if len(captions) == 2 * count:
            break
    if len(captions) < 2 * count:
        raise SystemExit(f"only {len(captions) // 2} seasonal pairs among {len(world)} held-out tiles")
    with torch.no_grad():
        latents = torch.cat([pipe.encode(np.stack(rgb[i:i + 16]), np.stack(dem[i:i + 16]))
                             for i in range(0, len(rgb), 16)])
    return latents.float(), captions, flipped


def month_swapped(captions: list[str]) -> list[str]:
    """Each caption with its twin's month."""
    month = re.compile(r"({})$".format("|".join(MONTHS)))
    return [month.sub(month.search(captions[i ^ 1]).group(1), caption) for i, caption in enumerate(captions)]


def biome_swapped(captions: list[str]) -> list[str]:
    return [re.sub(r"image of .*? and ", f"image of {SWAP_BIOME_ELSE if SWAP_BIOME in c else SWAP_BIOME} and ",
                   c, count=1) for c in captions]


def tile_mean_errors(pipe: TerrainPipeline, latents: torch.Tensor, captions: dict[str, list[str]],
                     timestep: int, seed: int) -> dict[str, float]:
    """Mean squared error of the tile-mean image v-prediction per caption set, one noise draw."""
    scheduler = DDIMScheduler.from_config(pipe.components.scheduler_config)
    noise = torch.randn(latents.shape, generator=torch.Generator().manual_seed(seed))
    steps = torch.full((len(latents),), timestep)
    noisy, target = scheduler.add_noise(latents, noise, steps), scheduler.get_velocity(latents, noise, steps)
    errors = {}
    with torch.no_grad():
        for name, prompts in captions.items():
            context = pipe.encode_text(prompts).to(noisy.dtype)
            prediction = pipe.components.unet(noisy, steps, encoder_hidden_states=context).sample
            errors[name] = float(((prediction - target)[:, :4].mean(dim=(2, 3)) ** 2).mean())
    return errors


def padding_share(pipe: TerrainPipeline, seed: int, count: int) -> list[float]:
    """Per prompt pair: how far the padding states, rather than the words, decide the prediction."""
    tokenizer, unet = pipe.components.tokenizer, pipe.components.unet
    shares = []
    with torch.no_grad():
        for index, (a, b) in enumerate(PROMPT_PAIRS[:count]):
            states = pipe.encode_text([a, b])
            ids = tokenizer([a], padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                            return_tensors="pt").input_ids[0]
            end = int((ids == pipe.components.text_encoder.config.eos_token_id).nonzero()[0, 0]) + 1
            mixed = states[:1].clone()
            mixed[:, end:] = states[1:, end:]
            latent_side = pipe.native_size // pipe.vae_scale_factor
            noise = torch.randn((1, 2 * unet.config.in_channels, latent_side, latent_side),
                                generator=torch.Generator().manual_seed(seed + index)).to(states.dtype)
            step = torch.tensor([999])
            out = [unet(noise, step, encoder_hidden_states=c).sample for c in (states[:1], states[1:], mixed)]
            to_a, to_b = float((out[2] - out[0]).norm()), float((out[2] - out[1]).norm())
            shares.append(to_a / (to_a + to_b) if to_a + to_b > 0 else 0.5)
    return shares


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.text_conditioning", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mesa-tiny", help="bundled model name, folder or Hub id")
    parser.add_argument("--pairs", type=int, default=48, help="season twin pairs (default 48)")
    parser.add_argument("--prompts", type=int, default=8, help=f"prompt pairs for the padding test (<= {len(PROMPT_PAIRS)})")
    parser.add_argument("--seed", type=int, default=0, help="synthetic world seed (the recipe's: 0)")
    args = parser.parse_args(argv)
    if args.pairs < 2 or not 1 <= args.prompts <= len(PROMPT_PAIRS):
        parser.error(f"--pairs must be >= 2 and --prompts 1..{len(PROMPT_PAIRS)}")
    torch.manual_seed(0)
    pipe = TerrainPipeline.from_pretrained(args.model)
    shares = padding_share(pipe, args.seed, args.prompts)
    print(f"words or padding ({args.prompts} biome pairs, t = 999): padding share {np.mean(shares):.2f} "
          f"(min {min(shares):.2f}, max {max(shares):.2f}); 1 = the padding states decide, 0 = the words")
    latents, captions, flipped = season_twins(pipe, args.pairs, args.seed)
    image = latents[:, :4].mean(dim=(2, 3))
    room = float(((image[0::2] - image[1::2]) ** 2 / 4).mean())
    sets = {"true": captions, "month swapped": month_swapped(captions), "hemisphere swapped": flipped,
            "biome swapped": biome_swapped(captions), "empty": [""] * len(captions)}
    print(f"season twins ({args.pairs} held-out pairs): tile-mean image error of the v-prediction; "
          f"room if the month were read (t = 999): {room:.3f}")
    print("| t | " + " | ".join(sets) + " |")
    print("|---|" + "---|" * len(sets))
    for timestep in TIMESTEPS:
        errors = tile_mean_errors(pipe, latents, sets, timestep, args.seed)
        print(f"| {timestep} | " + " | ".join(f"{errors[name]:.3f}" for name in sets) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
