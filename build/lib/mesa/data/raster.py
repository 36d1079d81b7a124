"""Turn decoded Major TOM rasters into co-registered training arrays: colour, DEM, masks, crops.

Grids: a Major TOM cell is 10.68 km square; Sentinel-2 bands are 1068 x 1068 at 10 m and the
Copernicus DEM 356 x 356 at 30 m over the same extent, so DEM pixel (i, j) covers S2 pixels
3i..3i+2, 3j..3j+2. Upsampling uses pixel-centre alignment: S2 pixel centre y maps to DEM
coordinate (y + 0.5) / 3 - 0.5.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

DEM_NODATA_M = -32767.0
_BASELINE = re.compile(r"_N(\d{2})(\d{2})_")


@dataclass(frozen=True)
class ReflectanceScaling:
    """Sentinel-2 digital numbers -> display colour in [0, 1].

    colour = clip(gain * (DN + offset_dn) / quantification, 0, 1), where offset_dn is the
    product's BOA_ADD_OFFSET (-1000 for processing baseline 04.00 and later, 0 before; read from
    the "_Nxxyy_" part of the product id when `harmonize` is True, as ESA documents it).
    The default gain 2.5 maps a reflectance of 0.4 to white, a common true-colour stretch.

    Attributes:
        quantification: DN per unit reflectance (10000 for L1C and L2A).
        gain: brightness gain applied to reflectance before clipping.
        harmonize: subtract the baseline >= 04.00 offset of 1000 DN.
    """

    quantification: float = 10000.0
    gain: float = 2.5
    harmonize: bool = True

    def offset_dn(self, product_id: str) -> float:
        """The additive DN offset of a product (0 or -1000)."""
        match = _BASELINE.search(product_id)
        if not self.harmonize or match is None:
            return 0.0
        return -1000.0 if int(match.group(1)) >= 4 else 0.0


@dataclass(frozen=True)
class CropWindow:
    """A square window on the 10 m grid: rows row..row+size-1, columns col..col+size-1 (pixels)."""

    row: int
    col: int
    size: int


def rgb_from_bands(red_dn: np.ndarray, green_dn: np.ndarray, blue_dn: np.ndarray,
                   scaling: ReflectanceScaling, product_id: str = "") -> np.ndarray:
    """(H, W) B04, B03, B02 digital numbers -> (H, W, 3) float32 colour in [0, 1]."""
    offset = scaling.offset_dn(product_id)
    stacked = np.stack([red_dn, green_dn, blue_dn], axis=-1).astype(np.float32)
    return np.clip((stacked + offset) * (scaling.gain / scaling.quantification), 0.0, 1.0)


def choose_crop(height: int, width: int, size: int, rng: np.random.Generator | None) -> CropWindow:
    """A size x size window inside an (height, width) grid: uniform random with `rng`, else centred."""
    if size < 1 or size > min(height, width):
        raise ValueError(f"crop size {size} does not fit a {height} x {width} tile (accepted: 1..{min(height, width)})")
    if rng is None:
        return CropWindow((height - size) // 2, (width - size) // 2, size)
    return CropWindow(int(rng.integers(0, height - size + 1)), int(rng.integers(0, width - size + 1)), size)


def crop(array: np.ndarray, window: CropWindow) -> np.ndarray:
    """The window of an (H, W, ...) array."""
    return array[window.row:window.row + window.size, window.col:window.col + window.size]


def _axis_weights(start: int, size: int, factor: int, length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bilinear source indices (i0, i1) and weight of i1 for `size` fine pixels from `start`."""
    position = (np.arange(start, start + size) + 0.5) / factor - 0.5
    position = np.clip(position, 0.0, length - 1)
    i0 = np.floor(position).astype(np.int64)
    i1 = np.minimum(i0 + 1, length - 1)
    return i0, i1, (position - i0).astype(np.float32)


def upsample_bilinear(grid: np.ndarray, factor: int, window: CropWindow) -> np.ndarray:
    """Bilinear upsampling of a coarse (h, w) grid by `factor`, evaluated only on `window`.

    The window is in fine-grid pixels (the fine grid is h*factor x w*factor). Edges repeat the
    border pixel. Returns (window.size, window.size) float32.
    """
    r0, r1, wr = _axis_weights(window.row, window.size, factor, grid.shape[0])
    c0, c1, wc = _axis_weights(window.col, window.size, factor, grid.shape[1])
    grid = grid.astype(np.float32, copy=False)
    rows = grid[r0] * (1 - wr)[:, None] + grid[r1] * wr[:, None]
    return rows[:, c0] * (1 - wc)[None, :] + rows[:, c1] * wc[None, :]


def upsample_dem(elevation_m: np.ndarray, factor: int, window: CropWindow,
                 nodata_m: float = DEM_NODATA_M) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear DEM upsampling on a window, with its validity.

    Returns (elevation_m, valid): both (size, size); a fine pixel is valid only if every coarse
    pixel that contributes to it with a non-zero weight is valid (not nodata, finite); invalid
    pixels hold 0.
    """
    coarse_valid = np.isfinite(elevation_m) & (elevation_m != nodata_m)
    filled = np.where(coarse_valid, elevation_m, 0.0)
    elevation = upsample_bilinear(filled, factor, window)
    valid = upsample_bilinear(coarse_valid.astype(np.float32), factor, window) > 1.0 - 1e-4
    return np.where(valid, elevation, 0.0).astype(np.float32), valid


def resize_nearest(array: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of an (h, w) array to `shape` (e.g. a 20 m mask onto the 10 m grid)."""
    rows = (np.arange(shape[0]) * array.shape[0]) // shape[0]
    cols = (np.arange(shape[1]) * array.shape[1]) // shape[1]
    return array[rows[:, None], cols[None, :]]


def mask_to_latent(valid_mask: np.ndarray, factor: int = 8) -> np.ndarray:
    """(H, W) pixel validity -> (H/factor, W/factor) latent validity.

    Rule: a latent pixel is valid only if all factor x factor pixels it encodes are valid, so the
    loss never sees a latent touched by cloud or nodata. H and W must be multiples of `factor`.
    """
    height, width = valid_mask.shape
    if height % factor or width % factor:
        raise ValueError(f"mask of shape {valid_mask.shape} is not a multiple of the latent factor {factor}")
    blocks = valid_mask.reshape(height // factor, factor, width // factor, factor)
    return blocks.all(axis=(1, 3))
