"""The banner above the app: which model runs and why, in Markdown (from a `ModelChoice`)."""

from __future__ import annotations

from mesa.pipeline.loading import DEFAULT_REPO_ID
from mesa.pipeline.model_choice import BUNDLED_MODEL, FETCH_COMMAND, ModelChoice

REAL_WEIGHTS_HINT = (f"For the published weights, fetch them once with `{FETCH_COMMAND}`, then run "
                     f"`python app.py --model {DEFAULT_REPO_ID} --device cuda` on a machine with an NVIDIA GPU "
                     "(or `--device mps` on Apple silicon).")


def banner(choice: ModelChoice) -> str:
    """Markdown for the model banner."""
    if choice.kind == "none":
        return (f"**No model found.** {choice.reason[0].upper()}{choice.reason[1:]}. Start the app with "
                f"`python app.py --model PATH` (a MESA-layout folder). {REAL_WEIGHTS_HINT}")
    if choice.kind == "bundled":
        why = choice.reason or "it was asked for"
        return (f"Model: **{BUNDLED_MODEL}**, a small demonstration model trained on synthetic terrain, not on Earth "
                f"observation data, running on {choice.device} because {why}. Expect rougher terrains than the "
                f"paper's. {REAL_WEIGHTS_HINT}")
    if choice.kind == "published":
        return (f"Model: **{DEFAULT_REPO_ID}** (published MESA weights, licence: {choice.license}) "
                f"on {choice.device}.")
    return f"Model: **{choice.model_id}** on {choice.device} (weights licence: {choice.license})."
