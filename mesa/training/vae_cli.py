"""Train or fine-tune the AutoencoderKL on the training data (new domains, the bundled model).

From scratch: `--vae-config FILE.json` (an AutoencoderKL config); fine-tune: `--pretrained DIR`
(a folder with an AutoencoderKL, or a MESA/SD folder with vae/). The result is
`<output-dir>/vae/`, usable as `--set vae_path=...` by `python -m mesa train`.
"""

from __future__ import annotations

import argparse
import logging

from mesa.training.cli import FLAGS as TRAIN_FLAGS
from mesa.training.cli import config_from_args
from mesa.training.config import VaeTrainConfig

FLAGS = {
    "--vae-config": ("vae_config", str, "AutoencoderKL config JSON: train from scratch"),
    "--pretrained": ("pretrained", str, "folder with an AutoencoderKL (or with vae/): fine-tune it"),
    **{flag: TRAIN_FLAGS[flag] for flag in ("--data", "--s2l2a", "--dem", "--s2l1c", "--resolution",
                                             "--batch-size", "--learning-rate", "--max-steps", "--seed",
                                             "--checkpoint-every", "--output-dir")},
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="settings file (.json or .toml); flags override it")
    for flag, (dest, kind, text) in FLAGS.items():
        parser.add_argument(flag, dest=dest, type=kind, default=None, help=text)
    parser.add_argument("--resume", nargs="?", const="latest", default=None, metavar="CHECKPOINT",
                        help="continue from the latest checkpoint in --output-dir (or from CHECKPOINT)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="any other VaeTrainConfig setting, e.g. --set kl_weight=1e-6 (repeatable)")


def run(args: argparse.Namespace) -> int:
    from mesa.training.vae import train_vae

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    result = train_vae(config_from_args(args, VaeTrainConfig, FLAGS))
    where = f"; VAE written to {result.vae_dir}" if result.vae_dir else " (stopped before max_steps)"
    print(f"trained to step {result.step}{where}")
    return 0
