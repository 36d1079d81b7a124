"""generate_world on the reference fixture: the pipeline's own path for one tile, determinism, the
typed result, progress, cancel, bounds, and the relative-elevation path (the fixture has no elevation.json)."""

import json
import threading

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.pipeline import GenerationCancelled
from mesa.pipeline.elevation import elevation_scale
from mesa.world import World, generate_world, plan_world
from mesa.world.elevation import blended_field
from mesa.world.noise import cell_seed

from tests.world.conftest import SEED, STEPS


def test_a_one_tile_world_is_the_pipelines_terrain_bit_for_bit(tiny_pipeline):
    terrain = tiny_pipeline("hills", seeds=[SEED], steps=STEPS)[0]
    world = generate_world(tiny_pipeline, "hills", SEED, tiles=(1, 1), steps=STEPS)
    assert np.array_equal(world.rgb, terrain.rgb)
    assert np.array_equal(world.dem, terrain.dem)
    assert np.array_equal(world.elevation_m, terrain.elevation_m)


def test_the_same_seed_and_grid_give_the_same_world(tiny_pipeline, hills_world):
    again = generate_world(tiny_pipeline, "hills", SEED, tiles=(2, 1), steps=STEPS)
    assert np.array_equal(again.rgb, hills_world.rgb) and np.array_equal(again.elevation_m, hills_world.elevation_m)
    other = generate_world(tiny_pipeline, "hills", SEED + 1, tiles=(2, 1), steps=STEPS)
    assert np.abs(other.elevation_m - hills_world.elevation_m).mean() > 1.0


def test_a_cell_depends_on_its_neighbours_not_on_the_worlds_size(tiny_pipeline, hills_world):
    """Cell (0, 0) starts from the same noise in a 2 x 1 and a 3 x 1 world; only what fusion carries
    in from the third cell changes it, far less than another seed does."""
    wider = generate_world(tiny_pipeline, "hills", SEED, tiles=(3, 1), steps=STEPS)
    reseeded = generate_world(tiny_pipeline, "hills", SEED + 1, tiles=(2, 1), steps=STEPS)
    west = np.s_[:, :32]
    through_neighbours = np.abs(wider.elevation_m[west] - hills_world.elevation_m[west]).mean()
    other_seed = np.abs(reseeded.elevation_m[west] - hills_world.elevation_m[west]).mean()
    assert through_neighbours < 0.5 * other_seed


def test_the_world_is_typed_and_says_where_each_cell_came_from(hills_world, tiny_pipeline):
    world = hills_world
    assert isinstance(world, World)
    assert world.rgb.shape == (32, 64, 3) and world.rgb.dtype == np.uint8
    assert world.elevation_m.shape == (32, 64) and world.elevation_m.dtype == np.float32
    assert world.latents.shape == (8, 16, 32) and world.latents.dtype == np.float32
    assert world.meters_per_pixel == tiny_pipeline.meters_per_pixel == 10.0
    assert world.extent_m == (640.0, 320.0) and world.area_km2 == pytest.approx(0.2048)
    assert [(c.column, c.row, c.noise_seed) for c in world.cells] == [(0, 0, SEED), (1, 0, cell_seed(SEED, 1, 0))]
    assert world.cells[1].prompts == {"hills": 1.0} and world.cells[1].source == "generated"
    provenance = json.loads(json.dumps(world.provenance()))
    assert provenance["settings"]["seed"] == SEED and provenance["settings"]["sampler"] == "ddim"
    assert provenance["windows"] == 3 and provenance["overlap"] == 0.5 and len(provenance["cells"]) == 2
    tile = world.cell_terrain(1, 0)
    assert np.array_equal(tile.elevation_m, world.elevation_m[:, 32:]) and tile.seed == cell_seed(SEED, 1, 0)
    assert world.to_terrain().rgb.shape == (32, 64, 3)


def test_progress_covers_every_window_of_every_step_then_the_decode(tiny_pipeline):
    seen = []
    generate_world(tiny_pipeline, "hills", SEED, tiles=(2, 1), steps=STEPS, window_batch=2, callback=seen.append)
    denoise = [p for p in seen if p.phase == "denoise"]
    assert [(p.step, p.windows_done) for p in denoise] == [(1, 2), (1, 3), (2, 2), (2, 3)]
    assert all(p.windows_total == 3 and p.total_steps == STEPS for p in seen)
    assert [p.phase for p in seen[-2:]] == ["decode", "decode"] and seen[-1].fraction == 1.0
    assert all(a.fraction < b.fraction for a, b in zip(seen, seen[1:]))


def test_cancel_stops_a_world_within_a_step(tiny_pipeline):
    cancel = threading.Event()
    calls = []

    def stop(progress):
        calls.append(progress)
        cancel.set()

    with pytest.raises(GenerationCancelled):
        generate_world(tiny_pipeline, "hills", SEED, tiles=(2, 1), steps=STEPS, window_batch=1, callback=stop,
                       cancel=cancel)
    assert len(calls) == 1


def test_a_world_too_large_for_memory_is_refused_before_any_work(tiny_pipeline, monkeypatch):
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", "0.4")  # one tile fits
    with pytest.raises(UserError, match=r"^a world of 64 x 64 tiles \(2048 x 2048 px, 4 windows per call\) needs "
                                        r"about .* use fewer tiles or a smaller window_batch$"):
        plan_world(tiny_pipeline, "hills", SEED, tiles=(64, 64))
    plan_world(tiny_pipeline, "hills", SEED, tiles=(2, 2))


@pytest.mark.parametrize("kwargs, message", [
    ({"sampler": "euler-a"}, "cannot make worlds"),
    ({"overlap": 0.3}, "overlap 0.3 is not accepted"),
    ({"tiles": (0, 2)}, "columns must be an integer"),
    ({"window_batch": 0}, "window_batch must be an integer"),
    ({"steps": 0}, "steps must be an integer"),
    ({"prompts": [["a"], ["b", "c"]]}, "same number of prompts"),
])
def test_bad_requests_are_refused_with_one_line(tiny_pipeline, kwargs, message):
    arguments = {"prompts": "hills", "seed": SEED, "tiles": (2, 1), **kwargs}
    with pytest.raises(UserError, match=message):
        plan_world(tiny_pipeline, **arguments)


def test_the_plan_describes_the_run(tiny_pipeline):
    plan = plan_world(tiny_pipeline, "hills", SEED, tiles=(3, 2), steps=5, window_batch=4)
    assert plan.extent_km == (0.96, 0.64) and plan.unet_calls == 5 * 4 and len(plan.layout.windows) == 15
    assert plan.describe().startswith("3 x 2 tiles (0.96 x 0.64 km, 96 x 64 px), 15 windows at 0.5 overlap")


def test_one_prompt_on_a_relative_model_is_one_affine_map_to_metres(hills_world, tiny_pipeline):
    scale = elevation_scale("hills", tiny_pipeline.checkpoint_elevation)
    assert (scale.base_m, scale.relief_m) == (200.0, 300.0)
    np.testing.assert_array_equal(hills_world.elevation_m,
                                  (scale.base_m + hills_world.dem * scale.relief_m).astype(np.float32))
    assert hills_world.elevation_method.startswith("relative: one fused relative field, one affine map")


def test_a_landform_map_ramps_base_and_relief_over_the_windows_instead_of_stepping(landform_world, tiny_pipeline):
    world = landform_world
    assert [(s.base_m, s.relief_m) for s in world.scales] == [(100.0, 60.0), (800.0, 1500.0)]
    relief = blended_field(world.layout, world.prompt_map, [s.relief_m for s in world.scales])
    base = blended_field(world.layout, world.prompt_map, [s.base_m for s in world.scales])
    np.testing.assert_allclose(world.elevation_m, base + world.dem * relief, rtol=1e-6)
    profile = relief[0]
    assert profile[0] == 60.0 and profile[-1] == 1500.0
    assert np.all(np.diff(profile) >= 0) and np.diff(profile).max() < 0.1 * (1500 - 60)
    naive = generate_world(tiny_pipeline, [["plains", "mountains"]], SEED, tiles=(2, 1), steps=1, overlap=0)
    naive_relief = blended_field(naive.layout, naive.prompt_map, [s.relief_m for s in naive.scales])[0]
    assert np.diff(naive_relief).max() == 1500 - 60  # independent tiles: the metres step at the border
    assert "blended with the window weights" in world.elevation_method
