"""Finishing for engines: erosion, water, masks and material weight maps, and the files engines import.

Everything works on the terrain's own grid (nothing is resampled until a writer sizes a file for an
engine), so the colour image stays co-registered. See docs/finishing.md.
"""

from mesa.finishing.erosion import EROSION_KINDS, erode, erosion_settings
from mesa.finishing.erosion_result import ErosionCancelled, ErosionResult
from mesa.finishing.finish import FinishFiles, FinishOptions, FinishResult, finish_terrain, write_finish
from mesa.finishing.hydraulic import HydraulicErosion, hydraulic_erosion
from mesa.finishing.memory import estimate_finish_memory
from mesa.finishing.masks import MASKS, compute_masks, parse_masks, quantise_mask
from mesa.finishing.materials import MATERIAL_LAYERS, MaterialWeights, material_weights, quantise_weights
from mesa.finishing.thermal import ThermalErosion, thermal_erosion
from mesa.finishing.water import WaterMaps, analyse_water, count_closed_depressions
from mesa.finishing.writers import LAYER_WRITERS, FinishedFile, LayerFiles, write_masks

__all__ = [
    "EROSION_KINDS",
    "LAYER_WRITERS",
    "MASKS",
    "MATERIAL_LAYERS",
    "ErosionCancelled",
    "ErosionResult",
    "FinishFiles",
    "FinishOptions",
    "FinishResult",
    "FinishedFile",
    "HydraulicErosion",
    "LayerFiles",
    "MaterialWeights",
    "ThermalErosion",
    "WaterMaps",
    "analyse_water",
    "compute_masks",
    "count_closed_depressions",
    "erode",
    "erosion_settings",
    "estimate_finish_memory",
    "finish_terrain",
    "hydraulic_erosion",
    "material_weights",
    "parse_masks",
    "quantise_mask",
    "quantise_weights",
    "thermal_erosion",
    "write_finish",
    "write_masks",
]
