"""Per-tile statistics on surfaces and images with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mesa.evaluation.elevation_statistics import (
    ELEVATION_STATISTICS,
    elevation_statistics,
    hypsometric_integral,
    laplacian_per_m,
    relief_m,
    ruggedness_m,
)
from mesa.evaluation.image_statistics import (
    IMAGE_STATISTICS,
    aridity,
    greenness,
    image_statistics,
    sharpness,
    snow_cover,
)
from mesa.evaluation.spectrum import periodic_component, spectral_slope

MPP = 30.0


def plane(slope_deg: float, azimuth_deg: float = 30.0, size: int = 48) -> np.ndarray:
    rows, columns = np.indices((size, size)) * MPP
    rise = math.tan(math.radians(slope_deg))
    east, north = math.sin(math.radians(azimuth_deg)), math.cos(math.radians(azimuth_deg))
    return 500.0 + rise * (east * columns - north * rows)


def power_law_surface(beta: float, size: int = 128, seed: int = 0) -> np.ndarray:
    """A non-periodic surface with radial power spectrum k^-beta: a corner of a periodic one twice its size."""
    rng = np.random.default_rng(seed)
    big = 2 * size
    k = np.hypot(np.fft.fftfreq(big)[:, None], np.fft.fftfreq(big)[None, :])
    k[0, 0] = 1.0
    spectrum = k ** (-beta / 2) * (rng.normal(size=(big, big)) + 1j * rng.normal(size=(big, big)))
    spectrum[0, 0] = 0.0
    return np.real(np.fft.ifft2(spectrum))[:size, :size]


@pytest.mark.parametrize("slope", [2.0, 17.0, 45.0])
def test_a_plane_has_the_slope_it_was_built_with(slope):
    stats = elevation_statistics(plane(slope), MPP)
    assert stats["mean_slope_deg"] == pytest.approx(slope, abs=1e-6)
    assert stats["p90_slope_deg"] == pytest.approx(slope, abs=1e-6)
    assert stats["curvature_std"] == pytest.approx(0.0, abs=1e-9)
    assert stats["hypsometric_integral"] == pytest.approx(0.5, abs=1e-9)
    assert math.isnan(stats["spectral_slope"])  # no texture to measure


def test_ruggedness_of_a_ramp_is_root_six_steps():
    step_m = 4.0
    ramp = np.tile(np.arange(20) * step_m, (20, 1))  # +4 m per column: six of eight neighbours differ by 4 m
    assert ruggedness_m(ramp) == pytest.approx(math.sqrt(6) * step_m)
    assert ruggedness_m(np.full((9, 9), 7.0)) == 0.0


def test_relief_hypsometry_and_laplacian_known_answers():
    ramp = np.tile(np.linspace(0, 1000, 101), (101, 1))
    assert relief_m(ramp) == pytest.approx(960.0)  # 98th - 2nd percentile of a uniform ramp
    assert hypsometric_integral(np.tile(np.linspace(0, 1, 401) ** 2, (5, 1))) == pytest.approx(1 / 3, abs=2e-3)
    assert hypsometric_integral(np.zeros((5, 5))) == 0.5
    rows, columns = np.indices((21, 21)) * MPP
    bowl = 0.002 * (rows**2 + columns**2)  # Laplacian 4 * 0.002 per metre
    np.testing.assert_allclose(laplacian_per_m(bowl, MPP), 0.008)


def test_white_noise_has_a_flat_spectrum():
    noise = np.random.default_rng(3).normal(size=(128, 128))
    assert spectral_slope(noise) == pytest.approx(0.0, abs=0.1)


@pytest.mark.parametrize("beta", [2.0, 3.0, 4.0])
def test_power_law_surfaces_give_their_exponent(beta):
    assert spectral_slope(power_law_surface(beta)) == pytest.approx(-beta, abs=0.15)


def test_the_periodic_part_removes_the_edge_jumps():
    surface = power_law_surface(3.0) + plane(10.0, size=128)
    periodic = periodic_component(surface)
    edge_jump = np.abs(periodic[0] - periodic[-1]).mean() + np.abs(periodic[:, 0] - periodic[:, -1]).mean()
    raw_jump = np.abs(surface[0] - surface[-1]).mean() + np.abs(surface[:, 0] - surface[:, -1]).mean()
    assert edge_jump < 0.05 * raw_jump


def test_statistics_cover_their_names():
    rng = np.random.default_rng(0)
    assert set(elevation_statistics(rng.normal(size=(16, 16)), MPP)) == set(ELEVATION_STATISTICS)
    assert set(image_statistics(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8))) == set(IMAGE_STATISTICS)


def uniform_image(colour) -> np.ndarray:
    return np.tile(np.rint(np.array(colour) * 255).astype(np.uint8), (8, 8, 1))


def test_colour_indices_of_known_colours():
    forest, desert, snow = uniform_image((0.1, 0.2, 0.1)), uniform_image((0.8, 0.68, 0.5)), uniform_image((0.85, 0.87, 0.9))
    assert greenness(forest) == pytest.approx((0.4 - 0.2) / 0.4, abs=0.02)  # after rounding to uint8
    assert aridity(desert) == pytest.approx(0.3 / 1.98, abs=0.01)
    assert greenness(forest) > greenness(desert) and aridity(desert) > aridity(forest)
    assert snow_cover(snow) == 1.0 and snow_cover(forest) == snow_cover(desert) == 0.0


def test_sharpness_sees_edges_not_flat_colour():
    stripes = np.zeros((16, 16, 3), np.uint8)
    stripes[:, ::2] = 255
    assert sharpness(uniform_image((0.3, 0.3, 0.3))) == 0.0
    assert sharpness(stripes) == pytest.approx(1.0)  # black and white alternate: a full step per pixel
    ramp = np.repeat(np.tile(np.linspace(0, 255, 16).astype(np.uint8), (16, 1))[..., None], 3, axis=-1)
    assert sharpness(ramp) == pytest.approx(1 / 15, abs=0.003)


def test_float_colour_in_unit_range_measures_as_its_8_bit_image():
    rng = np.random.default_rng(0)
    unit = rng.random((16, 16, 3)).astype(np.float32)
    eight_bit = np.round(unit * 255).astype(np.uint8)
    for measure in (greenness, aridity, snow_cover):
        assert measure(unit) == pytest.approx(measure(eight_bit), abs=0.01)
    snowy = np.full((8, 8, 3), 0.9, np.float32)  # the synthetic tiles' float colour: once read as black
    assert snow_cover(snowy) == 1.0


def test_colour_in_an_unreadable_form_is_refused_not_misread():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        greenness(np.full((4, 4, 3), 200.0))  # a 0..255 image in float
    with pytest.raises(TypeError, match="8-bit"):
        greenness(np.full((4, 4, 3), True))
