"""Train or fine-tune the AutoencoderKL on the training data (new domains, the bundled model).

From scratch: `--vae-config FILE.json` (an AutoencoderKL config); fine-tune: `--pretrained DIR`
(a folder with an AutoencoderKL, or a MESA/SD folder with vae/). The result is
`<output-dir>/vae/`, usable as `--set vae_path=...` by `python -m mesa train`.
"""

from __future__ import annotations

import argparse
import logging

from mesa.cli.train import RUN_FLAGS
from mesa.cli.train import add_arguments as add_train_arguments
from mesa.cli.train import config_from_args
from mesa.training.config import VaeTrainConfig

FLAGS = {
    "--vae-config": ("vae_config", str, "AutoencoderKL config JSON: train from scratch"),
    "--pretrained": ("pretrained", str, "folder with an AutoencoderKL (or with vae/): fine-tune it"),
    **RUN_FLAGS,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_train_arguments(parser, FLAGS, "VaeTrainConfig")


def run(args: argparse.Namespace) -> int:
    from mesa.training.vae import train_vae

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    result = train_vae(config_from_args(args, VaeTrainConfig, FLAGS))
    where = f"; VAE written to {result.vae_dir}" if result.vae_dir else " (stopped before max_steps)"
    print(f"trained to step {result.step}{where}")
    return 0
