"""`--model auto` for the app and the command line: which model runs, on which device, and why.

With a CUDA or MPS GPU: the published MESA weights (Hub cache, or a download). On a CPU-only
machine, or offline without cached weights: the bundled offline model, because the full model
takes tens of minutes per terrain on a laptop CPU. Nothing found: no pipeline, and a banner that
says how to get one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch

from mesa.errors import UserError
from mesa.pipeline import TerrainPipeline
from mesa.pipeline.loading import BUNDLED_MODELS_DIR, DEFAULT_REPO_ID

logger = logging.getLogger(__name__)

BUNDLED_MODEL = "mesa-tiny"
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
REAL_WEIGHTS_HINT = (f"For the published weights, fetch them once with `hf download {DEFAULT_REPO_ID}`, then run "
                     f"`python app.py --model {DEFAULT_REPO_ID} --device cuda` on a machine with an NVIDIA GPU "
                     "(or `--device mps` on Apple silicon).")


@dataclass(frozen=True)
class LoadedModel:
    """The pipeline (None when no model could be found) and the banner shown above the app."""

    pipe: TerrainPipeline | None
    banner: str


def pick_device(requested: str) -> str:
    """"auto" -> cuda, then mps, then cpu; otherwise the requested device."""
    if requested != "auto":
        available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
        if requested not in available:
            raise UserError(f"unknown device {requested!r}; choose auto, cpu, cuda or mps")
        if not available[requested]:
            raise UserError(f"device {requested!r} is not available on this machine; use --device cpu")
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


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


def load_model(model: str, device: str = "auto", dtype: str = "auto", loader=TerrainPipeline.from_pretrained,
               has_bundled: bool | None = None) -> LoadedModel:
    """Load the requested model; "auto" chooses as described in docs/app.md.

    An explicit model that cannot be loaded raises UserError; with "auto" the app still starts,
    with a banner that says what is missing and how to get it.
    """
    device = pick_device(device)
    torch_dtype = pick_dtype(dtype, device)
    has_bundled = bundled_available() if has_bundled is None else has_bundled
    if model == BUNDLED_MODEL:
        return LoadedModel(loader(model, device, torch_dtype), _bundled_banner(device, "it was asked for"))
    if model != "auto":
        pipe = loader(model, device, torch_dtype)
        return LoadedModel(pipe, f"Model: **{pipe.model_id}** on {device} (weights licence: {pipe.components.license}).")
    why = ""
    if device in ("cuda", "mps"):
        try:
            pipe = loader(DEFAULT_REPO_ID, device, torch_dtype)
            return LoadedModel(pipe, f"Model: **{DEFAULT_REPO_ID}** (published MESA weights, licence: "
                                     f"{pipe.components.license}) on {device}.")
        except UserError as error:
            logger.warning("published weights unavailable: %s", error)
            why = f"the published weights could not be loaded ({error})"
    else:
        why = "this machine has no GPU (the full MESA model takes tens of minutes per terrain on a laptop CPU)"
    if has_bundled:
        return LoadedModel(loader(BUNDLED_MODEL, device, torch_dtype), _bundled_banner(device, why))
    return LoadedModel(None, f"**No model found.** The bundled offline model `{BUNDLED_MODEL}` is not installed, "
                             f"and {why}. Start the app with `python app.py --model PATH` (a MESA-layout folder). "
                             f"{REAL_WEIGHTS_HINT}")


def _bundled_banner(device: str, why: str) -> str:
    return (f"Model: **{BUNDLED_MODEL}**, a small demonstration model trained on synthetic terrain, not on Earth "
            f"observation data, running on {device} because {why}. Expect rougher terrains than the paper's. "
            f"{REAL_WEIGHTS_HINT}")
