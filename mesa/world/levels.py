"""Fitting each decoded window's elevation level to its neighbours in their overlaps.

The VAE decodes a world through overlapping native-size windows. Its decoder normalises features
over the whole window (group norm), so two windows that decode the same latents give the same
relief at different levels: on mesa-tiny, neighbouring windows of one world disagree by a few
hundred metres RMS in their overlaps, almost all of it a constant offset per window
(`benchmarks/bench_world.py --section agreement`). Blending would average those levels into slow
bumps. Before blending, each window k gets an offset b_k that makes the windows agree in their
overlaps, by least squares:

    minimise  sum over overlapping pairs (k, l), pixels x:  (d_k(x) + b_k - d_l(x) - b_l)^2
              + sum over k, known pixels x:  (d_k(x) + b_k - known(x))^2

with sum(b_k) = 0 when nothing is known (the world keeps the model's mean level) and the existing
world as the reference when extending. Only neighbouring windows overlap, so the normal equations
are a sparse graph Laplacian, solved once (milliseconds for a 4 x 4 world). Gains stay at 1: fitted
gains lowered the residual little (by a fifth on mesa-tiny) and can trade relief for agreement.
The same fit makes the windows of a relative-elevation model (the published MESA) agree on one
relative elevation. A lone window keeps its decode unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mesa.world.layout import Window

SAMPLE_STEP = 2
"""Every SAMPLE_STEP-th pixel of an overlap enters the fit (in each direction)."""
RIDGE = 1e-6
"""A ridge, relative to the mean pair weight, on every offset: it fixes the one freedom the pairs leave
(a common offset) at a zero sum, and leaves a window that overlaps nothing unchanged."""


def fit_window_offsets(dems: Sequence[np.ndarray], windows: Sequence[Window], stride: int, scale: int,
                       known: np.ndarray | None = None, known_mask: np.ndarray | None = None) -> np.ndarray:
    """(N,) offsets to add to N decoded windows' relative elevation.

    Args:
        dems: per window, (S, S) decoded relative elevation (S = window size in pixels).
        windows: the windows, in latent pixels, on a lattice of `stride` latent pixels.
        scale: pixels per latent pixel.
        known: (H, W) relative elevation of the canvas that is already fixed (an extension's old
            world), the reference for windows that overlap it; with `known_mask` (H, W) bool.
    """
    from scipy.sparse import coo_matrix, identity
    from scipy.sparse.linalg import spsolve

    count = len(windows)
    rows, columns, values, target = [], [], [], np.zeros(count)
    for k, l, gap, weight in _pair_gaps(dems, windows, stride, scale):
        rows += [k, l, k, l]
        columns += [k, l, l, k]
        values += [weight, weight, -weight, -weight]
        target[k] -= weight * gap
        target[l] += weight * gap
    if known is not None and known_mask is not None:
        for k, gap, weight in _known_gaps(dems, windows, scale, known, known_mask):
            rows.append(k)
            columns.append(k)
            values.append(weight)
            target[k] -= weight * gap
    if not values:
        return np.zeros(count)
    normal = coo_matrix((values, (rows, columns)), shape=(count, count)).tocsc()
    ridge = RIDGE * float(np.mean(np.abs(values)))
    return np.atleast_1d(spsolve(normal + ridge * identity(count, format="csc"), target))


def _pair_gaps(dems, windows, stride, scale):
    """(k, l, mean of d_k - d_l over their overlap, samples) for every overlapping pair of windows."""
    at = {(w.row, w.column): k for k, w in enumerate(windows)}
    per_window = windows[0].size // stride
    reach = range(1 - per_window, per_window)  # lattice offsets of the windows that overlap one
    for k, first in enumerate(windows):
        for d_row in reach:
            for d_column in reach:
                l = at.get((first.row + d_row * stride, first.column + d_column * stride))
                if l is None or l <= k:
                    continue
                second = windows[l]
                top, left = max(first.row, second.row), max(first.column, second.column)
                bottom = min(first.row + first.size, second.row + second.size)
                right = min(first.column + first.size, second.column + second.size)
                rows = slice(top * scale, bottom * scale, SAMPLE_STEP)
                columns = slice(left * scale, right * scale, SAMPLE_STEP)
                gap = _local(dems[k], first, scale, rows, columns) - _local(dems[l], second, scale, rows, columns)
                yield k, l, float(np.mean(gap, dtype=np.float64)), gap.size


def _known_gaps(dems, windows, scale, known, known_mask):
    """(k, mean of d_k - known over its known pixels, samples) for windows that overlap the known part."""
    for k, window in enumerate(windows):
        rows, columns = window.pixel_slices(scale)
        mask = known_mask[rows, columns][::SAMPLE_STEP, ::SAMPLE_STEP]
        if mask.any():
            reference = known[rows, columns][::SAMPLE_STEP, ::SAMPLE_STEP][mask]
            gap = dems[k][::SAMPLE_STEP, ::SAMPLE_STEP][mask] - reference
            yield k, float(np.mean(gap, dtype=np.float64)), gap.size


def _local(dem: np.ndarray, window: Window, scale: int, rows: slice, columns: slice) -> np.ndarray:
    """The part of a window's (S, S) array at canvas pixel rows / columns."""
    top, left = window.row * scale, window.column * scale
    return dem[rows.start - top:rows.stop - top:rows.step, columns.start - left:columns.stop - left:columns.step]
