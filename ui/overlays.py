"""Coloured overlays on the colour image: a mask tinted in, and the dominant material per pixel
(pure numpy, (H, W, 3) uint8 in and out)."""

from __future__ import annotations

import numpy as np

from mesa.finishing import MaterialWeights

MASK_COLOURS = {
    "slope": (230, 60, 40), "height": (250, 250, 250), "height_low": (60, 160, 60), "height_mid": (200, 160, 60),
    "height_high": (250, 250, 250), "convex": (250, 140, 0), "concave": (140, 60, 200), "flow": (30, 120, 255),
    "water": (20, 90, 230), "river": (0, 170, 255), "lake": (20, 60, 200), "wear": (220, 40, 40),
    "deposit": (240, 200, 40),
}
MATERIAL_COLOURS = {"rock": (128, 128, 128), "grass": (120, 200, 80), "forest": (20, 100, 40),
                    "soil": (170, 120, 70), "snow": (245, 245, 250), "water": (30, 90, 220)}
OVERLAY_STRENGTH = 0.75


def tint(rgb: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int], strength: float = OVERLAY_STRENGTH
         ) -> np.ndarray:
    """`rgb * (1 - a) + colour * a` with a = strength * mask, for a (H, W) mask in [0, 1]."""
    if mask.shape != rgb.shape[:2]:
        raise ValueError(f"mask {mask.shape} and image {rgb.shape[:2]} differ in size")
    alpha = (strength * np.clip(mask, 0.0, 1.0))[..., None]
    mixed = (1.0 - alpha) * rgb.astype(np.float32) + alpha * np.asarray(colour, dtype=np.float32)
    return np.rint(mixed).astype(np.uint8)


def material_map(rgb: np.ndarray, materials: MaterialWeights, strength: float = OVERLAY_STRENGTH) -> np.ndarray:
    """The colour image tinted with the colour of the heaviest material layer at each pixel."""
    palette = np.array([MATERIAL_COLOURS[layer] for layer in materials.layers], dtype=np.float32)
    colours = palette[materials.dominant()]
    mixed = (1.0 - strength) * rgb.astype(np.float32) + strength * colours
    return np.rint(mixed).astype(np.uint8)
