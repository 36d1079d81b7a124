"""Decoding a world's latent canvas: overlapping native-size VAE tiles, blended with smooth weights.

The canvas is decoded through the same windows it was denoised with (`pipe.decode` on several
windows at once, both modalities), and the decoded tiles are blended with the layout's raised-cosine
weights at pixel resolution. Each tile is decoded at the size the VAE was trained on, so the
decoder's normalisation statistics are those of a native tile; where two tiles disagree (a
convolutional decoder with group norm sees different context), the blend spreads the difference
over the whole overlap instead of leaving a step; the elevation levels of the windows are fitted to
each other first (`mesa.world.levels`). A world of one window decodes exactly as `pipe.decode` does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from mesa.pipeline import GenerationCancelled
from mesa.world.layout import WorldLayout
from mesa.world.levels import fit_window_offsets


@dataclass
class DecodedCanvas:
    """The decoded canvas.

    Attributes:
        image: (H, W, 3) float32 colour in [0, 1].
        dem: (H, W) float32 relative elevation (mean of the three decoded elevation channels, each
            window shifted by its fitted level offset), about [0, 1].
        covered: (H, W) bool, pixels that a decoded window covers (all of them for a full decode).
        offsets: (N,) the level offsets fitted to the decoded windows (`mesa.world.levels`), in
            relative elevation units.
    """

    image: np.ndarray
    dem: np.ndarray
    covered: np.ndarray
    offsets: np.ndarray


def decode_canvas(pipe, latents: torch.Tensor, layout: WorldLayout, batch_size: int,
                  active: Sequence[int] | None = None, on_batch: Callable[[int], None] | None = None,
                  cancel: threading.Event | None = None, known_dem: np.ndarray | None = None,
                  known_mask: np.ndarray | None = None) -> DecodedCanvas:
    """Decode (1, C, h, w) clean latents through the windows of `layout` (`active` ones only, then
    each pixel is normalised by the weights of the windows that cover it). The windows' elevation
    levels are fitted to each other (and to `known_dem` where `known_mask` is set) before blending."""
    scale = layout.vae_scale_factor
    height, width = layout.pixel_shape
    image = np.zeros((height, width, 3), dtype=np.float32)
    weight_sum = np.zeros((height, width), dtype=np.float32)
    total = layout.weight_total(scale)
    windows = [layout.windows[i] for i in (range(len(layout.windows)) if active is None else active)]
    dems = []
    for start in range(0, len(windows), batch_size):
        if cancel is not None and cancel.is_set():
            raise GenerationCancelled("world generation cancelled while decoding")
        batch = windows[start:start + batch_size]
        decoded_image, decoded_dem = pipe.decode(torch.cat([latents[:, :, w.latent_slices()[0], w.latent_slices()[1]]
                                                            for w in batch]))
        for window, tile_image, tile_dem in zip(batch, decoded_image, decoded_dem):
            rows, columns = window.pixel_slices(scale)
            weights = layout.normalised_weights(window, total, scale).astype(np.float32)
            image[rows, columns] += tile_image * weights[..., None]
            weight_sum[rows, columns] += weights
            dems.append(tile_dem.mean(axis=-1))
        if on_batch is not None:
            on_batch(len(batch))
    offsets = fit_window_offsets(dems, windows, layout.stride, scale, known_dem, known_mask)
    dem = np.zeros((height, width), dtype=np.float32)
    for window, tile_dem, offset in zip(windows, dems, offsets):
        weights = layout.normalised_weights(window, total, scale).astype(np.float32)
        level = tile_dem if offset == 0 else tile_dem + np.float32(offset)
        dem[window.pixel_slices(scale)] += level * weights
    covered = weight_sum > 0
    if active is not None:
        image[covered] /= weight_sum[covered][:, None]
        dem[covered] /= weight_sum[covered]
    return DecodedCanvas(image, dem, covered, offsets)
