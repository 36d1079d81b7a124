"""2D views of a terrain for the gallery and the inspector: hillshade, shaded relief, overlay
(pure numpy; colour tints come from `mesa.preview`)."""

from __future__ import annotations

import numpy as np

from mesa.preview import hypsometric_rgb


def hillshade(elevation_m: np.ndarray, meters_per_pixel: float, azimuth_deg: float = 315.0,
              altitude_deg: float = 45.0, vertical_exaggeration: float = 1.0) -> np.ndarray:
    """(H, W) float32 in [0, 1]: Lambertian shading of the elevation by a sun at compass
    `azimuth_deg` (0 = north, 315 = north-west), `altitude_deg` above the horizon.

    Args:
        elevation_m: (H, W) elevation in metres, row 0 north.
        meters_per_pixel: ground spacing in metres.
    """
    z = np.asarray(elevation_m, dtype=np.float64) * vertical_exaggeration
    d_north, d_east = np.gradient(z, meters_per_pixel)  # rows run south, so d/d(north) = -d/d(row)
    d_north = -d_north
    azimuth, altitude = np.radians(azimuth_deg), np.radians(altitude_deg)
    sun = np.array([np.sin(azimuth) * np.cos(altitude), np.cos(azimuth) * np.cos(altitude), np.sin(altitude)])
    normal_length = np.sqrt(d_east**2 + d_north**2 + 1.0)
    shade = (-d_east * sun[0] - d_north * sun[1] + sun[2]) / normal_length
    return np.clip(shade, 0.0, 1.0).astype(np.float32)


def shaded_relief(elevation_m: np.ndarray, meters_per_pixel: float, vertical_exaggeration: float = 1.0) -> np.ndarray:
    """(H, W, 3) uint8 hypsometric tints multiplied by a soft hillshade."""
    tint = hypsometric_rgb(elevation_m).astype(np.float32)
    shade = hillshade(elevation_m, meters_per_pixel, vertical_exaggeration=vertical_exaggeration)
    return np.rint(tint * (0.35 + 0.65 * shade[..., None])).astype(np.uint8)


def blend(rgb: np.ndarray, relief_rgb: np.ndarray, amount: float) -> np.ndarray:
    """(H, W, 3) uint8: `amount` 0 shows `rgb`, 1 shows `relief_rgb`, in between mixes them."""
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"overlay amount must be between 0 and 1, got {amount}")
    mixed = (1.0 - amount) * rgb.astype(np.float32) + amount * relief_rgb.astype(np.float32)
    return np.rint(mixed).astype(np.uint8)


def side_by_side(images: list[np.ndarray], gap_px: int = 4, gap_value: int = 255) -> np.ndarray:
    """(H, sum(W) + gaps, 3) uint8: images of equal height in a row with white gaps."""
    height = images[0].shape[0]
    if any(image.shape[0] != height for image in images):
        raise ValueError("side_by_side needs images of equal height")
    gap = np.full((height, gap_px, 3), gap_value, dtype=np.uint8)
    row: list[np.ndarray] = []
    for image in images:
        row += [gap, image] if row else [image]
    return np.concatenate(row, axis=1)


def upscale_nearest(image: np.ndarray, min_size_px: int) -> np.ndarray:
    """The image enlarged by an integer factor (pixel repetition) until its short side is at least
    `min_size_px`; tiny outputs stay crisp instead of being blurred by the browser."""
    factor = max(1, -(-min_size_px // min(image.shape[:2])))
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1) if factor > 1 else image
