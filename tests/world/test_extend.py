"""extend_world on the reference fixture: the existing part stays bit for bit, new cells get their
own noise and provenance, terrains extend too; the boundary join on arrays with a known answer."""

import numpy as np
import pytest
from mesa.errors import UserError
from mesa.terrain import Terrain
from mesa.world import extend_world
from mesa.world.extend import Seam
from mesa.world.noise import cell_seed

from tests.world.conftest import SEED, STEPS

KEPT = {  # where the 2 x 1 world (32 x 64 px) lies in the grown one
    "east": np.s_[:, :64],
    "west": np.s_[:, 32:],
    "south": np.s_[:32, :],
    "north": np.s_[32:, :],
}


@pytest.mark.parametrize("direction", list(KEPT))
def test_the_existing_world_stays_bit_for_bit(tiny_pipeline, hills_world, direction):
    grown = extend_world(tiny_pipeline, hills_world, direction)
    kept = KEPT[direction]
    assert np.array_equal(grown.rgb[kept], hills_world.rgb)
    assert np.array_equal(grown.elevation_m[kept], hills_world.elevation_m)
    assert np.array_equal(grown.dem[kept], hills_world.dem)
    latent_kept = tuple(slice(None if s.start is None else s.start // 2, None if s.stop is None else s.stop // 2)
                        for s in kept)
    assert np.array_equal(grown.latents[(slice(None), *latent_kept)], hills_world.latents)
    assert np.isfinite(grown.elevation_m).all()


def test_new_cells_get_their_own_noise_and_say_they_are_extensions(tiny_pipeline, hills_world):
    west = extend_world(tiny_pipeline, hills_world, "west")
    assert west.origin == (-1, 0) and (west.columns, west.rows) == (3, 1)
    new = west.cell(0, 0)
    assert (new.column, new.row, new.source, new.generation) == (-1, 0, "extension", 1)
    assert new.noise_seed == cell_seed(SEED, -1, 0)
    assert west.cell(1, 0) == hills_world.cell(0, 0)
    north = extend_world(tiny_pipeline, west, "north", prompt="mountains")
    assert north.origin == (-1, -1) and north.cell(0, 0).generation == 2
    assert north.prompt_map.prompts == ("hills", "mountains") and north.cell(2, 0).prompts == {"mountains": 1.0}
    assert (north.scales[1].base_m, north.scales[1].relief_m) == (800.0, 1500.0)
    assert north.history[-1] == "extended north to 3 x 2 tiles with 'mountains'"


def test_a_terrain_extends_with_its_own_metres(tiny_pipeline):
    terrain = tiny_pipeline("hills", seeds=[3], steps=STEPS, relief_m=123.0, base_m=-40.0)[0]
    grown = extend_world(tiny_pipeline, terrain, "east")
    assert grown.rgb.shape == (32, 64, 3)
    assert np.array_equal(grown.rgb[:, :32], terrain.rgb)
    assert np.array_equal(grown.elevation_m[:, :32], terrain.elevation_m)
    assert grown.scales[0].base_m == pytest.approx(-40.0, abs=1e-3)
    assert grown.scales[0].relief_m == pytest.approx(123.0, rel=1e-5)
    assert grown.cell(0, 0).source == "terrain" and grown.cell(0, 0).noise_seed == 3
    assert grown.cell(1, 0).noise_seed == cell_seed(3, 1, 0)


def test_terrains_that_are_not_whole_tiles_of_this_model_are_refused(tiny_pipeline):
    terrain = tiny_pipeline("hills", seeds=[3], steps=1)[0]
    settings = terrain.settings
    half = Terrain(terrain.rgb[:, :16], terrain.dem[:, :16], terrain.elevation_m[:, :16], 10.0, 3, settings)
    with pytest.raises(UserError, match="whole tiles of 32 px"):
        extend_world(tiny_pipeline, half, "east")
    coarse = Terrain(terrain.rgb, terrain.dem, terrain.elevation_m, 30.0, 3, settings)
    with pytest.raises(UserError, match="30 m/px but the model makes 10 m/px"):
        extend_world(tiny_pipeline, coarse, "east")
    with pytest.raises(UserError, match="unknown direction 'up'"):
        extend_world(tiny_pipeline, terrain, "up")


def test_the_seam_continues_the_existing_trend_and_shifts_only_low_frequencies():
    rows, columns = np.mgrid[0:32, 0:64]
    existing = 2.0 * columns + 0.0 * rows  # a slope of 2 per pixel eastwards
    texture = np.sin(rows * 2.1) * 0.5  # high-frequency detail along the boundary
    decoded = existing - 30.0 + texture  # the decoder is 30 low (a tone / height offset) and adds detail
    decoded[:, :40] = existing[:, :40]  # (only the new part matters here)
    joined = Seam("east", known_extent=40, fade_px=8, smooth_px=4.0, edge_px=0).join(existing, decoded)
    step = joined[:, 40] - existing[:, 39]
    assert np.abs(step - 2.0).mean() < 0.5  # continues the slope instead of dropping by 30
    assert np.allclose(joined[:, 48:], decoded[:, 48:])  # the correction has faded out
    assert np.array_equal(joined[:, :40], decoded[:, :40])


@pytest.mark.parametrize("direction, first_new", [
    ("east", np.s_[:, 10]), ("west", np.s_[:, 19]), ("south", np.s_[10, :]), ("north", np.s_[19, :]),
])
def test_the_seam_works_the_same_way_in_every_direction(direction, first_new):
    base = np.add.outer(np.arange(30.0), np.arange(30.0))  # a plane rising south-east, 1 per pixel
    joined = Seam(direction, known_extent=10, fade_px=4, smooth_px=1.0, edge_px=0).join(base, base + 7.0)
    np.testing.assert_allclose(joined[first_new], base[first_new], atol=0.01)  # the 7 offset is gone there


def test_a_world_saved_in_another_elevation_latent_is_re_expressed_in_the_models(tiny_pipeline, hills_world,
                                                                                 tmp_path, reference_dir):
    import json
    import shutil

    import torch

    from mesa.data.normalization import ElevationLatent
    from mesa.pipeline import TerrainPipeline
    from mesa.world.storage import load_world, save_world

    save_world(hills_world, tmp_path / "saved")
    document = json.loads((tmp_path / "saved" / "world.json").read_text())
    assert document["settings"]["elevation_latent"] == {"shift": [], "scale": 1.0}
    del document["settings"]["elevation_latent"]  # as a world saved before the field
    (tmp_path / "saved" / "world.json").write_text(json.dumps(document))
    old = load_world(tmp_path / "saved")
    assert old.settings.elevation_latent.is_identity
    latent = ElevationLatent((0.5, -1.0, 2.0, 0.25), 3.0)
    model = shutil.copytree(reference_dir / "pipeline", tmp_path / "model")
    (model / "elevation.json").write_text(json.dumps({"mode": "per_tile", "latent": latent.to_json()}))
    pipe = TerrainPipeline.from_pretrained(model)
    grown = extend_world(pipe, old, "east")
    kept = grown.latents[:, :, :old.latents.shape[2]]
    assert np.array_equal(kept[:4], old.latents[:4])
    expected = latent.to_unet(torch.from_numpy(old.latents[None, 4:]))[0].numpy()
    assert np.allclose(kept[4:], expected, atol=1e-5)
    assert np.array_equal(grown.rgb[:, :64], old.rgb) and grown.settings.elevation_latent == latent
