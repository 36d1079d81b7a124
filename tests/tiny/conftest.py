"""The bundled mesa-tiny model, loaded once, and the sampling settings its quality table chose."""

from __future__ import annotations


import pytest

from mesa.pipeline.loading import BUNDLED_MODELS_DIR
from mesa.pipeline.pipeline import SamplingDefaults

MODEL_DIR = BUNDLED_MODELS_DIR / "mesa-tiny"
SEEDS = list(range(6))  # the minimum: 6 seeds per prompt


@pytest.fixture(scope="session")
def tiny_model_pipeline():
    """TerrainPipeline over the bundled model (read-only: do not mutate it in tests)."""
    from mesa.pipeline import TerrainPipeline

    if not (MODEL_DIR / "model_index.json").is_file():
        pytest.fail(f"bundled model missing: {MODEL_DIR}; train it with: bash scripts/train_mesa_tiny.sh")
    return TerrainPipeline.from_pretrained("mesa-tiny")


@pytest.fixture(scope="session")
def default_settings() -> SamplingDefaults:
    """The sampler and steps benchmarks/quality_mesa_tiny.py chose (sampling_defaults.json)."""
    return SamplingDefaults.read(MODEL_DIR)


@pytest.fixture(scope="session")
def prompt_figures_at_default(tiny_model_pipeline, default_settings):
    """Per-prompt figures over SEEDS at the default settings (computed once for every test)."""
    from recipes.mesa_tiny.quality import prompt_figures

    return prompt_figures(tiny_model_pipeline, SEEDS, default_settings)
