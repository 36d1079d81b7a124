"""Off-screen renders (VTK's EGL/Mesa window, no display needed); small windows keep them fast."""

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.preview import contact_sheet, hypsometric_rgb, preview_mesh, render_terrain
from mesa.terrain import GenerationSettings, Terrain


def _hill(size=48):
    rows, columns = np.mgrid[0:size, 0:size] / (size - 1)
    return 300 * np.exp(-((rows - 0.5) ** 2 + (columns - 0.5) ** 2) / 0.05)


def test_render_returns_an_image_of_the_requested_size():
    image = render_terrain(_hill(), 20.0, window_size=(120, 80))
    assert image.shape == (80, 120, 3) and image.dtype == np.uint8
    assert image.std() > 5  # not a blank frame


def test_render_shows_the_texture():
    rgb = np.zeros((48, 48, 3), np.uint8)
    rgb[..., 0] = 230
    image = render_terrain(_hill(), 20.0, rgb=rgb, window_size=(96, 96)).astype(int)
    centre = image[36:60, 36:60]
    assert (centre[..., 0] > centre[..., 1] + 60).mean() > 0.9


def test_render_refuses_bad_input():
    with pytest.raises(UserError, match="NaN"):
        render_terrain(np.full((4, 4), np.nan), 1.0)
    with pytest.raises(UserError, match="same size"):
        render_terrain(_hill(), 1.0, rgb=np.zeros((5, 5, 3), np.uint8))


def test_preview_mesh_subsamples_but_keeps_the_tile_and_texture_in_place():
    mesh = preview_mesh(_hill(49), 10.0, max_triangles=800)
    assert mesh.triangle_count <= 800
    assert mesh.vertices[:, 1].max() == 480.0  # north edge stays at the full tile's north edge
    north_west = np.argmax(mesh.vertices[:, 1] - mesh.vertices[:, 0])
    np.testing.assert_allclose(mesh.uv[north_west], [0.5 / 49, 1 - 0.5 / 49])


def test_hypsometric_tints_run_from_green_to_snow():
    tints = hypsometric_rgb(np.array([[0.0, 1000.0]]))
    assert tints[0, 0, 1] > tints[0, 0, 0] and (tints[0, 1] > 240).all()


def test_contact_sheet_lays_out_prompts_by_seeds():
    terrains = [
        Terrain(
            rgb=np.full((16, 16, 3), 40 * seed, np.uint8),
            dem=_hill(16) / 300,
            elevation_m=_hill(16).astype(np.float32),
            meters_per_pixel=30.0,
            seed=seed,
            settings=GenerationSettings(prompt=prompt),
        )
        for prompt in ("alpine peaks", "desert dunes")
        for seed in (1, 2, 3)
    ]
    sheet = contact_sheet(terrains, tile_px=32)
    plain_cell = 2 * 32 + 2 + 6
    assert sheet.shape == (28 + 2 * (32 + 6), 200 + 3 * plain_cell, 3)
    # seed 2's RGB thumbnail of the first prompt is its flat colour
    assert (sheet[28 + 10, 200 + plain_cell + 10] == 80).all()
    with_render = contact_sheet(terrains[:1], tile_px=32, include_render=True)
    assert with_render.shape[1] == 200 + 3 * 32 + 4 + 6
