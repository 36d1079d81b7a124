"""`--model auto` for the app and the command line: which model runs, on which device, and why.

With a CUDA or MPS GPU: the published MESA weights (Hub cache, or a download). On a CPU-only
machine, or offline without cached weights: the bundled offline model, because the full model
takes tens of minutes per terrain on a laptop CPU. Nothing found: no pipeline. The result is a
`ModelChoice`; the app and the command line each put it into words.

`fast=True` (`--fast`) loads the chosen model's few-step student instead (`python -m mesa distill`):
the bundled `<name>-fast` of a bundled model (mesa-tiny -> mesa-tiny-fast), the `fast/` folder
inside a model folder, or a folder that is itself a student (its sampling defaults name a few-step
sampler). Its `sampling_defaults.json` makes it sample in a few steps without guidance.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch

from mesa.devices import pick_device
from mesa.errors import UserError
from mesa.pipeline import TerrainPipeline
from mesa.pipeline.loading import BUNDLED_MODELS_DIR, DEFAULT_REPO_ID, resolve_model_dir
from mesa.pipeline.pipeline import SamplingDefaults
from mesa.pipeline.samplers import FEW_STEP_SAMPLERS

logger = logging.getLogger(__name__)

BUNDLED_MODEL = "mesa-tiny"
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
FETCH_COMMAND = f"hf download {DEFAULT_REPO_ID}"
FAST_SUFFIX = "-fast"  # the bundled student of a bundled model
FAST_FOLDER = "fast"  # the student inside a model folder
NO_GPU = "this machine has no GPU (the full MESA model takes tens of minutes per terrain on a laptop CPU)"


@dataclass(frozen=True)
class ModelChoice:
    """Which model runs, where, and why; each front end words it (the app's banner, the CLI's line).

    Attributes:
        pipe: the loaded pipeline, None when no model could be found.
        kind: "published" (NewtNewt/MESA), "bundled" (the offline demonstration model), "custom"
            (a folder or repo the user named) or "none".
        model_id: the model's id or folder (None for "none").
        device: where it runs ("cpu", "cuda", "mps").
        reason: why this model was chosen, in plain words (empty when it was asked for by name).
        license: the weights' licence, when known.
    """

    pipe: TerrainPipeline | None
    kind: str
    model_id: str | None
    device: str
    reason: str = ""
    license: str | None = None


def pick_dtype(requested: str, device: str) -> torch.dtype:
    """"auto" -> float16 on a GPU, float32 on the CPU."""
    if requested == "auto":
        return torch.float16 if device in ("cuda", "mps") else torch.float32
    try:
        return DTYPES[requested]
    except KeyError:
        raise UserError(f"unknown dtype {requested!r}; choose auto, {', '.join(DTYPES)}") from None


def bundled_available() -> bool:
    return (BUNDLED_MODELS_DIR / BUNDLED_MODEL / "model_index.json").is_file()


def fast_variant(model: str) -> str:
    """The few-step student of `model` (see the module docstring); UserError when it has none."""
    if (BUNDLED_MODELS_DIR / f"{model}{FAST_SUFFIX}").is_dir():
        return f"{model}{FAST_SUFFIX}"
    if (BUNDLED_MODELS_DIR / model).is_dir() or Path(model).expanduser().is_dir():
        model_dir, _ = resolve_model_dir(model)
        if (model_dir / FAST_FOLDER).is_dir():
            return str(model_dir / FAST_FOLDER)
        if SamplingDefaults.read(model_dir).sampler in FEW_STEP_SAMPLERS:
            return model
    raise UserError(f"{model} has no fast (few-step) student: give a folder with a {FAST_FOLDER}/ student, a "
                    f"student folder, or distil one with: python -m mesa distill --teacher {model} ... (docs/fast.md)")


def load_model(model: str, device: str = "auto", dtype: str = "auto", loader=TerrainPipeline.from_pretrained,
               has_bundled: bool | None = None, fast: bool = False) -> ModelChoice:
    """Load the requested model; "auto" chooses as described in docs/app.md.

    An explicit model that cannot be loaded raises UserError; with "auto" the caller still gets a
    choice (kind "none" when nothing could be found) whose reason says what is missing. `fast`
    loads the chosen model's few-step student (`fast_variant`).
    """
    device = pick_device(device)
    torch_dtype = pick_dtype(dtype, device)
    has_bundled = bundled_available() if has_bundled is None else has_bundled
    if fast:
        loader = partial(load_fast, loader)
    if model == BUNDLED_MODEL:
        return _choice(loader(model, device, torch_dtype), "bundled", device)
    if model != "auto":
        return _choice(loader(model, device, torch_dtype), "custom", device)
    if device in ("cuda", "mps"):
        try:
            return _choice(loader(DEFAULT_REPO_ID, device, torch_dtype), "published", device)
        except UserError as error:
            logger.warning("published weights unavailable: %s", error)
            reason = f"the published weights could not be loaded ({error})"
    else:
        reason = NO_GPU
    if has_bundled:
        return _choice(loader(BUNDLED_MODEL, device, torch_dtype), "bundled", device, reason)
    return ModelChoice(None, "none", None, device, f"the bundled offline model {BUNDLED_MODEL} is not installed, and {reason}")


def load_fast(loader, model: str, device: str, dtype: torch.dtype) -> TerrainPipeline:
    """`loader` on the few-step student of `model` (a Hub repo id must name its student itself)."""
    return loader(fast_variant(model), device, dtype)


def _choice(pipe: TerrainPipeline, kind: str, device: str, reason: str = "") -> ModelChoice:
    return ModelChoice(pipe, kind, pipe.model_id, device, reason, pipe.components.license)
