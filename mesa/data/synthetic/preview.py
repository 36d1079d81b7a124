"""Contact sheets of synthetic tiles: RGB beside a hillshaded elevation panel, labelled."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from mesa.data.synthetic.generate import SyntheticTile
from mesa.data.synthetic.params import SyntheticParams
from mesa.data.synthetic.shading import CARTOGRAPHIC_AZIMUTH_DEG, hillshade

LABEL_HEIGHT_PX = 14
_RAMP_STOPS = np.array([0.0, 0.25, 0.5, 0.75, 1.0], dtype=np.float32)
_RAMP_COLOURS = np.array(
    [[0.20, 0.45, 0.25], [0.55, 0.65, 0.35], [0.75, 0.65, 0.45], [0.60, 0.45, 0.35], [0.95, 0.95, 0.95]],
    dtype=np.float32,
)


def elevation_panel(elevation_m: np.ndarray, meters_per_pixel: float) -> np.ndarray:
    """(H, W, 3) float32: elevation on a green-brown-white ramp (tile min..max), lit from the north-west."""
    span = max(float(np.ptp(elevation_m)), 1e-6)
    t = (elevation_m - elevation_m.min()) / span
    colour = np.stack([np.interp(t, _RAMP_STOPS, _RAMP_COLOURS[:, c]) for c in range(3)], axis=-1)
    shade = hillshade(elevation_m, meters_per_pixel, CARTOGRAPHIC_AZIMUTH_DEG, 45.0)
    return (colour * (0.3 + 0.7 * shade[..., None] / np.sin(np.radians(45.0)))).clip(0.0, 1.0).astype(np.float32)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """float image in [0, 1] -> uint8."""
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def label(params: SyntheticParams, tile: SyntheticTile) -> str:
    relief = np.percentile(tile.elevation_m, 98) - np.percentile(tile.elevation_m, 2)
    return f"{params.biome_phrase} | {params.landform} | {params.month_name[:3]} {params.hemisphere[0].upper()} | {relief:.0f} m"


def contact_sheet(items: Sequence[tuple[SyntheticParams, SyntheticTile]], columns: int = 4) -> Image.Image:
    """Grid of (RGB | elevation) pairs, each with a one-line label above it."""
    if not items:
        raise ValueError("contact_sheet needs at least one tile")
    size = items[0][1].rgb.shape[0]
    cell_w, cell_h = 2 * size + 6, size + LABEL_HEIGHT_PX + 6
    rows = -(-len(items) // columns)
    sheet = Image.new("RGB", (columns * cell_w, rows * cell_h), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for k, (params, tile) in enumerate(items):
        x, y = (k % columns) * cell_w, (k // columns) * cell_h
        pair = np.concatenate([tile.rgb, elevation_panel(tile.elevation_m, tile.meters_per_pixel)], axis=1)
        sheet.paste(Image.fromarray(to_uint8(pair)), (x, y + LABEL_HEIGHT_PX))
        draw.text((x + 1, y + 1), label(params, tile)[: cell_w // 6], fill=(0, 0, 0))
    return sheet
