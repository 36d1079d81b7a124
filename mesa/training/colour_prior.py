"""Train a model's colour prior (`mesa.models.colour_prior`) on prepared tiles.

The targets are the tiles' image latent tile means under the model's own frozen VAE (posterior means,
scaled as the UNet sees them); the captions are the UNet trainer's (`PreparedTiles`: parts dropped as in
training, several draws per tile, the empty caption at `caption_dropout`) with their prompt features
(`mesa.captions.places.prompt_features`). The text encoder is the model's, frozen unless
`train_text_encoder` (fine-tuning it at the head's learning rate learnt a fifth of the season that the
frozen one does, docs/mesa_tiny.md v2.4). A share of the terrains (whole season groups) is held out and its likelihood reported:
the prior has to generalise over places, not remember tiles.

    python -m mesa.training.colour_prior --model DIR --tiles DIR --out DIR [--steps N] [--train-text-encoder]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from mesa.data.synthetic.prepared import PreparedTiles
from mesa.errors import UserError
from mesa.captions.places import prompt_feature_count, prompt_features
from mesa.models.colour_prior import ColourPrior, mixture_nll

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ColourPriorTrainConfig:
    model: str  # the model whose VAE, tokenizer and text encoder it starts from
    tiles: str  # prepared tiles (prepare_tiles; season groups adjacent)
    output_dir: str
    seed: int = 0
    steps: int = 3000
    batch_size: int = 256
    learning_rate: float = 1e-3
    caption_draws: int = 8  # captions per tile (parts dropped as the UNet trainer drops them)
    caption_dropout: float = 0.1
    keep_parts: tuple[str, ...] = ()
    held_out_share: float = 0.1
    components: int = 4
    hidden: int = 256
    from_timestep: int = 850
    train_text_encoder: bool = False  # frozen (the model's own): its states are computed once per caption


@torch.no_grad()
def tile_means(vae, rgb: np.ndarray, batch: int = 64) -> torch.Tensor:
    """(N, C) image latent tile means (posterior means, shifted and scaled as the UNet's latents) of
    (N, H, W, 3) colour in [0, 1]."""
    means = []
    for start in range(0, len(rgb), batch):
        pixels = torch.as_tensor(np.asarray(rgb[start:start + batch], np.float32)).permute(0, 3, 1, 2) * 2.0 - 1.0
        latents = vae.encode(pixels.to(vae.device, vae.dtype)).latent_dist.mean.float()
        latents = (latents - (vae.config.shift_factor or 0.0)) * vae.config.scaling_factor
        means.append(latents.mean(dim=(2, 3)).cpu())
    return torch.cat(means)


def cached_tile_means(components, tiles: PreparedTiles, directory: Path) -> torch.Tensor:
    """`tile_means` of the tiles, kept in `directory` beside them for the same VAE weights (encoding
    8,000 tiles takes minutes on a CPU); NumPy arrays only, read without pickle."""
    vae_file = next((components.model_dir / "vae").glob("*.safetensors"))
    key = {"vae_sha256": hashlib.sha256(vae_file.read_bytes()).hexdigest(), "tiles": [int(i) for i in tiles.tiles]}
    array, info = directory / "colour_targets.npy", directory / "colour_targets.json"
    if array.is_file() and info.is_file() and json.loads(info.read_text(encoding="utf-8")) == key:
        return torch.from_numpy(np.load(array, allow_pickle=False))
    logger.info("encoding %d tiles", len(tiles))
    stored = np.asarray(tiles.tiles)
    means = tile_means(components.vae, tiles.rgb[stored] if len(stored) < len(tiles.rgb) else tiles.rgb)
    np.save(array, means.numpy(), allow_pickle=False)
    info.write_text(json.dumps(key), encoding="utf-8")
    return means


def train_colour_prior(config: ColourPriorTrainConfig) -> dict:
    """Train, save to output_dir (the prior's folder) and return the figures (also in metrics.json)."""
    from mesa.pipeline.loading import load_components
    from mesa.pipeline.pipeline import token_ids

    if not 0.0 <= config.held_out_share < 1.0 or not 0.0 <= config.caption_dropout < 1.0:
        raise UserError("held_out_share and caption_dropout must be in [0, 1)")
    if config.steps < 40:
        raise UserError(f"steps must be at least 40 (the learning rate warms up over the first 5 %), got {config.steps}")
    started = time.perf_counter()
    torch.manual_seed(config.seed)
    components = load_components(config.model)
    tiles = PreparedTiles(config.tiles, config.seed, keep_parts=config.keep_parts)
    group = tiles.twins
    targets = cached_tile_means(components, tiles, Path(config.tiles))
    rng = np.random.default_rng([config.seed, 1])
    groups = len(tiles) // group
    held = set(rng.permutation(groups)[:int(round(groups * config.held_out_share))].tolist())
    captions, indices = [], []
    for draw in range(config.caption_draws):
        for index in range(groups * group):
            position = draw * len(tiles) + index
            caption = tiles.caption_at(position)
            if np.random.default_rng([config.seed, position, 3]).random() < config.caption_dropout:
                caption = ""
            captions.append(caption)
            indices.append(index)
    ids = token_ids(components.tokenizer, captions)
    places = torch.from_numpy(np.stack([prompt_features(caption) for caption in captions]))
    indices = torch.as_tensor(indices)
    is_held = torch.as_tensor([int(i) // group in held for i in indices.tolist()])
    train_rows, held_rows = torch.nonzero(~is_held).ravel(), torch.nonzero(is_held).ravel()

    prior = ColourPrior(components.text_encoder.config, targets.shape[1], config.components, config.hidden,
                        config.from_timestep, prompt_feature_count())
    prior.text_encoder.load_state_dict(components.text_encoder.state_dict())
    prior.train()
    if config.train_text_encoder:
        text_of = lambda rows: prior.text_states(ids[rows])  # noqa: E731
    else:
        prior.text_encoder.eval().requires_grad_(False)
        unique, inverse = torch.unique(ids, dim=0, return_inverse=True)
        with torch.no_grad():
            states = torch.cat([prior.text_states(chunk) for chunk in unique.split(1024)])
        text_of = lambda rows: states[inverse[rows]]  # noqa: E731
    trained = [p for p in prior.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=config.learning_rate, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.learning_rate, total_steps=config.steps,
                                                   pct_start=0.05)
    generator = torch.Generator().manual_seed(config.seed)
    history = []
    for step in range(1, config.steps + 1):
        rows = train_rows[torch.randint(len(train_rows), (config.batch_size,), generator=generator)]
        loss = mixture_nll(*prior.mixture(text_of(rows), places[rows]), targets[indices[rows]])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        optimizer.step()
        schedule.step()
        if step % 250 == 0 or step == config.steps:
            history.append({"step": step, "train_nll": loss.item(),
                            "held_out_nll": held_out_nll(prior, text_of, places, targets, indices, held_rows)})
            logger.info("colour prior step %d: %s", step, history[-1])
    prior.eval().requires_grad_(False)
    out = prior.save(config.output_dir)
    figures = {"config": asdict(config), "tiles": len(tiles), "held_out_terrains": len(held), "history": history,
               "seconds": time.perf_counter() - started}
    (out / "metrics.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return figures


@torch.no_grad()
def held_out_nll(prior: ColourPrior, text_of, places: torch.Tensor, targets: torch.Tensor,
                 indices: torch.Tensor, rows: torch.Tensor) -> float | None:
    """Mean NLL per channel of the held-out rows; `text_of(rows)` gives their text states."""
    if not len(rows):
        return None
    was_training = prior.training
    prior.eval()
    values = [float(mixture_nll(*prior.mixture(text_of(chunk), places[chunk]), targets[indices[chunk]])) * len(chunk)
              for chunk in rows.split(1024)]
    prior.train(was_training)
    return sum(values) / len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mesa.training.colour_prior", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--tiles", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--steps", type=int, default=ColourPriorTrainConfig.steps)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep-parts", nargs="*", default=[])
    parser.add_argument("--train-text-encoder", action="store_true",
                        help="fine-tune the prior's copy of the text encoder (default: the model's, frozen)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    figures = train_colour_prior(ColourPriorTrainConfig(args.model, args.tiles, args.out, args.seed, args.steps,
                                                        keep_parts=tuple(args.keep_parts),
                                                        train_text_encoder=args.train_text_encoder))
    print(json.dumps(figures["history"][-1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
