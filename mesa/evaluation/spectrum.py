"""Radially averaged power spectrum of an elevation tile and the slope of its log-log fit.

A tile is not periodic, and the FFT treats its opposite edges as neighbours: the jump between
them adds power that falls as k^-2 and hides the tile's own spectrum. Two steps remove it: the
least-squares plane is subtracted (the usual detrending of topographic spectra; a tilted tile
has the largest edge jumps), then the periodic + smooth decomposition (Moisan, "Periodic plus
smooth image decomposition", J. Math. Imaging Vis. 2011) splits off a smooth part that solves a
discrete Poisson equation whose source is the remaining edge jumps; the periodic part keeps the
tile's texture without them. A plane has no texture left (its slope is NaN); white noise keeps
a flat spectrum (slope 0); a surface synthesised with power k^-beta gives -beta.
"""

from __future__ import annotations

import numpy as np

MIN_CYCLES_PER_TILE = 2
"""Lowest radial frequency in the fit, cycles per tile side: 0 and 1 are the tile's mean and tilt."""


def periodic_component(elevation_m: np.ndarray) -> np.ndarray:
    """(H, W) float64 periodic part of `elevation_m` (H, W), same units (Moisan 2011)."""
    field = np.asarray(elevation_m, dtype=np.float64)
    height, width = field.shape
    boundary = np.zeros_like(field)
    row_jump, column_jump = field[-1, :] - field[0, :], field[:, -1] - field[:, 0]
    boundary[0, :] += row_jump
    boundary[-1, :] -= row_jump
    boundary[:, 0] += column_jump
    boundary[:, -1] -= column_jump
    rows = np.cos(2.0 * np.pi * np.arange(height) / height)[:, None]
    columns = np.cos(2.0 * np.pi * np.arange(width) / width)[None, :]
    laplacian = 2.0 * rows + 2.0 * columns - 4.0
    laplacian[0, 0] = 1.0
    smooth_hat = np.fft.fft2(boundary) / laplacian
    smooth_hat[0, 0] = 0.0
    return field - np.real(np.fft.ifft2(smooth_hat))


def detrended(elevation_m: np.ndarray) -> np.ndarray:
    """(H, W) float64 `elevation_m` minus its least-squares plane."""
    field = np.asarray(elevation_m, dtype=np.float64)
    rows, columns = np.indices(field.shape)
    design = np.column_stack([np.ones(field.size), rows.ravel(), columns.ravel()])
    coefficients, *_ = np.linalg.lstsq(design, field.ravel(), rcond=None)
    return field - (design @ coefficients).reshape(field.shape)


def radial_power_spectrum(elevation_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cycles_per_tile (K,), power (K,)) of the detrended periodic part, averaged over rings of
    integer radius 1..min(H, W) // 2 in cycles per tile side; power in m^2 (unnormalised FFT)."""
    periodic = periodic_component(detrended(elevation_m))
    height, width = periodic.shape
    power = np.abs(np.fft.fft2(periodic - periodic.mean())) ** 2
    side = min(height, width)
    radius = np.hypot(np.fft.fftfreq(height)[:, None], np.fft.fftfreq(width)[None, :]) * side
    ring = np.rint(radius).astype(np.int64)
    rings = np.arange(1, side // 2 + 1)
    totals = np.bincount(ring.ravel(), weights=power.ravel(), minlength=side)
    counts = np.bincount(ring.ravel(), minlength=side)
    return rings.astype(np.float64), totals[rings] / np.maximum(counts[rings], 1)


def spectral_slope(elevation_m: np.ndarray) -> float:
    """Least-squares slope of log power against log frequency over 2 .. min(H, W) / 2 cycles per
    tile: 0 for white noise, about -3 for a Brownian surface, steeper for smoother terrain.
    NaN for a tile without texture (a plane, a constant)."""
    field = np.asarray(elevation_m, dtype=np.float64)
    texture = detrended(field)
    if texture.std() <= 1e-9 * max(1.0, float(np.abs(field).max())):
        return float("nan")
    cycles, power = radial_power_spectrum(field)
    keep = (cycles >= MIN_CYCLES_PER_TILE) & (power > 0)
    if np.count_nonzero(keep) < 2:
        return float("nan")
    slope, _ = np.polyfit(np.log(cycles[keep]), np.log(power[keep]), 1)
    return float(slope)
