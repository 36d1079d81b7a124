"""`World`: the typed result of a world generation or extension, and everything a UI shows or exports."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from mesa.data.normalization import ElevationLatent
from mesa.pipeline.elevation import ElevationScale
from mesa.terrain import GenerationSettings, Terrain
from mesa.world.layout import WorldLayout
from mesa.world.prompts import PromptMap


@dataclass(frozen=True)
class WorldSettings:
    """Every setting that produced a world (with the same weights, enough to reproduce it)."""

    seed: int
    steps: int
    guidance: float
    sampler: str
    negative_prompt: str
    overlap: float
    window_batch: int
    relief_m: float | None
    base_m: float | None
    model_id: str
    elevation_latent: ElevationLatent = ElevationLatent()  # the latent space of `World.latents`' elevation half


@dataclass(frozen=True)
class CellProvenance:
    """Where one cell came from.

    Attributes:
        column, row: world cell coordinates (east, south); an extension west or north adds
            negative ones, so a cell keeps its coordinates (and its noise) as the world grows.
        noise_seed: seed of the cell's starting noise (`mesa.world.noise.cell_seed`).
        prompts: {prompt: share of the cell}.
        source: "generated" (first run), "extension" (added by `extend_world`) or "terrain" (a
            terrain that was extended).
        generation: 0 for the first run, n for the n-th extension.
    """

    column: int
    row: int
    noise_seed: int
    prompts: dict
    source: str
    generation: int


@dataclass
class World:
    """A seamless world of `columns` x `rows` native tiles.

    Attributes:
        rgb: (H, W, 3) uint8 colour mosaic, row 0 north.
        elevation_m: (H, W) float32 elevation in metres, co-registered with `rgb`.
        dem: (H, W) float32 relative elevation the metres were made from (about [0, 1]).
        meters_per_pixel: ground spacing of both mosaics.
        layout: the canvas and windows (H = rows * tile_px, W = columns * tile_px).
        origin: world cell coordinates (column, row) of the north-west cell.
        prompt_map: the prompt of every latent pixel.
        scales: (base_m, relief_m) of each prompt in `prompt_map.prompts`.
        latents: (C, h, w) float32 clean latents of the canvas (what an extension holds).
        cells: provenance of every cell, row-major from the north-west.
        settings: the sampling settings.
        elevation_method: how the metres were made consistent, in words.
        history: one line per run that made or grew this world.
    """

    rgb: np.ndarray
    elevation_m: np.ndarray
    dem: np.ndarray
    meters_per_pixel: float
    layout: WorldLayout
    origin: tuple[int, int]
    prompt_map: PromptMap
    scales: tuple[ElevationScale, ...]
    latents: np.ndarray = field(repr=False)
    cells: tuple[CellProvenance, ...]
    settings: WorldSettings
    elevation_method: str
    history: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        shape = self.layout.pixel_shape
        if self.rgb.shape != (*shape, 3) or self.rgb.dtype != np.uint8:
            raise ValueError(f"rgb must be {shape + (3,)} uint8, got {self.rgb.shape} {self.rgb.dtype}")
        if self.elevation_m.shape != shape or self.dem.shape != shape:
            raise ValueError(f"elevation_m and dem must be {shape}")

    @property
    def columns(self) -> int:
        return self.layout.columns

    @property
    def rows(self) -> int:
        return self.layout.rows

    @property
    def tile_px(self) -> int:
        return self.layout.tile_px

    @property
    def seed(self) -> int:
        return self.settings.seed

    @property
    def extent_m(self) -> tuple[float, float]:
        """(east-west, north-south) ground size in metres (pixel count x spacing)."""
        height, width = self.layout.pixel_shape
        return width * self.meters_per_pixel, height * self.meters_per_pixel

    @property
    def area_km2(self) -> float:
        east, north = self.extent_m
        return east * north / 1e6

    def cell_slices(self, column: int, row: int) -> tuple[slice, slice]:
        """Pixel rows and columns of the cell at canvas position (column, row) (0-based from the north-west)."""
        size = self.tile_px
        return slice(row * size, (row + 1) * size), slice(column * size, (column + 1) * size)

    def cell(self, column: int, row: int) -> CellProvenance:
        return self.cells[row * self.columns + column]

    def cell_terrain(self, column: int, row: int) -> Terrain:
        """One cell as a `Terrain` (canvas position, 0-based from the north-west)."""
        rows, columns = self.cell_slices(column, row)
        info = self.cell(column, row)
        prompt = max(info.prompts, key=info.prompts.get)
        return Terrain(self.rgb[rows, columns].copy(), self.dem[rows, columns].copy(),
                       self.elevation_m[rows, columns].copy(), self.meters_per_pixel, info.noise_seed,
                       self._generation_settings(prompt, self.tile_px, self.tile_px))

    def to_terrain(self) -> Terrain:
        """The whole mosaic as one `Terrain` (for the single-terrain tools: previews, exports)."""
        height, width = self.layout.pixel_shape
        return Terrain(self.rgb, self.dem, self.elevation_m, self.meters_per_pixel, self.seed,
                       self._generation_settings(" | ".join(self.prompt_map.prompts), height, width))

    def _generation_settings(self, prompt: str, height: int, width: int) -> GenerationSettings:
        prompts = self.prompt_map.prompts
        scale = self.scales[prompts.index(prompt)] if prompt in prompts else self.scales[0]
        s = self.settings
        return GenerationSettings(prompt, s.negative_prompt, s.steps, s.guidance, s.sampler, height, width,
                                  scale.relief_m, scale.base_m, s.model_id)

    def provenance(self) -> dict:
        """JSON-ready description of the world: settings, layout, prompts, cells and history."""
        east, north = self.extent_m
        return {
            "kind": "world",
            "columns": self.columns,
            "rows": self.rows,
            "tile_px": self.tile_px,
            "width_px": self.layout.pixel_shape[1],
            "height_px": self.layout.pixel_shape[0],
            "meters_per_pixel": self.meters_per_pixel,
            "extent_m": [east, north],
            "origin_cell": list(self.origin),
            "overlap": self.layout.overlap,
            "windows": len(self.layout.windows),
            "settings": asdict(self.settings),
            "prompts": [{"prompt": p, "base_m": s.base_m, "relief_m": s.relief_m, "scale_source": s.source}
                        for p, s in zip(self.prompt_map.prompts, self.scales)],
            "elevation_method": self.elevation_method,
            "elevation_range_m": [float(self.elevation_m.min()), float(self.elevation_m.max())],
            "cells": [asdict(cell) for cell in self.cells],
            "history": list(self.history),
        }
