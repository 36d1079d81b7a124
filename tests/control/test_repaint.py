"""Repaint: outside the mask nothing changes (both arrays, bit for bit), inside it does, the border
is continuous, and masks of the wrong size or with grey pixels are one clear error."""

import numpy as np
import pytest
import torch

from mesa.control import check_mask, repaint
from mesa.control.measures import border_ratio, max_change_outside
from mesa.control.repaint import feather, latent_keep
from mesa.errors import UserError


@pytest.fixture(scope="module")
def terrain(tiny_pipeline):
    return tiny_pipeline("hills", seeds=[7], steps=3)[0]


def square_mask(size: int = 32) -> np.ndarray:
    mask = np.zeros((size, size), bool)
    mask[8:22, 10:26] = True
    return mask


def test_outside_the_mask_is_bit_for_bit_the_original(tiny_pipeline, terrain):
    mask = square_mask()
    results = repaint(tiny_pipeline, terrain, mask, "mountains", [11, 12], steps=3)
    for result in results:
        assert np.array_equal(result.rgb[~mask], terrain.rgb[~mask])
        assert result.elevation_m.dtype == terrain.elevation_m.dtype
        assert result.elevation_m[~mask].tobytes() == terrain.elevation_m[~mask].tobytes()
        assert np.array_equal(result.dem[~mask], terrain.dem[~mask])
        assert max_change_outside(terrain.elevation_m, result.elevation_m, ~mask) > 0  # the inside changed
        assert (result.settings.relief_m, result.settings.base_m) == (terrain.settings.relief_m, terrain.settings.base_m)
        assert result.settings.prompt == "mountains" and result.control.mode == "repaint"
    assert not np.array_equal(results[0].elevation_m, results[1].elevation_m)
    same_prompt = repaint(tiny_pipeline, terrain, mask.astype(np.uint8) * 255, None, [11], steps=3)[0]
    assert same_prompt.settings.prompt == "hills"


def test_a_terrain_of_another_size_is_repainted_on_its_own_grid(tiny_pipeline, terrain):
    cropped = type(terrain)(terrain.rgb[:30, :29], terrain.dem[:30, :29], terrain.elevation_m[:30, :29],
                            terrain.meters_per_pixel, terrain.seed, terrain.settings)
    mask = square_mask()[:30, :29]
    result = repaint(tiny_pipeline, cropped, mask, None, [2], steps=2)[0]
    assert result.rgb.shape == (30, 29, 3) and np.array_equal(result.rgb[~mask], cropped.rgb[~mask])


@pytest.mark.parametrize(
    "mask, message",
    [
        (np.ones((16, 32), bool), "the mask is 32 x 16 px but the terrain is 32 x 32 px"),
        (np.full((32, 32), 127, np.uint8), r"only 0 \(keep\) and 255 \(repaint\).*127"),
        (np.full((32, 32), 0.5), r"only 0 \(keep\) and 1 \(repaint\)"),
        (np.zeros((32, 32), bool), "selects no pixel"),
        (np.dstack([np.full((32, 32), 255, np.uint8), np.zeros((32, 32), np.uint8), np.zeros((32, 32), np.uint8)]),
         "black and white"),
    ],
)
def test_bad_masks_are_one_clear_error(mask, message):
    with pytest.raises(UserError, match=message):
        check_mask(mask, (32, 32))


def test_mask_forms_agree():
    mask = square_mask()
    for form in (mask, mask.astype(np.uint8), mask.astype(np.uint8) * 255, np.dstack([mask * 255] * 3).astype(np.uint8)):
        assert np.array_equal(check_mask(form, (32, 32)), mask)


def test_bad_feather_is_refused(tiny_pipeline, terrain):
    with pytest.raises(UserError, match="feather_px"):
        repaint(tiny_pipeline, terrain, square_mask(), None, [1], steps=2, feather_px=0)


def test_feather_lies_inside_the_mask_and_rises_smoothly():
    mask = square_mask()
    alpha = feather(mask, 4.0)
    assert not alpha[~mask].any()
    edge = mask & ~np.pad(mask, 1)[2:, 1:-1]  # mask pixels whose southern neighbour is outside
    assert not alpha[edge].any()
    assert alpha[15, 18] == 1.0  # 4 px or more inside
    column = alpha[8:16, 18]
    assert (np.diff(column) >= 0).all() and 0 < column[2] < 1


def test_only_latent_cells_clear_of_the_mask_are_held():
    mask = np.zeros((16, 16), bool)
    mask[5, 5] = True  # touches the latent cell (2, 2) at factor 2
    keep = latent_keep(mask, 2, 8)
    assert keep.shape == (1, 8, 8, 8) and keep[0, :, 2, 2].eq(0).all() and keep.sum() == 8 * 63
    assert torch.equal(keep[0, 0], keep[0, 7])


def test_mesa_tiny_border_is_continuous(mesa_tiny):
    prompt = "A Sentinel-2 image of montane forests and mountains in Mexico in August"
    original = mesa_tiny(prompt, seeds=[7], steps=20)[0]
    rows, columns = np.mgrid[0:128, 0:128]
    mask = (rows - 64) ** 2 + (columns - 58) ** 2 <= 24**2
    result = repaint(mesa_tiny, original, mask, "A Sentinel-2 image of deserts and canyons in Mexico in August",
                     [11], steps=20)[0]
    assert max_change_outside(original.elevation_m, result.elevation_m, mask) == 0.0
    assert max_change_outside(original.rgb, result.rgb, mask) == 0.0
    assert np.abs(result.elevation_m - original.elevation_m)[mask].mean() > 10.0  # it did change inside
    assert border_ratio(result.elevation_m, mask) <= 1.2
    assert border_ratio(result.rgb, mask) <= 1.2
