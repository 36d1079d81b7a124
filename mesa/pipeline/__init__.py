"""Sampling: load a MESA-layout checkpoint and turn prompts and seeds into terrains."""

from mesa.pipeline.pipeline import GenerationCancelled, StepProgress, TerrainPipeline

__all__ = ["GenerationCancelled", "StepProgress", "TerrainPipeline"]
