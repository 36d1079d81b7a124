"""Co-registration primitives: reflectance scaling, crops, DEM upsampling, mask resizing."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.data.raster import (CropWindow, ReflectanceScaling, choose_crop, mask_to_latent, resize_nearest,
                              rgb_from_bands, upsample_bilinear, upsample_dem)


def test_reflectance_scaling_and_baseline_offset():
    dn = np.full((2, 2), 2000, np.uint16)
    old = rgb_from_bands(dn, dn, dn, ReflectanceScaling(), "S2A_MSIL2A_20200101T000000_N0214_R001_T32TMS_X")
    new = rgb_from_bands(dn, dn, dn, ReflectanceScaling(), "S2A_MSIL2A_20230101T000000_N0509_R001_T32TMS_X")
    assert old.shape == (2, 2, 3) and old.dtype == np.float32
    assert old[0, 0, 0] == pytest.approx(0.5) and new[0, 0, 0] == pytest.approx(0.25)
    assert rgb_from_bands(dn * 5, dn, dn, ReflectanceScaling())[0, 0, 0] == 1.0


def test_choose_crop_centre_random_and_refusal():
    assert choose_crop(96, 96, 64, None) == CropWindow(16, 16, 64)
    windows = {choose_crop(96, 96, 64, np.random.default_rng(s)) for s in range(20)}
    assert all(0 <= w.row <= 32 and 0 <= w.col <= 32 for w in windows) and len(windows) > 1
    assert choose_crop(96, 96, 64, np.random.default_rng(1)) == choose_crop(96, 96, 64, np.random.default_rng(1))
    with pytest.raises(ValueError, match="does not fit"):
        choose_crop(96, 96, 128, None)


def test_upsample_bilinear_preserves_linear_ramps_and_pixel_centres():
    ramp = np.tile(np.arange(8, dtype=np.float32), (8, 1))
    fine = upsample_bilinear(ramp, 3, CropWindow(0, 0, 24))
    # fine pixel 3j+1 is the centre of coarse pixel j
    np.testing.assert_allclose(fine[5, 1::3], ramp[0])
    np.testing.assert_allclose(np.diff(fine[5, 2:-2]), 1 / 3, atol=1e-5)
    window = upsample_bilinear(ramp, 3, CropWindow(4, 7, 10))
    np.testing.assert_allclose(window, fine[4:14, 7:17])


def test_upsample_dem_marks_pixels_touching_nodata_invalid():
    dem = np.full((6, 6), 100.0, np.float32)
    dem[2, 2] = -32767.0
    elevation, valid = upsample_dem(dem, 3, CropWindow(0, 0, 18))
    assert not valid[6:9, 6:9].any()
    assert valid[:4].all() and valid[:, 12:].all()
    assert np.all(elevation[valid] == 100.0) and np.all(elevation[~valid] == 0.0)


def test_mask_to_latent_requires_every_pixel_valid():
    mask = np.ones((16, 16), bool)
    mask[3, 12] = False
    latent = mask_to_latent(mask, 8)
    np.testing.assert_array_equal(latent, [[True, False], [True, True]])
    with pytest.raises(ValueError, match="multiple of the latent factor"):
        mask_to_latent(np.ones((12, 16), bool), 8)


def test_resize_nearest_upsamples_a_coarse_mask():
    coarse = np.array([[0, 1], [1, 0]], np.uint8)
    np.testing.assert_array_equal(resize_nearest(coarse, (4, 4)), np.kron(coarse, np.ones((2, 2), np.uint8)))
