"""A `Terrain` as a world of its tiles, so that any terrain (one seed's result, an imported pair of
colour and elevation) can be extended like a world."""

from __future__ import annotations

import math

import numpy as np

from mesa.errors import UserError
from mesa.pipeline.elevation import ElevationScale
from mesa.terrain import Terrain
from mesa.world.elevation import fit_scale
from mesa.world.layout import WorldLayout
from mesa.world.noise import cell_seed
from mesa.world.plan import DETERMINISTIC_SAMPLERS
from mesa.world.prompts import make_prompt_map
from mesa.world.world import CellProvenance, World, WorldSettings

DEFAULT_WINDOWS_PER_TILE = 2  # overlap 0.5


def world_from_terrain(pipe, terrain: Terrain, sampler: str | None = None) -> World:
    """A world whose cells are the terrain's native tiles (its sides must be whole tiles, its
    spacing the model's). Its latents are the VAE encoding of its colour and relative elevation;
    its metres map is fitted to its own (dem, elevation_m) pairs (`fit_scale`)."""
    tile = pipe.native_size
    height, width = terrain.dem.shape
    if height % tile or width % tile:
        raise UserError(f"a terrain to extend must be whole tiles of {tile} px on each side, got {width} x {height} px")
    if not math.isclose(terrain.meters_per_pixel, pipe.meters_per_pixel):
        raise UserError(f"the terrain has {terrain.meters_per_pixel:g} m/px but the model makes "
                        f"{pipe.meters_per_pixel:g} m/px; extend it with the model that made it")
    s = terrain.settings
    if sampler is None and s.sampler not in DETERMINISTIC_SAMPLERS:
        raise UserError(f"the terrain was sampled with {s.sampler!r}; pass sampler= one of "
                        f"{', '.join(DETERMINISTIC_SAMPLERS)} to extend it")
    layout = WorldLayout(width // tile, height // tile, tile // pipe.vae_scale_factor, pipe.vae_scale_factor,
                         DEFAULT_WINDOWS_PER_TILE)
    latents = pipe.encode(terrain.rgb[None] / 255.0, terrain.dem[None])[0].float().cpu().numpy()
    prompt_map = make_prompt_map(s.prompt, layout.latent_shape)
    scale, rms_m = fit_scale(terrain.dem, terrain.elevation_m, ElevationScale(s.base_m, s.relief_m, "terrain settings"))
    settings = WorldSettings(terrain.seed, s.steps, s.guidance, s.sampler, s.negative_prompt, layout.overlap,
                             4, None, None, s.model_id or pipe.model_id, pipe.elevation_latent)
    cells = tuple(CellProvenance(column, row, cell_seed(terrain.seed, column, row), {s.prompt: 1.0}, "terrain", 0)
                  for row in range(layout.rows) for column in range(layout.columns))
    return World(terrain.rgb, terrain.elevation_m.astype(np.float32), terrain.dem.astype(np.float32),
                 terrain.meters_per_pixel, layout, (0, 0), prompt_map, (scale,), latents, cells, settings,
                 f"terrain's own metres: elevation_m = {scale.base_m:.3f} + dem * {scale.relief_m:.3f} "
                 f"(least squares, RMS {rms_m:.3g} m)",
                 (f"terrain: seed {terrain.seed}, {width} x {height} px, encoded by the VAE",))
