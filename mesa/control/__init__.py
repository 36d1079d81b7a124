"""Spatial control: texture a heightmap, follow a guide or sketch, repaint a region.

Functions over a `TerrainPipeline` (the pipeline never imports this package); each returns one
`ControlledTerrain` per seed - a `Terrain` with a `ControlSettings` record - so results go to the
same gallery, history, previews and exports as generated terrains. Every mode runs the pipeline's
one sampling loop with step hooks (`mesa.control.hooks`) and takes `callback` (per-step progress)
and `cancel` (a `threading.Event`) like the pipeline.

    texture_heightmap(pipe, elevation_m, meters_per_pixel, prompt, seeds)   colour for your map
    follow_guide(pipe, guide, strength, prompt, seeds)                       elevation follows a guide
    repaint(pipe, terrain, mask, prompt, seeds)                              regenerate a region
"""

from mesa.control.follow import GUIDE_SCALE, follow_guide
from mesa.control.guide import Guide, guide_from_heightmap
from mesa.control.repaint import check_mask, repaint
from mesa.control.result import ControlledTerrain, ControlSettings
from mesa.control.sketch import guide_from_sketch
from mesa.control.texture import texture_heightmap

__all__ = [
    "GUIDE_SCALE",
    "ControlSettings",
    "ControlledTerrain",
    "Guide",
    "check_mask",
    "follow_guide",
    "guide_from_heightmap",
    "guide_from_sketch",
    "repaint",
    "texture_heightmap",
]
