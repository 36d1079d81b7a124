"""Worlds larger than a tile: seamless text-driven terrain of any size, extensions, and engine tile sets.

    world = generate_world(pipe, prompt_or_prompt_map, seed=7, tiles=(3, 2))
    world = extend_world(pipe, world_or_terrain, "east")
    export_world(world, "out/", engine="unreal")
"""

from mesa.world.extend import DIRECTIONS, extend_world
from mesa.world.generate import generate_world
from mesa.world.layout import Window, WorldLayout
from mesa.world.plan import WorldPlan, plan_world
from mesa.world.progress import WorldProgress
from mesa.world.prompts import PromptMap, make_prompt_map, prompt_grid_from_parts
from mesa.world.world import CellProvenance, World, WorldSettings

__all__ = [
    "DIRECTIONS",
    "CellProvenance",
    "PromptMap",
    "Window",
    "World",
    "WorldLayout",
    "WorldPlan",
    "WorldProgress",
    "WorldSettings",
    "extend_world",
    "generate_world",
    "make_prompt_map",
    "plan_world",
    "prompt_grid_from_parts",
]
