"""Sampling: load a MESA-layout checkpoint and turn prompts and seeds into terrains.

`TerrainPipeline` holds the components; `mesa.pipeline.sampling` holds the one denoising loop
(`denoise`) and its hook types, which worlds, spatial control and distilled samplers reuse.
"""

from mesa.pipeline.pipeline import SamplingDefaults, TerrainPipeline
from mesa.pipeline.request import SamplingRequest
from mesa.pipeline.sampling import (GenerationCancelled, Predictor, Schedule, StepHook, StepProgress, StepState,
                                    TextContext, denoise, make_schedule, start_latents)

__all__ = [
    "GenerationCancelled",
    "Predictor",
    "SamplingDefaults",
    "SamplingRequest",
    "Schedule",
    "StepHook",
    "StepProgress",
    "StepState",
    "TerrainPipeline",
    "TextContext",
    "denoise",
    "make_schedule",
    "start_latents",
]
