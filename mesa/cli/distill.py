"""Distil a MESA model into a few-step student (latent consistency distillation, see
docs/fast.md): a LoRA on the teacher (a small file) or a full UNet, sampled with the `lcm`
sampler in 1-8 steps without classifier-free guidance (the teacher's is folded in).

Settings come from the dataclass defaults, then `--config FILE`, then the flags below and
`--set KEY=VALUE` for any other DistillConfig field. Checkpoints, `--resume` and metrics.jsonl work
as for `train`; launch on several GPUs with `accelerate launch -m mesa distill ...`.

    python -m mesa distill --teacher mesa-tiny --data synthetic --resolution 128 --output-dir runs/fast
"""

from __future__ import annotations

import argparse
import logging

from mesa.cli.train import RUN_FLAGS
from mesa.cli.train import add_arguments as add_training_arguments
from mesa.cli.train import config_from_args

# flag -> (DistillConfig field, type, help)
FLAGS = {
    "--teacher": ("teacher", str, "the model to distil: a MESA-layout folder, a bundled name or a Hub repo id"),
    "--student": ("student", str, "lora (adapters on the teacher, a small file; default) or full (every UNet weight)"),
    "--guidance": ("guidance", float, "teacher guidance folded into the student (default: the teacher's)"),
    "--steps": ("sampling_steps", int, "the student's default sampling steps, 1-8 (default 4)"),
    **RUN_FLAGS,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_training_arguments(parser, FLAGS, "DistillConfig")


def run(args: argparse.Namespace) -> int:
    from mesa.training.distill import distill
    from mesa.training.distill_config import DistillConfig

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    result = distill(config_from_args(args, DistillConfig, FLAGS))
    where = f"; student written to {result.model_dir}" if result.model_dir else " (stopped before max_steps)"
    print(f"distilled to step {result.step}{where}")
    return 0
