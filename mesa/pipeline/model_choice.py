"""`--model auto`: which checkpoint and device to use, and a sentence that says why.

With a CUDA or MPS GPU: the published MESA weights (Hub cache, or a download). On a CPU-only
machine, or offline without cached weights: the bundled offline model, because the full model
takes tens of minutes per terrain on a laptop CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mesa.errors import UserError
from mesa.pipeline.loading import BUNDLED_MODELS_DIR, DEFAULT_REPO_ID, resolve_model_dir

BUNDLED_MODEL = "mesa-tiny"
HOW_TO_USE_REAL_WEIGHTS = (f"to use the published MESA weights, run `hf download {DEFAULT_REPO_ID}` once "
                           f"and pass --model {DEFAULT_REPO_ID} (a GPU is strongly recommended)")


@dataclass(frozen=True)
class ModelChoice:
    """The checkpoint to load (folder, bundled name or repo id) and why it was chosen."""

    model: str
    device: str
    reason: str
    is_bundled: bool


def pick_device(requested: str = "auto") -> str:
    """"auto" -> cuda, else mps, else cpu; an explicit device is checked for availability."""
    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if torch.backends.mps.is_available() else "cpu"
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if requested not in available:
        raise UserError(f"unknown device {requested!r}; choose auto, cpu, cuda or mps")
    if not available[requested]:
        raise UserError(f"device {requested!r} is not available on this machine; use --device cpu")
    return requested


def choose_model(requested: str = "auto", device: str = "auto") -> ModelChoice:
    """Resolve `--model` and `--device`; "auto" prefers the published weights on a GPU."""
    device = pick_device(device)
    bundled_available = (BUNDLED_MODELS_DIR / BUNDLED_MODEL).is_dir()
    if requested != "auto":
        return ModelChoice(requested, device, f"{requested} was asked for", requested == BUNDLED_MODEL)
    if device == "cpu":
        reason = ("CPU-only machine: the bundled demonstration model runs instead of MESA, which takes tens "
                  "of minutes per terrain on a CPU; " + HOW_TO_USE_REAL_WEIGHTS)
    else:
        try:
            resolve_model_dir(DEFAULT_REPO_ID)
            return ModelChoice(DEFAULT_REPO_ID, device, f"GPU ({device}) found: the published MESA weights", False)
        except UserError as error:
            reason = f"the published weights could not be loaded ({error}); " + HOW_TO_USE_REAL_WEIGHTS
    if not bundled_available:
        raise UserError(f"no model found: the bundled model {BUNDLED_MODEL} is missing from {BUNDLED_MODELS_DIR} "
                        f"and {reason.split(';')[0]}; pass --model PATH to a MESA-layout folder")
    return ModelChoice(BUNDLED_MODEL, device, reason, True)
