"""Masks: documented meanings of 0 and 1, height bands, curvature signs, quantisation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.finishing import MASKS, analyse_water, compute_masks, erode, parse_masks, quantise_mask
from mesa.finishing.masks import curvature_per_m, flow_mask, height_bands
from tests.finishing.conftest import MPP, tilted_plane


def test_slope_mask_is_degrees_over_ninety():
    plane = tilted_plane(slope_east=-math.tan(math.radians(45.0)))
    masks = compute_masks(["slope"], plane, MPP)
    np.testing.assert_allclose(masks["slope"], 0.5, atol=1e-5)


def test_height_bands_partition_the_range_and_blend_at_the_edges():
    elevation = np.linspace(0.0, 300.0, 301)[None, :].repeat(3, axis=0)
    bands = height_bands(elevation, (100.0, 200.0), blend_m=20.0)
    assert bands.shape == (3, 3, 301) and bands.dtype == np.float32
    np.testing.assert_allclose(bands.sum(axis=0), 1.0, atol=1e-6)
    assert bands[0, 0, 50] == 1.0 and bands[1, 0, 150] == 1.0 and bands[2, 0, 250] == 1.0
    assert bands[0, 0, 100] == pytest.approx(0.5) and bands[1, 0, 100] == pytest.approx(0.5)
    masks = compute_masks(["height_low", "height_mid", "height_high", "height"], elevation, MPP)
    total = masks["height_low"] + masks["height_mid"] + masks["height_high"]
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    np.testing.assert_allclose(masks["height"][0], np.linspace(0.0, 1.0, 301), atol=1e-6)
    with pytest.raises(UserError, match="increasing"):
        height_bands(elevation, (200.0, 100.0), 10.0)


def test_curvature_is_convex_on_a_hilltop_and_concave_in_a_hollow():
    rows, columns = np.mgrid[0:41, 0:41]
    radius_m = np.hypot(rows - 20, columns - 20) * MPP
    hill = 300.0 * np.exp(-((radius_m / 200.0) ** 2))
    curvature = curvature_per_m(hill, MPP)
    assert curvature[20, 20] > 0 and curvature_per_m(-hill, MPP)[20, 20] < 0
    masks = compute_masks(["convex", "concave"], hill, MPP)
    assert masks["convex"][20, 20] == 1.0 and masks["concave"][20, 20] == 0.0
    assert masks["concave"].max() == 1.0  # the foot of the hill bends upward
    assert 0.0 <= masks["convex"].min() and masks["convex"].max() <= 1.0


def test_flow_water_wear_and_deposit_masks_come_from_their_analyses():
    rows, columns = np.mgrid[0:40, 0:40].astype(np.float64)
    valley = 600.0 - 6.0 * rows + 4.0 * np.abs(columns - 20)
    water = analyse_water(valley, MPP, river_min_cells=30)
    erosion = erode(valley, MPP, "hydraulic", strength=0.3)
    masks = compute_masks(["flow", "water", "river", "lake", "wear", "deposit"], valley, MPP, water, erosion)
    assert masks["flow"][-1, 20] == 1.0 and masks["flow"][0, 0] == 0.0
    np.testing.assert_array_equal(masks["river"], water.river.astype(np.float32))
    assert masks["river"][-1, 20] == 1.0 and masks["lake"].max() == 0.0
    assert masks["wear"].max() == 1.0 and masks["deposit"].max() == 1.0
    assert not np.any((masks["wear"] > 0) & (masks["deposit"] > 0))
    np.testing.assert_allclose(flow_mask(np.ones((3, 3))), 0.0)


def test_quantise_mask_to_8_and_16_bits():
    mask = np.array([[0.0, 0.5, 1.0]])
    np.testing.assert_array_equal(quantise_mask(mask, 8), [[0, 128, 255]])
    assert quantise_mask(mask, 8).dtype == np.uint8
    np.testing.assert_array_equal(quantise_mask(mask, 16), [[0, 32768, 65535]])
    assert quantise_mask(mask, 16).dtype == np.uint16
    with pytest.raises(UserError, match="from 0 to 1"):
        quantise_mask(np.array([[1.2]]))
    with pytest.raises(UserError, match="from 0 to 1"):
        quantise_mask(np.array([[np.nan]]))
    with pytest.raises(UserError, match="8- or 16-bit"):
        quantise_mask(mask, 12)


def test_mask_names_are_checked_and_their_needs_enforced():
    assert parse_masks("slope, FLOW,slope") == ("slope", "flow")
    with pytest.raises(UserError, match="unknown mask"):
        parse_masks("slope,moss")
    plane = tilted_plane()
    with pytest.raises(UserError, match="water analysis"):
        compute_masks(["flow"], plane, MPP)
    with pytest.raises(UserError, match="erosion"):
        compute_masks(["wear"], plane, MPP)
    assert all(spec.description for spec in MASKS.values())
