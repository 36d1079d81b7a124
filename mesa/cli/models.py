"""The --model/--device/--dtype options every sampling command shares, and the one line that says
which model runs and why."""

from __future__ import annotations

import argparse

from mesa.errors import UserError


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    model = parser.add_argument_group("model")
    model.add_argument("--model", default="auto", help="auto, mesa-tiny, a MESA-layout folder or a Hub repo id")
    model.add_argument("--fast", action="store_true", help="the model's few-step student (a bundled <name>-fast, "
                       "a model folder's fast/ student, or a student folder): 4 steps, no guidance; see docs/fast.md")
    model.add_argument("--device", default="auto", help="auto, cpu, cuda or mps")
    model.add_argument("--dtype", default="auto", help="auto (float16 on a GPU, float32 on the CPU), float32, bfloat16 "
                       "or float16")


def describe_choice(choice) -> str:
    """One plain line: the model, the device and why (a `ModelChoice`)."""
    from mesa.pipeline.model_choice import BUNDLED_MODEL, FETCH_COMMAND

    if choice.kind == "none":
        return f"no model found: {choice.reason}; give --model PATH, or fetch the published weights: {FETCH_COMMAND}"
    line = f"model {choice.model_id} on {choice.device}"
    if choice.kind == "bundled":
        line += (f" ({BUNDLED_MODEL} is a small demonstration model trained on synthetic terrain, not on Earth "
                 f"observation data; for the published weights: {FETCH_COMMAND})")
    if choice.reason:
        line += f", because {choice.reason}"
    return line + (f"; weights licence: {choice.license}" if choice.license else "")


def load_chosen_model(args: argparse.Namespace, device: str | None = None, announce: bool = True):
    """The pipeline the --model/--device/--dtype options choose (UserError when there is none)."""
    from mesa.pipeline.model_choice import load_model

    choice = load_model(args.model, device or args.device, args.dtype, fast=getattr(args, "fast", False))
    if choice.pipe is None:
        raise UserError(describe_choice(choice))
    if announce:
        print(describe_choice(choice))
    return choice.pipe
