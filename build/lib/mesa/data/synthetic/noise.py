"""Seeded, vectorised noise in physical units: octave bands, fBm, ridged multifractal, warping.

Noise is synthesised spectrally: one white-noise field is FFT'd once and split into octave
bands (Gaussian in log-frequency), so every octave costs one inverse FFT and the wavelengths are
given in metres — a tile looks the same at 64 px or 256 px, only sharper.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates

PAD_FACTOR = 1.5
"""The field is synthesised on a grid this much larger and cropped, hiding the FFT's wrap-around."""


def noise_bands(
    shape: tuple[int, int],
    meters_per_pixel: float,
    rng: np.random.Generator,
    largest_wavelength_m: float = 7680.0,
    n_octaves: int = 8,
) -> np.ndarray:
    """Band-limited noise, one octave per band.

    Band k has its energy around the wavelength `largest_wavelength_m / 2**k`; bands whose
    wavelength is shorter than two pixels (above Nyquist) are left out.

    Returns:
        (K, H, W) float32, each band zero-mean with unit standard deviation, K <= n_octaves.
    """
    height, width = shape
    pad_h, pad_w = int(height * PAD_FACTOR), int(width * PAD_FACTOR)
    spectrum = np.fft.rfft2(rng.standard_normal((pad_h, pad_w)))
    fy = np.fft.fftfreq(pad_h, d=meters_per_pixel)[:, None]
    fx = np.fft.rfftfreq(pad_w, d=meters_per_pixel)[None, :]
    log_f = np.log2(np.maximum(np.hypot(fy, fx), 1e-12))
    nyquist_wavelength_m = 2.0 * meters_per_pixel
    bands = []
    for k in range(n_octaves):
        wavelength_m = largest_wavelength_m / 2.0**k
        if wavelength_m < nyquist_wavelength_m:
            break
        weight = np.exp(-0.5 * ((log_f + np.log2(wavelength_m)) / 0.5) ** 2)
        band = np.fft.irfft2(spectrum * weight, s=(pad_h, pad_w))[:height, :width]
        bands.append((band - band.mean()) / (band.std() + 1e-12))
    return np.asarray(bands, dtype=np.float32)


def fbm(bands: np.ndarray, persistence: float = 0.5) -> np.ndarray:
    """Fractional Brownian motion: octave k weighted by `persistence**k`.

    Args:
        bands: (K, H, W) from `noise_bands`.
    Returns:
        (H, W) float32, zero mean, unit standard deviation.
    """
    weights = persistence ** np.arange(bands.shape[0], dtype=np.float32)
    field = np.tensordot(weights, bands, axes=1)
    return ((field - field.mean()) / (field.std() + 1e-12)).astype(np.float32)


def ridged(bands: np.ndarray, persistence: float = 0.5, gain: float = 2.0) -> np.ndarray:
    """Ridged multifractal (Musgrave 1994): sharp crests where each octave crosses zero.

    Each octave contributes `(1 - tanh|n_k|)**2`, weighted by the previous octave's signal so
    detail gathers on the ridges and the valleys stay smooth.

    Returns:
        (H, W) float32 in [0, 1].
    """
    total = np.zeros(bands.shape[1:], dtype=np.float32)
    weight = np.ones_like(total)
    norm = 0.0
    for k, band in enumerate(bands):
        signal = (1.0 - np.tanh(np.abs(band))) ** 2 * weight
        total += signal * persistence**k
        norm += persistence**k
        weight = np.clip(signal * gain, 0.0, 1.0)
    return total / norm


def warp(field: np.ndarray, offset_rows_px: np.ndarray, offset_cols_px: np.ndarray) -> np.ndarray:
    """Domain warping: sample `field` at (row + offset_rows_px, col + offset_cols_px), bilinear.

    Args:
        field, offset_rows_px, offset_cols_px: (H, W); offsets in pixels.
    Returns:
        (H, W) float32.
    """
    rows, cols = np.indices(field.shape, dtype=np.float32)
    coords = np.stack([rows + offset_rows_px, cols + offset_cols_px])
    return map_coordinates(field, coords, order=1, mode="reflect").astype(np.float32)


def rescale_to_relief(field: np.ndarray, relief_m: float, base_m: float) -> np.ndarray:
    """Map a field so its 2nd percentile lands on `base_m` and its 98th on `base_m + relief_m`.

    Returns:
        (H, W) float32 elevation in metres.
    """
    low, high = np.percentile(field, [2.0, 98.0])
    span = max(float(high - low), 1e-9)
    return ((field - low) * (relief_m / span) + base_m).astype(np.float32)
