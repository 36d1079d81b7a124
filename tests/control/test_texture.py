"""Texture mode: the user's elevation comes back bit for bit; the image follows it; bad maps are one error."""

import threading

import numpy as np
import pytest

from mesa.control import ControlledTerrain, texture_heightmap
from mesa.errors import UserError
from mesa.pipeline import GenerationCancelled
from mesa.terrain import Terrain

FAST = {"steps": 2, "relit_strength": 0.5}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elevation_comes_back_bit_for_bit(tiny_pipeline, heightmap_m, dtype):
    elevation = heightmap_m.astype(dtype) + dtype(0.1234567)  # bits a float32 cast would change for float64
    results = texture_heightmap(tiny_pipeline, elevation, 10.0, "hills", [1, 2], **FAST)
    assert len(results) == 2 and all(isinstance(r, Terrain) and isinstance(r, ControlledTerrain) for r in results)
    for result in results:
        assert result.elevation_m.dtype == dtype and result.elevation_m.tobytes() == elevation.tobytes()
        assert result.elevation_m is not elevation  # a copy: editing the result leaves the input alone
        assert result.rgb.shape == (32, 32, 3) and result.rgb.dtype == np.uint8
        assert result.meters_per_pixel == 10.0
        assert result.settings.base_m == pytest.approx(float(elevation.min()))
        np.testing.assert_allclose(result.settings.base_m + result.dem * result.settings.relief_m, elevation,
                                   rtol=1e-5)
        assert result.control.mode == "texture" and result.provenance()["control"]["details"]["resampled"] is False
    assert not np.array_equal(results[0].rgb, results[1].rgb)  # seeds give different images


def test_other_sizes_are_sampled_on_the_nearest_accepted_size_and_returned_at_theirs(tiny_pipeline, heightmap_m):
    elevation = heightmap_m[:27, :30]  # not multiples of 16: sampled at 32 x 32
    result = texture_heightmap(tiny_pipeline, elevation, None, "hills", [3], **FAST)[0]
    assert result.rgb.shape == (27, 30, 3) and result.elevation_m.tobytes() == elevation.tobytes()
    assert result.control.details["working_size"] == [32, 32] and result.control.details["resampled"] is True
    assert result.meters_per_pixel == tiny_pipeline.meters_per_pixel


def test_a_flat_map_is_textured_with_a_zero_dem(tiny_pipeline):
    flat = np.full((32, 32), 250.0, dtype=np.float32)
    result = texture_heightmap(tiny_pipeline, flat, 10.0, "plains", [1], **FAST)[0]
    assert result.elevation_m.tobytes() == flat.tobytes() and not result.dem.any()


@pytest.mark.parametrize(
    "elevation, message",
    [
        (np.where(np.eye(32, dtype=bool), np.nan, 1.0), r"32 NaN or infinite value\(s\), first at row 0, column 0"),
        (np.ones(32), "2-D"),
        (np.ones((4, 4)), "at least 8 x 8"),
        (np.ones((32, 32), dtype=complex), "real numbers"),
        (np.full((32, 32), 3e5), "unit mistake"),
    ],
)
def test_bad_heightmaps_are_one_clear_error(tiny_pipeline, elevation, message):
    with pytest.raises(UserError, match=message):
        texture_heightmap(tiny_pipeline, elevation, 10.0, "hills", [1], **FAST)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"relief_guidance": float("nan")}, "relief_guidance"),
        ({"relit_strength": 0.0}, "relit_strength"),
        ({"relit_strength": 1.5}, "relit_strength"),
        ({"steps": 0}, "steps"),
    ],
)
def test_bad_settings_are_one_clear_error(tiny_pipeline, heightmap_m, options, message):
    with pytest.raises(UserError, match=message):
        texture_heightmap(tiny_pipeline, heightmap_m, 10.0, "hills", [1], **{**FAST, **options})


def test_a_global_checkpoint_refuses_a_map_outside_its_range(global_pipeline, heightmap_m):
    with pytest.raises(UserError, match=r"spans -500.0..980.0 m but this model .* reads elevation from -100 to 8100 m"):
        texture_heightmap(global_pipeline, np.minimum(heightmap_m, 980.0) - 620 * (heightmap_m < 130), 60.0,
                          "hills", [1], **FAST)
    result = texture_heightmap(global_pipeline, heightmap_m, 60.0, "hills", [1], **FAST)[0]
    assert result.elevation_m.tobytes() == heightmap_m.tobytes()
    assert result.control.details["elevation"] == "checkpoint elevation.json"


def test_progress_counts_both_passes_and_cancel_stops(tiny_pipeline, heightmap_m):
    seen = []
    texture_heightmap(tiny_pipeline, heightmap_m, 10.0, "hills", [1], steps=4, relit_strength=0.5,
                      callback=lambda p: seen.append((p.step, p.total_steps)))
    assert seen == [(step, 6) for step in range(1, 7)]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(GenerationCancelled):
        texture_heightmap(tiny_pipeline, heightmap_m, 10.0, "hills", [1], cancel=cancel, **FAST)


def test_mesa_tiny_colours_follow_the_users_relief(mesa_tiny, held_out_tiles):
    """Shading correlation with the map's hillshade under the data's sun, against the same image
    scored on another tile's hillshade (benchmarks/bench_control.py has the full figures)."""
    from recipes.mesa_tiny.quality import shading_correlation

    first, second = held_out_tiles
    result = texture_heightmap(mesa_tiny, first.elevation_m, first.meters_per_pixel, first.prompt, [1], steps=20)[0]
    assert result.elevation_m.tobytes() == first.elevation_m.tobytes()
    own, other = shading_correlation(result, first.elevation_m), shading_correlation(result, second.elevation_m)
    assert own >= 0.2 and own >= other + 0.15
