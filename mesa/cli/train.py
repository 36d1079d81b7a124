"""Train the MESA UNet on Major TOM (the default), synthetic terrain or prepared synthetic tiles
(see docs/training.md).

Settings come from the dataclass defaults, then `--config FILE` (.json or .toml), then the flags
below and `--set KEY=VALUE` for any other TrainConfig field. Launch on several GPUs or nodes with
`accelerate launch -m mesa train ...`.
"""

from __future__ import annotations

import argparse
import logging

from mesa.training.config import DATA_SOURCES, TrainConfig, build_config, parse_override, read_config_file

# flag -> (TrainConfig field, type, help)
FLAGS = {
    "--pretrained": ("pretrained", str, "start from published MESA weights: a MESA-layout folder or Hub repo id"),
    "--init-from-sd": ("init_from_sd", str, "start from Stable Diffusion 2.1: a diffusers folder or Hub repo id"),
    "--init-from-config": ("init_from_config", str,
                           "start from scratch: a UNet config JSON (with --set components_from=DIR) or a folder "
                           "with unet/config.json, tokenizer/, text_encoder/ and vae/"),
    "--data": ("data", str, f"data source: {' | '.join(DATA_SOURCES)}"),
    "--data-dir": ("data_dir", str, "folder of prepared synthetic tiles (--data prepared)"),
    "--s2l2a": ("s2l2a", str, "Major TOM Core-S2L2A: local copy or Hub dataset id"),
    "--dem": ("dem", str, "Major TOM Core-DEM: local copy or Hub dataset id"),
    "--s2l1c": ("s2l1c", str, "Major TOM Core-S2L1C for shadow correction (optional)"),
    "--ecoregions": ("ecoregions", str, "RESOLVE Ecoregions 2017 GeoJSON for biome captions (optional)"),
    "--resolution": ("resolution", int, "crop size in pixels (multiple of 8)"),
    "--batch-size": ("batch_size", int, "samples per device per micro-batch"),
    "--learning-rate": ("learning_rate", float, "AdamW learning rate (constant by default)"),
    "--max-steps": ("max_steps", int, "optimizer steps"),
    "--seed": ("seed", int, "seed for data order, noise and fresh weights"),
    "--checkpoint-every": ("checkpoint_every", int, "steps between checkpoints"),
    "--output-dir": ("output_dir", str, "run folder: checkpoints/, metrics.jsonl, validation/, model/"),
}
RUN_FLAGS = {flag: FLAGS[flag] for flag in ("--data", "--data-dir", "--s2l2a", "--dem", "--s2l1c", "--resolution",
                                            "--batch-size", "--learning-rate", "--max-steps", "--seed",
                                            "--checkpoint-every", "--output-dir")}
"""The data and run flags every trainer shares (train-vae and distill add their own model flags)."""


def add_arguments(parser: argparse.ArgumentParser, flags: dict = FLAGS, config_name: str = "TrainConfig") -> None:
    """The flags, plus --config, --resume and --set (shared with `train-vae`)."""
    parser.add_argument("--config", help="settings file (.json or .toml); flags override it")
    for flag, (dest, kind, text) in flags.items():
        parser.add_argument(flag, dest=dest, type=kind, default=None, help=text)
    parser.add_argument("--resume", nargs="?", const="latest", default=None, metavar="CHECKPOINT",
                        help="continue from the latest checkpoint in --output-dir (or from CHECKPOINT)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help=f"any other {config_name} setting, e.g. --set mixed_precision=bf16 (repeatable)")


def config_from_args(args: argparse.Namespace, cls=TrainConfig, flags=FLAGS):
    """The typed config: defaults < --config file < --set < named flags."""
    file_values = read_config_file(args.config) if args.config else {}
    overrides = dict(parse_override(text) for text in args.overrides)
    named = {dest: getattr(args, dest) for dest, *_ in flags.values()} | {"resume": args.resume}
    overrides.update({key: value for key, value in named.items() if value is not None})
    return build_config(cls, file_values, overrides)


def run(args: argparse.Namespace) -> int:
    from mesa.training.train import train

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    result = train(config_from_args(args))
    where = f"; model written to {result.model_dir}" if result.model_dir else " (stopped before max_steps)"
    print(f"trained to step {result.step}{where}")
    return 0
