"""`finish_terrain` and `write_finish`: the two calls the export, the command line and the app make.

    result = finish_terrain(elevation_m, meters_per_pixel, rgb, FinishOptions(erosion="hydraulic",
                            masks=("slope", "flow", "water"), materials=True))
    result.elevation_m                  # the eroded terrain: what the heightmaps and meshes should use
    files = write_finish(result, folder, stem, engine="unreal", size=(1009, 1009))
    files.sidecar_entries()             # for terrain.json "files"; files.sidecar for its "finishing"

Order: erosion (optional) -> water analysis of the finished terrain (when a mask or the materials
need it) -> masks -> material weights. Nothing is resampled before writing, so the colour image
stays registered with the eroded terrain; writers resample to the engine's size.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from mesa.errors import UserError
from mesa.finishing.checks import check_range
from mesa.finishing.erosion import EROSION_KINDS, MAX_STRENGTH, erode
from mesa.finishing.erosion_result import ErosionResult, Progress
from mesa.finishing.masks import MASKS, compute_masks, parse_masks
from mesa.finishing.materials import MaterialWeights, material_weights
from mesa.finishing.water import WaterMaps, analyse_water
from mesa.finishing.writers import LAYER_WRITERS, FinishedFile, LayerFiles, write_bytes, write_masks
from mesa.limits import check_memory
from mesa.validation import check_elevation, check_positive, check_rgb


@dataclass(frozen=True)
class FinishOptions:
    """What to finish; the defaults do nothing.

    Attributes:
        erosion: None or one of EROSION_KINDS.
        erosion_strength: time scale of the erosion, > 0 and <= MAX_STRENGTH (1 = defaults).
        sea_level_m: cells connected to the border below it are sea, metres; None: no sea.
        lake_min_depth_m: filled depressions at least this deep hold lakes, metres.
        river_min_km2: upstream area from which a river flows, km^2.
        masks: names from MASKS.
        mask_bits: 8 or 16.
        materials: compute material weight maps (needs the colour image).
        device: where erosion runs: "cpu", "cuda", "mps" or "auto".
    """

    erosion: str | None = None
    erosion_strength: float = 1.0
    sea_level_m: float | None = None
    lake_min_depth_m: float = 1.0
    river_min_km2: float = 0.5
    masks: tuple[str, ...] = ()
    mask_bits: int = 8
    materials: bool = False
    device: str = "cpu"

    def checked(self) -> FinishOptions:
        """These options after boundary checks, masks parsed (UserError naming the bad one)."""
        if self.erosion is not None and self.erosion not in EROSION_KINDS:
            raise UserError(f"unknown erosion {self.erosion!r}; choose one of {', '.join(EROSION_KINDS)}")
        check_range("erosion strength", self.erosion_strength, 1e-3, MAX_STRENGTH)
        if self.mask_bits not in (8, 16):
            raise UserError(f"masks are 8- or 16-bit, got {self.mask_bits}")
        if self.sea_level_m is not None:
            check_range("sea level", self.sea_level_m, -12_000.0, 9_000.0)
        return replace(self, masks=parse_masks(self.masks))

    @property
    def needs_water(self) -> bool:
        return self.materials or any(MASKS[name].needs == "water" for name in parse_masks(self.masks))

    @property
    def active(self) -> bool:
        """Whether these options change or add anything."""
        return self.erosion is not None or bool(self.masks) or self.materials


@dataclass(frozen=True)
class FinishResult:
    """A finished terrain.

    Attributes:
        elevation_m: (H, W) float32 elevation to export, metres (eroded when erosion ran).
        meters_per_pixel: ground spacing, metres.
        erosion: what erosion did, or None.
        water: water analysis of `elevation_m`, or None when nothing needed it.
        masks: name -> (H, W) float32 in [0, 1].
        materials: material weights, or None.
        mask_bits: bit depth the masks are written with.
    """

    elevation_m: np.ndarray
    meters_per_pixel: float
    erosion: ErosionResult | None
    water: WaterMaps | None
    masks: dict[str, np.ndarray] = field(default_factory=dict)
    materials: MaterialWeights | None = None
    mask_bits: int = 8

    def summary(self) -> dict:
        """JSON-ready figures for the sidecar's "finishing" entry."""
        document: dict = {"erosion": None if self.erosion is None else self.erosion.summary()}
        if self.water is not None:
            cell_km2 = (self.meters_per_pixel / 1000.0) ** 2
            document["water"] = {
                "sea_level_m": self.water.sea_level_m,
                "closed_depressions": self.water.closed_depressions,
                "lake_km2": float(self.water.lake.sum()) * cell_km2,
                "river_cells": int(self.water.river.sum()),
                "sea_km2": float(self.water.sea.sum()) * cell_km2,
            }
        document["masks"] = list(self.masks)
        if self.materials is not None:
            layers = self.materials.layers
            share = np.bincount(self.materials.dominant().ravel(), minlength=len(layers)) / self.elevation_m.size
            document["materials"] = {
                "layers": list(layers),
                "dominant_share": {name: float(s) for name, s in zip(layers, share, strict=True)},
            }
        return document


@dataclass(frozen=True)
class FinishFiles:
    """Everything `write_finish` wrote.

    Attributes:
        files: masks first, then the engine's layer files.
        layers: what the engine's layer writer produced, or None without materials.
        sidecar: JSON-ready "finishing" entry for terrain.json (figures, layer order, import notes).
    """

    files: tuple[FinishedFile, ...]
    layers: LayerFiles | None
    sidecar: dict

    def sidecar_entries(self) -> list[dict]:
        """{"path", "role", "format", "description"} per file, for terrain.json "files"."""
        return [f.sidecar_entry() for f in self.files]


def finish_terrain(
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    rgb: np.ndarray | None = None,
    options: FinishOptions = FinishOptions(),
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> FinishResult:
    """Erode, analyse water, compute masks and material weights as `options` ask.

    Args:
        elevation_m: (H, W) finite elevation, metres, row 0 north.
        meters_per_pixel: ground spacing, metres.
        rgb: (H, W, 3) uint8 co-registered colour image; required when options.materials.
        options: what to do.
        progress, cancel: passed to the erosion (the long part): (iterations done, total) after
            each iteration; ErosionCancelled once `cancel` is set.
    """
    elevation = check_elevation(elevation_m)
    meters_per_pixel = check_positive("meters_per_pixel", meters_per_pixel)
    rgb = check_rgb(rgb, elevation.shape)
    options = options.checked()
    if options.materials and rgb is None:
        raise UserError("material weight maps are read from the colour image: give rgb (--rgb)")
    erosion = None
    if options.erosion is not None:
        erosion = erode(elevation, meters_per_pixel, options.erosion, options.erosion_strength, options.device,
                        progress=progress, cancel=cancel)
    finished = erosion.elevation_m if erosion is not None else elevation.astype(np.float32)
    water = None
    if options.needs_water:
        water = analyse_water(finished, meters_per_pixel, options.sea_level_m, options.lake_min_depth_m,
                              options.river_min_km2)
    masks = compute_masks(options.masks, finished, meters_per_pixel, water, erosion)
    materials = material_weights(rgb, finished, meters_per_pixel, water) if options.materials else None
    return FinishResult(finished, meters_per_pixel, erosion, water, masks, materials, options.mask_bits)


def write_finish(
    result: FinishResult,
    folder: str | Path,
    stem: str,
    engine: str = "none",
    size: tuple[int, int] | None = None,
) -> FinishFiles:
    """Write the masks and the engine's material files of `result` into `folder` (which must exist).

    Args:
        folder: the export's (staging) folder.
        stem: file name stem (the export's `name`).
        engine: "unreal", "unity", "godot" or "none" (generic RGBA splats).
        size: the engine's heightmap size (rows, columns); None: the terrain's own grid.
    """
    if engine not in LAYER_WRITERS:
        raise UserError(f"unknown engine {engine!r}; choose one of {', '.join(LAYER_WRITERS)}")
    folder = Path(folder)
    size = tuple(result.elevation_m.shape) if size is None else (int(size[0]), int(size[1]))
    check_memory(write_bytes(size), f"writing finishing maps of {size[1]} x {size[0]} px", "export at a smaller size")
    files = write_masks(result.masks, folder, stem, size, result.mask_bits)
    layers = None
    if result.materials is not None:
        layers = LAYER_WRITERS[engine](result.materials, folder, stem, size)
        files += layers.files
    sidecar = result.summary()
    if layers is not None:
        sidecar["layers"] = {"engine": layers.engine, "order": list(layers.layers), "width": layers.width,
                             "height": layers.height, "import": layers.import_notes}
    return FinishFiles(files, layers, sidecar)
