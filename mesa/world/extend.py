"""`extend_world`: grow a world (or one terrain) by a row or column of tiles in any direction.

The existing part is held at every step's noise level (`HoldKnown`, its own latents: the world's
clean canvas, or the VAE encoding of a terrain), and only the windows that touch the new strip
are predicted, so the new tiles are denoised in context and continue the old ones. The final
arrays keep every existing pixel bit for bit. Decoding the held latents does not give back the
existing pixels exactly (a terrain's VAE round trip, other decode tiles), so the decoded new strip
is shifted by the residual measured on the last existing row or column, fading to nothing over
half a tile: the new part starts exactly where the old one ends.

New cells take their noise from (seed, cell position) in world cell coordinates, which an extension
to the west or north makes negative: a world extended east is started from the same noise as the
larger world generated at once.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch

from mesa.errors import UserError
from mesa.limits import check_memory
from mesa.pipeline import denoise, make_schedule, start_latents
from mesa.pipeline.elevation import ElevationScale
from mesa.terrain import Terrain
from mesa.world.decode import decode_canvas
from mesa.world.elevation import prompt_scales, to_metres
from mesa.world.fusion import HoldKnown, WindowFusion, window_contexts
from mesa.world.layout import WorldLayout
from mesa.world.noise import canvas_noise, cell_seed
from mesa.world.plan import check_sampler_for_worlds, world_bytes
from mesa.world.progress import ProgressTracker, WorldProgress
from mesa.world.prompts import PromptMap, pad_map
from mesa.world.terrain_source import world_from_terrain
from mesa.world.world import CellProvenance, World, WorldSettings

SLOPE_LINES = 4
"""Existing lines whose mean step the first new line continues."""
FADE_FRACTION = 4
"""The boundary correction fades out over tile_px / FADE_FRACTION pixels."""
SMOOTH_FRACTION = 32
"""The boundary correction is smoothed along the boundary with sigma = tile_px / SMOOTH_FRACTION."""
DIRECTIONS = {"north": (0, -1), "south": (0, 1), "west": (-1, 0), "east": (1, 0)}


@torch.no_grad()
def extend_world(pipe, source: World | Terrain, direction: str, prompt: str | None = None,
                 steps: int | None = None, guidance: float | None = None, sampler: str | None = None,
                 window_batch: int | None = None, callback: Callable[[WorldProgress], None] | None = None,
                 cancel: threading.Event | None = None) -> World:
    """`source` grown by one row or column of tiles on `direction` ("north", "south", "east", "west").

    Args:
        pipe: the pipeline that made the world (same tile size, spacing and latent channels).
        source: a `World`, or a `Terrain` whose sides are whole tiles (it becomes a world first,
            with its elevation map fitted by `mesa.world.elevation.fit_scale`).
        prompt: the new tiles' prompt; None continues the prompts along the edge outwards.
        steps, guidance, sampler, window_batch: default to the source's settings.
        callback, cancel: as for `generate_world`.
    """
    if direction not in DIRECTIONS:
        raise UserError(f"unknown direction {direction!r}; choose one of {', '.join(DIRECTIONS)}")
    world = source if isinstance(source, World) else world_from_terrain(pipe, source, sampler)
    check_compatible(pipe, world)
    world = in_model_latent(pipe, world)
    settings = extension_settings(pipe, world, prompt, steps, guidance, sampler, window_batch)
    growth = plan_growth(pipe, world, direction, prompt, settings)
    latents, decoded = denoise_growth(pipe, world, growth, settings, callback, cancel)
    return compose(world, growth, settings, latents, decoded)


@dataclass(frozen=True)
class Growth:
    """The grown canvas: its layout, how the old one sits in it, and its prompts.

    Attributes:
        pad: ((north, south), (west, east)) latent pixels added around the old canvas.
        known_latent: (h, w) bool, True on the old canvas's latent pixels.
    """

    direction: str
    prompt: str | None
    layout: WorldLayout
    pad: tuple[tuple[int, int], tuple[int, int]]
    origin: tuple[int, int]
    prompt_map: PromptMap
    scales: tuple[ElevationScale, ...]
    known_latent: np.ndarray


def plan_growth(pipe, world: World, direction: str, prompt: str | None, settings: WorldSettings) -> Growth:
    """The grown layout, checked against this machine's memory before any work."""
    old = world.layout
    step_x, step_y = DIRECTIONS[direction]
    layout = WorldLayout(old.columns + abs(step_x), old.rows + abs(step_y), old.tile_latent, old.vae_scale_factor,
                         old.windows_per_tile)
    check_memory(world_bytes(pipe, layout, settings.window_batch, settings.guidance > 1.0),
                 f"extending a {old.columns} x {old.rows} world to {layout.columns} x {layout.rows} tiles",
                 "extend a smaller world or use a smaller window_batch")
    size = old.tile_latent
    west, north = int(step_x < 0), int(step_y < 0)
    pad = ((north * size, int(step_y > 0) * size), (west * size, int(step_x > 0) * size))
    prompt_map = pad_map(world.prompt_map, pad, prompt)
    old_scales = dict(zip(world.prompt_map.prompts, world.scales))
    scales = tuple(old_scales[p] if p in old_scales else prompt_scales(pipe, [p], settings.relief_m, settings.base_m)[0]
                   for p in prompt_map.prompts)
    known_latent = np.pad(np.ones(old.latent_shape, dtype=bool), pad)
    return Growth(direction, prompt, layout, pad, (world.origin[0] - west, world.origin[1] - north), prompt_map,
                  scales, known_latent)


def denoise_growth(pipe, world: World, growth: Growth, settings: WorldSettings, callback, cancel):
    """(1, C, h, w) clean latents of the grown canvas (old part held) and the decode of the new part."""
    layout = growth.layout
    new_windows = [w.index for w in layout.windows if not growth.known_latent[w.latent_slices()].all()]
    to_decode = decode_windows(layout, growth.known_latent)
    progress = ProgressTracker(callback, settings.steps, len(new_windows), len(to_decode))
    noise = canvas_noise(pipe, settings.seed, layout.columns, layout.rows, growth.origin).to(pipe.device, pipe.dtype)
    clean = torch.from_numpy(np.pad(world.latents, ((0, 0), *growth.pad))[None]).to(pipe.device, pipe.dtype)
    hold = HoldKnown(clean, noise, torch.from_numpy(growth.known_latent[None, None]).to(pipe.device))
    schedule = make_schedule(settings.sampler, pipe.components.scheduler_config, settings.steps, pipe.device)
    contexts = window_contexts(pipe, growth.prompt_map, layout, settings.guidance, settings.negative_prompt)
    predictor = WindowFusion(pipe, layout, contexts, settings.guidance, settings.window_batch, new_windows,
                             progress.denoised, cancel)
    latents = denoise(start_latents(schedule, noise), schedule, predictor, [hold], progress.step_finished, cancel)
    scale = layout.vae_scale_factor
    known = growth.known_latent.repeat(scale, 0).repeat(scale, 1)
    known_dem = np.pad(world.dem, tuple((a * scale, b * scale) for a, b in growth.pad))
    decoded = decode_canvas(pipe, latents, layout, settings.window_batch, to_decode, progress.decoded_windows, cancel,
                            known_dem, known)
    return latents, decoded


def compose(world: World, growth: Growth, settings: WorldSettings, latents: torch.Tensor, decoded) -> World:
    """The grown `World`: old pixels bit for bit, new ones joined to them (`Seam`)."""
    layout, direction = growth.layout, growth.direction
    scale = layout.vae_scale_factor
    known = growth.known_latent.repeat(scale, 0).repeat(scale, 1)
    pixel_pad = tuple((before * scale, after * scale) for before, after in growth.pad)
    seam = Seam(direction, world.layout.pixel_shape[0 if direction in ("north", "south") else 1],
                layout.tile_px // FADE_FRACTION, max(1.0, layout.tile_px / SMOOTH_FRACTION), layout.vae_scale_factor)
    old_rgb = np.pad(world.rgb, (*pixel_pad, (0, 0)))
    rgb = np.clip(np.round(seam.join(old_rgb, decoded.image * 255.0)), 0, 255).astype(np.uint8)
    old_elevation, old_dem = np.pad(world.elevation_m, pixel_pad), np.pad(world.dem, pixel_pad)
    new_elevation = seam.join(old_elevation, to_metres(decoded.dem, layout, growth.prompt_map, growth.scales))
    cells = extended_cells(world, growth)
    line = f"extended {direction} to {layout.columns} x {layout.rows} tiles" + (f" with {growth.prompt!r}"
                                                                                 if growth.prompt else "")
    elevation_m = np.where(known, old_elevation, new_elevation.astype(np.float32))
    dem = np.where(known, old_dem, seam.join(old_dem, decoded.dem).astype(np.float32))
    return World(np.where(known[..., None], old_rgb, rgb), elevation_m, dem, world.meters_per_pixel,
                 layout, growth.origin, growth.prompt_map, growth.scales, latents[0].float().cpu().numpy(), cells,
                 settings, world.elevation_method, world.history + (line,))


def decode_windows(layout: WorldLayout, known_latent: np.ndarray) -> list[int]:
    """Windows to decode: those that touch the new part or its first ring of known latent pixels."""
    new = np.pad(~known_latent, 1)
    ring = new[1:-1, 1:-1] | new[:-2, 1:-1] | new[2:, 1:-1] | new[1:-1, :-2] | new[1:-1, 2:]
    return [w.index for w in layout.windows if ring[w.latent_slices()].any()]


class Seam:
    """Joins decoded new pixels to the existing ones across the extension's boundary.

    The first new line should continue the existing ones: its expected value is the last existing
    line plus the mean step of `SLOPE_LINES` existing lines just inside the boundary. The difference
    between that and the decoded first new line, smoothed along the boundary (only its low
    frequencies: tone and height offsets, not texture), is added to the new part, fading out over
    `fade_px`. It absorbs both the VAE round trip of the held part and the step that holding
    latents leaves at the boundary.

    Args:
        direction: where the new strip lies.
        known_extent: existing pixels across the boundary (the old world's height or width).
        fade_px: distance over which the correction fades out.
        smooth_px: Gaussian sigma of the smoothing along the boundary.
        edge_px: existing lines at the boundary left out of the slope (a decoded tile's outermost
            pixels carry the VAE's border artifacts: their step is not a trend to continue).
    """

    def __init__(self, direction: str, known_extent: int, fade_px: int, smooth_px: float, edge_px: int):
        self.direction, self.known_extent, self.smooth_px, self.edge_px = direction, known_extent, smooth_px, edge_px
        self.fade = np.cos(0.5 * math.pi * np.arange(fade_px) / fade_px) ** 2  # 1 on the first new line

    def join(self, existing: np.ndarray, decoded: np.ndarray) -> np.ndarray:
        """(H, W[, C]) float64 `decoded` with its new part corrected (the caller keeps `existing`
        where it is known)."""
        from scipy.ndimage import gaussian_filter1d

        across = self._canonical(decoded.astype(np.float64))
        old = self._canonical(existing.astype(np.float64))
        last = self.known_extent - 1
        inner = max(0, last - self.edge_px)  # the decoder's border lines are not a trend to continue
        lines = min(SLOPE_LINES, inner)
        slope = (old[inner] - old[inner - lines]) / lines if lines else 0.0
        expected = old[last] + slope
        correction = gaussian_filter1d(expected - across[last + 1], self.smooth_px, axis=0, mode="nearest")
        band = across[last + 1:last + 1 + len(self.fade)]
        band += self.fade[:len(band)].reshape(-1, *([1] * correction.ndim)) * correction
        return self._restore(across)

    def _canonical(self, array: np.ndarray) -> np.ndarray:
        """`array` with the boundary axis first and the existing part at its start."""
        axis = 0 if self.direction in ("north", "south") else 1
        moved = np.moveaxis(array, axis, 0)
        return np.ascontiguousarray(moved[::-1] if self.direction in ("north", "west") else moved)

    def _restore(self, array: np.ndarray) -> np.ndarray:
        axis = 0 if self.direction in ("north", "south") else 1
        flipped = array[::-1] if self.direction in ("north", "west") else array
        return np.moveaxis(flipped, 0, axis)


def extended_cells(world: World, growth: Growth) -> tuple[CellProvenance, ...]:
    """Provenance of every cell of the grown world: existing cells unchanged, new ones as extensions."""
    generation = max(cell.generation for cell in world.cells) + 1
    west, north = growth.pad[1][0] // world.layout.tile_latent, growth.pad[0][0] // world.layout.tile_latent
    cells = []
    for row in range(growth.layout.rows):
        for column in range(growth.layout.columns):
            old_column, old_row = column - west, row - north
            if 0 <= old_column < world.columns and 0 <= old_row < world.rows:
                cells.append(world.cell(old_column, old_row))
                continue
            position = (growth.origin[0] + column, growth.origin[1] + row)
            cells.append(CellProvenance(*position, cell_seed(world.seed, *position),
                                        growth.prompt_map.cell_prompts(growth.layout, column, row), "extension",
                                        generation))
    return tuple(cells)


def check_compatible(pipe, world: World) -> None:
    """UserError unless `pipe` makes tiles of the world's size, spacing and latent channels."""
    if world.tile_px != pipe.native_size or not math.isclose(world.meters_per_pixel, pipe.meters_per_pixel):
        raise UserError(f"this world has {world.tile_px} px tiles at {world.meters_per_pixel:g} m/px but the model "
                        f"makes {pipe.native_size} px at {pipe.meters_per_pixel:g} m/px; extend it with the model "
                        f"that made it")
    if world.latents.shape[0] != 2 * pipe.latent_channels or world.layout.vae_scale_factor != pipe.vae_scale_factor:
        raise UserError("this world's latents do not fit this model; extend it with the model that made it")


def in_model_latent(pipe, world: World) -> World:
    """The world with its latents' elevation half in `pipe`'s elevation latent (a world saved by a model
    of the same VAE but another elevation latent, e.g. one retrained with recipe stage 3c, is re-expressed exactly:
    both are affine maps of the VAE's latent)."""
    made_in, wanted = world.settings.elevation_latent, pipe.elevation_latent
    if made_in == wanted:
        return world
    latents = torch.from_numpy(world.latents[None])
    half = latents.shape[1] // 2
    elevation = wanted.to_unet(made_in.from_unet(latents[:, half:]))
    moved = torch.cat([latents[:, :half], elevation], dim=1)[0].numpy().astype(np.float32)
    return replace(world, latents=moved, settings=replace(world.settings, elevation_latent=wanted))


def extension_settings(pipe, world: World, prompt, steps, guidance, sampler, window_batch):
    """The world's settings with the overrides given, validated like a new request."""
    s = world.settings
    request = pipe.request(prompt or world.prompt_map.prompts[0], [s.seed], s.steps if steps is None else steps,
                           s.guidance if guidance is None else guidance, s.sampler if sampler is None else sampler,
                           s.negative_prompt, overscan=0)
    check_sampler_for_worlds(request.sampler)
    batch = s.window_batch if window_batch is None else window_batch
    if isinstance(batch, bool) or not isinstance(batch, int) or not 1 <= batch <= 64:
        raise UserError(f"window_batch must be an integer from 1 to 64, got {batch!r}")
    return replace(s, steps=request.steps, guidance=float(request.guidance), sampler=request.sampler,
                   window_batch=batch, model_id=pipe.model_id)
