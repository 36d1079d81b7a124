"""Image layout for the gallery and the inspector: overlay, side by side, crisp enlargement
(pure numpy; the shaded relief itself comes from `mesa.preview`)."""

from __future__ import annotations

import numpy as np


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
