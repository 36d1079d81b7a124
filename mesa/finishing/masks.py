"""Masks for landscape materials: slope, height bands, curvature, flow, water, wear and deposit as
float maps in [0, 1], and their quantisation to 8- or 16-bit greyscale.

Each mask has a fixed, documented meaning of 0 and 1 (MASKS) so an artist can read values back:
slope is degrees / 90, height bands partition the height range, curvature and erosion masks are
scaled by a robust high percentile of their own tile (a single spike cannot darken the rest).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from mesa.errors import UserError
from mesa.finishing.erosion_result import ErosionResult
from mesa.finishing.water import WaterMaps
from mesa.geometry.shading import slope_deg

ROBUST_PERCENTILE = 99.0
"""Curvature, wear and deposit masks reach 1 at this percentile of their non-zero values."""
CURVATURE_SMOOTHING_PX = 1.0
"""Gaussian sigma applied by the curvature's Laplacian, pixels (damps pixel noise)."""
HEIGHT_BANDS = ("height_low", "height_mid", "height_high")


@dataclass(frozen=True)
class MaskSpec:
    """One mask: what it needs and what its values mean.

    Attributes:
        name: used on the command line and in `<stem>_mask_<name>.png`.
        needs: "terrain", "water" (a WaterMaps) or "erosion" (an ErosionResult).
        description: what 0 and full scale mean, for the sidecar.
    """

    name: str
    needs: str
    description: str


MASKS: dict[str, MaskSpec] = {
    spec.name: spec
    for spec in (
        MaskSpec("slope", "terrain", "slope; 0 = flat, full scale = 90 degrees (linear in degrees)"),
        MaskSpec("height", "terrain", "elevation; 0 = lowest point, full scale = highest point (linear)"),
        MaskSpec("height_low", "terrain", "lowest third of the height range (bands sum to full scale)"),
        MaskSpec("height_mid", "terrain", "middle third of the height range (bands sum to full scale)"),
        MaskSpec("height_high", "terrain", "highest third of the height range (bands sum to full scale)"),
        MaskSpec("convex", "terrain", "convex curvature (ridges, crests); full scale = 99th percentile"),
        MaskSpec("concave", "terrain", "concave curvature (gullies, valley floors); full scale = 99th percentile"),
        MaskSpec("flow", "water", "D8 flow accumulation, log scale; 0 = one cell, full scale = the largest"),
        MaskSpec("water", "water", "sea, lakes and rivers; full scale = water"),
        MaskSpec("river", "water", "rivers (upstream area above the river threshold); full scale = river"),
        MaskSpec("lake", "water", "lakes (filled depressions deeper than the lake threshold); full scale = lake"),
        MaskSpec("wear", "erosion", "ground worn away by erosion; full scale = 99th percentile of the wear depth"),
        MaskSpec("deposit", "erosion", "sediment laid down by erosion; full scale = 99th percentile of the deposit"),
    )
}


def parse_masks(masks: str | Iterable[str]) -> tuple[str, ...]:
    """Validated, de-duplicated mask names from "slope,flow" or an iterable; UserError on unknown names."""
    names = masks.split(",") if isinstance(masks, str) else list(masks)
    names = [name.strip().lower() for name in names if name.strip()]
    unknown = [name for name in names if name not in MASKS]
    if unknown:
        raise UserError(f"unknown mask(s) {', '.join(unknown)}; choose from {', '.join(MASKS)}")
    return tuple(dict.fromkeys(names))


def compute_masks(
    names: Iterable[str],
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    water: WaterMaps | None = None,
    erosion: ErosionResult | None = None,
) -> dict[str, np.ndarray]:
    """The named masks of one terrain, each (H, W) float32 in [0, 1].

    Args:
        names: from MASKS.
        elevation_m: (H, W) elevation, metres (the eroded one when erosion ran).
        water: needed by flow, water, river and lake.
        erosion: needed by wear and deposit.
    """
    masks = {}
    for name in parse_masks(names):
        need = MASKS[name].needs
        if need == "water" and water is None:
            raise UserError(f"the {name} mask needs the water analysis (analyse_water)")
        if need == "erosion" and erosion is None:
            raise UserError(f"the {name} mask needs an erosion run: choose an erosion kind")
        masks[name] = _MAKERS[name](elevation_m, meters_per_pixel, water, erosion).astype(np.float32)
    return masks


def slope_mask(elevation_m: np.ndarray, meters_per_pixel: float) -> np.ndarray:
    """(H, W) float32 slope in degrees / 90."""
    return slope_deg(elevation_m, meters_per_pixel) / np.float32(90.0)


def height_mask(elevation_m: np.ndarray) -> np.ndarray:
    """(H, W) float32 (z - min) / (max - min); zeros on a flat tile."""
    low, span = float(elevation_m.min()), float(np.ptp(elevation_m))
    return ((elevation_m - low) / span if span > 0 else np.zeros_like(elevation_m)).astype(np.float32)


def height_bands(elevation_m: np.ndarray, edges_m: Iterable[float], blend_m: float) -> np.ndarray:
    """(len(edges) + 1, H, W) float32 bands that sum to 1: band k lies between edges k-1 and k, each
    edge a smoothstep over `blend_m` metres (> 0) centred on it; edges in metres, increasing."""
    edges = np.asarray(list(edges_m), dtype=np.float64)
    if edges.size == 0 or np.any(np.diff(edges) <= 0) or not np.all(np.isfinite(edges)):
        raise UserError(f"height band edges must be increasing finite metres, got {edges.tolist()}")
    if not blend_m > 0:
        raise UserError(f"height band blend must be > 0 m, got {blend_m}")
    above = [_smoothstep((elevation_m - edge) / blend_m + 0.5) for edge in edges]
    cumulative = [np.ones_like(elevation_m, dtype=np.float64), *above, np.zeros_like(elevation_m, dtype=np.float64)]
    return np.stack([cumulative[k] - cumulative[k + 1] for k in range(len(edges) + 1)]).astype(np.float32)


def curvature_per_m(
    elevation_m: np.ndarray, meters_per_pixel: float, sigma_px: float = CURVATURE_SMOOTHING_PX
) -> np.ndarray:
    """(H, W) float32 minus the Laplacian of the (Gaussian-smoothed) elevation, 1/m: > 0 convex, < 0 concave."""
    laplacian = ndimage.gaussian_laplace(np.asarray(elevation_m, dtype=np.float64), sigma_px, mode="nearest")
    return (-laplacian / meters_per_pixel**2).astype(np.float32)


def robust_scale(values: np.ndarray) -> np.ndarray:
    """(H, W) float32 values >= 0 divided by the ROBUST_PERCENTILE of the non-zero ones, clipped to 1."""
    positive = values[values > 0]
    if positive.size == 0:
        return np.zeros(values.shape, np.float32)
    return np.clip(values / np.percentile(positive, ROBUST_PERCENTILE), 0.0, 1.0).astype(np.float32)


def flow_mask(accumulation_cells: np.ndarray) -> np.ndarray:
    """(H, W) float32 log(accumulation) / log(max accumulation); accumulation >= 1 cell."""
    top = float(accumulation_cells.max())
    if top <= 1.0:
        return np.zeros(accumulation_cells.shape, np.float32)
    return (np.log(accumulation_cells) / np.log(top)).astype(np.float32)


def quantise_mask(mask: np.ndarray, bits: int = 8) -> np.ndarray:
    """(H, W) uint8 or uint16: round(mask * (2^bits - 1)); mask must be finite and in [0, 1].

    Raises:
        UserError: for other bit depths or values outside [0, 1] (never clipped silently).
    """
    if bits not in (8, 16):
        raise UserError(f"masks are 8- or 16-bit, got {bits}")
    mask = check_unit_range("a mask", mask)
    top = (1 << bits) - 1
    return np.rint(mask * top).astype(np.uint8 if bits == 8 else np.uint16)


def check_unit_range(what: str, values: np.ndarray) -> np.ndarray:
    """`values` as float64 after checking they are finite and within [0, 1] (UserError naming `what`)."""
    values = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(values)) or values.min(initial=0.0) < 0.0 or values.max(initial=0.0) > 1.0:
        raise UserError(f"{what} must hold finite values from 0 to 1")
    return values


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _band(index: int):
    def make(elevation_m: np.ndarray, meters_per_pixel: float, water, erosion) -> np.ndarray:
        low, span = float(elevation_m.min()), float(np.ptp(elevation_m))
        if span == 0:
            return np.full(elevation_m.shape, 1.0 if index == 0 else 0.0, np.float32)
        return height_bands(elevation_m, (low + span / 3.0, low + 2.0 * span / 3.0), 0.1 * span)[index]

    return make


_MAKERS = {
    "slope": lambda z, mpp, water, erosion: slope_mask(z, mpp),
    "height": lambda z, mpp, water, erosion: height_mask(z),
    "height_low": _band(0),
    "height_mid": _band(1),
    "height_high": _band(2),
    "convex": lambda z, mpp, water, erosion: robust_scale(np.maximum(curvature_per_m(z, mpp), 0.0)),
    "concave": lambda z, mpp, water, erosion: robust_scale(np.maximum(-curvature_per_m(z, mpp), 0.0)),
    "flow": lambda z, mpp, water, erosion: flow_mask(water.accumulation_cells),
    "water": lambda z, mpp, water, erosion: (water.standing | water.river).astype(np.float32),
    "river": lambda z, mpp, water, erosion: water.river.astype(np.float32),
    "lake": lambda z, mpp, water, erosion: water.lake.astype(np.float32),
    "wear": lambda z, mpp, water, erosion: robust_scale(erosion.wear_m),
    "deposit": lambda z, mpp, water, erosion: robust_scale(erosion.deposit_m),
}
