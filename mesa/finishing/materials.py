"""Material weight maps read from the co-registered colour image, slope, height and water.

MESA's colour image is a Sentinel-2-style true-colour view of the same ground as the elevation, so
materials can be read from it instead of guessed from slope alone. Per pixel:

1. the relief shading is divided out: the image is lit by the Sentinel-2 morning sun
   (SUN_AZIMUTH_DEG, SUN_ALTITUDE_DEG of mesa.geometry.shading), so
   `albedo = rgb / (DIFFUSE_SHARE + (1 - DIFFUSE_SHARE) * hillshade / sin(altitude))`;
2. colour evidence for each layer from generic properties of that albedo - brightness, saturation,
   greenness `g - max(r, b)` and blueness `b - r` of the chromaticity (soft logistic memberships,
   no per-biome palette);
3. terrain evidence: rock likes steep slopes and vegetation dislikes them, snow likes the upper part
   of the tile, water likes flat ground and the rivers, lakes and sea of `analyse_water`;
4. the product of both, normalised: weights sum to 1 at every pixel.

`quantise_weights` turns the weights into 8-bit layers that sum to exactly 255 per pixel
(largest-remainder rounding), as weight-blended landscape layers need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesa.errors import UserError
from mesa.finishing.water import WaterMaps
from mesa.geometry.shading import SUN_ALTITUDE_DEG, SUN_AZIMUTH_DEG, hillshade, slope_deg
from mesa.limits import check_memory
from mesa.validation import check_elevation, check_positive, check_rgb

MATERIAL_LAYERS: tuple[str, ...] = ("rock", "grass", "forest", "soil", "snow", "water")
"""Layer names, in the order of `MaterialWeights.weights` (soil includes sand)."""
DIFFUSE_SHARE = 0.45
"""Share of skylight assumed when removing relief shading: a slope facing away from the sun keeps this much."""
FLOOR = 1e-3
"""Evidence every layer keeps, so the weights are defined where no rule speaks."""
WEIGHT_SUM_TOLERANCE = 1e-3
BYTES_PER_CELL = 400
"""Peak memory of `material_weights` per pixel: float64 albedo, features and two (6, H, W) evidence stacks."""


@dataclass(frozen=True)
class MaterialWeights:
    """Per-pixel weights of named material layers.

    Attributes:
        layers: layer names, in the order of the first axis of `weights`.
        weights: (L, H, W) float32 in [0, 1], summing to 1 over L at every pixel.
    """

    layers: tuple[str, ...]
    weights: np.ndarray

    def layer(self, name: str) -> np.ndarray:
        """(H, W) float32 weight of the layer `name`."""
        if name not in self.layers:
            raise UserError(f"no material layer {name!r}; layers are {', '.join(self.layers)}")
        return self.weights[self.layers.index(name)]

    def dominant(self) -> np.ndarray:
        """(H, W) uint8 index into `layers` of the heaviest layer at each pixel."""
        return np.argmax(self.weights, axis=0).astype(np.uint8)


def material_weights(
    rgb: np.ndarray,
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    water: WaterMaps | None = None,
) -> MaterialWeights:
    """Weights of MATERIAL_LAYERS from the colour image and the terrain (see the module docstring).

    Args:
        rgb: (H, W, 3) uint8 colour image, co-registered with the elevation.
        elevation_m: (H, W) elevation, metres (the eroded one when erosion ran: erosion never
            resamples, so the image stays registered).
        meters_per_pixel: ground spacing, metres.
        water: the terrain's `analyse_water` result; without it water is read from colour and
            flatness alone.
    Returns:
        MaterialWeights, (6, H, W) float32.
    """
    elevation = check_elevation(elevation_m)
    rgb = check_rgb(rgb, elevation.shape)
    if rgb is None:
        raise UserError("material weights need the colour image (rgb)")
    meters_per_pixel = check_positive("meters_per_pixel", meters_per_pixel)
    check_memory(BYTES_PER_CELL * elevation.size, f"material weights of {elevation.shape[1]} x {elevation.shape[0]} px",
                 "use a smaller terrain")
    albedo = deshade(rgb, elevation, meters_per_pixel)
    slope = slope_deg(elevation, meters_per_pixel).astype(np.float64)
    span = float(np.ptp(elevation))
    height = (elevation - elevation.min()) / span if span > 0 else np.zeros_like(elevation)
    evidence = _colour_evidence(albedo) * _terrain_evidence(slope, height, water) + FLOOR
    weights = evidence / evidence.sum(axis=0, keepdims=True)
    return MaterialWeights(MATERIAL_LAYERS, weights.astype(np.float32))


def deshade(rgb: np.ndarray, elevation_m: np.ndarray, meters_per_pixel: float) -> np.ndarray:
    """(H, W, 3) float64 albedo: rgb / 255 with the Sentinel-2 sun's relief shading divided out."""
    light = hillshade(elevation_m, meters_per_pixel, SUN_AZIMUTH_DEG, SUN_ALTITUDE_DEG)
    shade = DIFFUSE_SHARE + (1.0 - DIFFUSE_SHARE) * light / np.sin(np.radians(SUN_ALTITUDE_DEG))
    return rgb.astype(np.float64) / 255.0 / shade[..., None]


def _colour_evidence(albedo: np.ndarray) -> np.ndarray:
    """(6, H, W) colour evidence per layer from brightness, saturation and chromaticity differences."""
    brightness = albedo.mean(axis=-1)
    total = albedo.sum(axis=-1) + 1e-6
    red, green, blue = (albedo[..., k] / total for k in range(3))
    saturation = (albedo.max(axis=-1) - albedo.min(axis=-1)) / (albedo.max(axis=-1) + 1e-6)
    grey = _below(saturation, 0.22, 0.05)
    vegetation = _above(green - blue, 0.03, 0.015) * _above(green - red, -0.045, 0.015) * _below(brightness, 0.55, 0.05)
    earth = _below(green - red, -0.045, 0.015) * _below(blue - red, 0.0, 0.02)
    canopy = _below(brightness - 0.6 * (green - red), 0.27, 0.03)
    return np.stack([
        np.maximum(grey * _between(brightness, 0.25, 0.6, 0.04), 0.5 * earth),
        vegetation * (1.0 - canopy),
        vegetation * canopy,
        earth * (1.0 - grey),
        _above(brightness, 0.5, 0.03) * _above(blue - red, 0.0, 0.015),
        _above(blue - red, 0.0, 0.02) * _below(brightness, 0.25, 0.03),
    ])


def _terrain_evidence(slope_degrees: np.ndarray, height: np.ndarray, water: WaterMaps | None) -> np.ndarray:
    """(6, H, W) terrain evidence per layer from slope (degrees), relative height (0..1) and water."""
    steep = _above(slope_degrees, 32.0, 5.0)
    flat = _below(slope_degrees, 6.0, 2.0)
    wet = np.ones_like(height) if water is None else 0.3 + 0.7 * (water.standing | water.river)
    return np.stack([
        0.2 + 0.8 * steep,
        1.0 - 0.8 * steep,
        1.0 - 0.8 * steep,
        1.0 - 0.8 * steep,
        0.5 + height,
        flat * wet,
    ])


def quantise_weights(weights: np.ndarray) -> np.ndarray:
    """(L, H, W) uint8 layers that sum to exactly 255 at every pixel (largest-remainder rounding).

    Each layer gets floor(255 w); the units left over go to the layers with the largest
    fractional parts, so no layer is off by more than one unit from 255 w.

    Args:
        weights: (L, H, W) finite, >= 0, summing to 1 (within WEIGHT_SUM_TOLERANCE) at every pixel.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 3 or not np.all(np.isfinite(weights)) or weights.min(initial=0.0) < 0.0:
        raise UserError("weights must be a finite, non-negative (layers, height, width) array")
    total = weights.sum(axis=0)
    if np.abs(total - 1.0).max(initial=0.0) > WEIGHT_SUM_TOLERANCE:
        raise UserError(f"weights must sum to 1 at every pixel (off by up to {np.abs(total - 1.0).max():.3g})")
    scaled = weights / total * 255.0
    floor = np.floor(scaled)
    left = 255 - floor.sum(axis=0).astype(np.int64)
    rank = np.argsort(np.argsort(-(scaled - floor), axis=0, kind="stable"), axis=0, kind="stable")
    return (floor + (rank < left[None])).astype(np.uint8)


def _above(x: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Logistic membership of x > centre, softened over `width`."""
    return 1.0 / (1.0 + np.exp(-(x - centre) / width))


def _below(x: np.ndarray, centre: float, width: float) -> np.ndarray:
    return 1.0 - _above(x, centre, width)


def _between(x: np.ndarray, low: float, high: float, width: float) -> np.ndarray:
    return _above(x, low, width) * _below(x, high, width)
