"""Follow a guide: strength 0 is plain generation, higher strengths hold the guide's large shapes,
seeds still differ, and wrong strengths, sizes and ranges are one clear error."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from mesa.control import follow_guide, guide_from_heightmap, guide_from_sketch
from mesa.control.hooks import gaussian_blur, pull_low_frequencies
from mesa.control.measures import lowpass_correlation
from mesa.errors import UserError


@pytest.mark.parametrize("strength", [-0.1, 1.5, float("nan"), "0.5", None])
def test_strength_outside_0_1_is_refused(tiny_pipeline, heightmap_m, strength):
    with pytest.raises(UserError, match="strength must be"):
        follow_guide(tiny_pipeline, guide_from_heightmap(heightmap_m), strength, "hills", [1], steps=2)


def test_strength_0_is_plain_generation(tiny_pipeline, heightmap_m):
    guided = follow_guide(tiny_pipeline, guide_from_heightmap(heightmap_m), 0.0, "hills", [4, 5], steps=3)
    plain = tiny_pipeline("hills", seeds=[4, 5], steps=3)
    for ours, theirs in zip(guided, plain):
        np.testing.assert_array_equal(ours.dem, theirs.dem)
        np.testing.assert_array_equal(ours.rgb, theirs.rgb)
        assert ours.control.mode == "guide" and ours.control.strength == 0.0


def test_relative_checkpoint_uses_the_guides_metres_unless_told(tiny_pipeline, heightmap_m):
    guide = guide_from_heightmap(heightmap_m)
    result = follow_guide(tiny_pipeline, guide, 0.5, "A Sentinel-2 image of mountains", [1], steps=2)[0]
    assert (result.settings.base_m, result.settings.relief_m) == pytest.approx((120.0, 860.0))
    told = follow_guide(tiny_pipeline, guide, 0.5, "mountains", [1], steps=2, relief_m=50.0, base_m=5.0)[0]
    assert (told.settings.base_m, told.settings.relief_m) == (5.0, 50.0)
    sketch = follow_guide(tiny_pipeline, guide_from_sketch(np.tile(np.arange(32, dtype=np.uint8)[None] * 8, (32, 1))),
                          0.5, "A Sentinel-2 image of mountains", [1], steps=2)[0]
    assert (sketch.settings.base_m, sketch.settings.relief_m) == (800.0, 1500.0)  # the landform table's mountains


def test_a_coarse_guide_is_resampled_but_another_aspect_ratio_is_refused(tiny_pipeline, heightmap_m):
    coarse = guide_from_heightmap(heightmap_m[::4, ::4])  # 8 x 8
    result = follow_guide(tiny_pipeline, coarse, 1.0, "hills", [1], steps=2, height=32, width=32)[0]
    assert result.elevation_m.shape == (32, 32)
    with pytest.raises(UserError, match="the guide is 16 x 32 px but the terrain is 32 x 32 px"):
        follow_guide(tiny_pipeline, guide_from_heightmap(heightmap_m[:, :16]), 1.0, "hills", [1], steps=2)


def test_flat_or_broken_guides_are_one_clear_error():
    with pytest.raises(UserError, match="flat"):
        guide_from_heightmap(np.full((16, 16), 3.0))
    with pytest.raises(UserError, match="NaN"):
        guide_from_heightmap(np.where(np.eye(16, dtype=bool), np.nan, 1.0))


def test_a_global_checkpoint_refuses_a_guide_outside_its_range(global_pipeline, heightmap_m):
    with pytest.raises(UserError, match="reads elevation from -100 to 8100 m"):
        follow_guide(global_pipeline, guide_from_heightmap(heightmap_m + 9000), 0.5, "hills", [1], steps=2)
    result = follow_guide(global_pipeline, guide_from_heightmap(heightmap_m), 0.5, "hills", [1], steps=2)[0]
    assert (result.settings.base_m, result.settings.relief_m) == (-100.0, 8200.0)


def test_the_hook_holds_the_guides_low_frequencies_only_while_active(tiny_pipeline, heightmap_m):
    request = tiny_pipeline.request("hills", [1, 2], steps=6)
    dem = (heightmap_m - heightmap_m.min()) / np.ptp(heightmap_m)
    guide = tiny_pipeline.encode(None, dem[None]).repeat(2, 1, 1, 1)
    noise, _ = tiny_pipeline.initial_noise(request.seeds, 32, 32)
    elevation = slice(4, None)

    def lowpass_distance(latents):
        return float((gaussian_blur(latents[:, elevation], 1.0) - gaussian_blur(guide[:, elevation], 1.0)).abs().mean())

    held = tiny_pipeline.sample_latents(request, hooks=[pull_low_frequencies(guide, elevation, noise, 1.0, 6)])
    free = tiny_pipeline.sample_latents(request)
    assert lowpass_distance(held) < 0.3 * lowpass_distance(free)
    assert not torch.allclose(held[0, elevation], held[1, elevation])  # the detail differs between seeds
    half = tiny_pipeline.sample_latents(request, hooks=[pull_low_frequencies(guide, elevation, noise, 1.0, 3)])
    assert lowpass_distance(held) < lowpass_distance(half) < lowpass_distance(free)


def test_mesa_tiny_follows_a_sketch_more_with_strength(mesa_tiny):
    rows, columns = np.mgrid[0:128, 0:128]
    sketch = np.full((128, 128, 3), 110, np.uint8)
    sketch[np.abs(columns - 40 - 10 * np.sin(rows / 20)) < 2] = (255, 0, 0)  # a ridge
    sketch[np.abs(columns - 92) < 2] = (0, 0, 255)  # a valley
    guide = guide_from_sketch(sketch)
    prompt = "A Sentinel-2 image of temperate broadleaf forests and mountains in France in June"
    scores = {}
    for strength in (0.0, 1.0):
        results = follow_guide(mesa_tiny, guide, strength, prompt, [1, 2], steps=20)
        scores[strength] = [lowpass_correlation(r.elevation_m, guide.heights01) for r in results]
    assert min(scores[1.0]) >= 0.8 and min(scores[1.0]) >= max(scores[0.0]) + 0.4


def test_a_checkpoints_overscan_does_not_shift_the_guide(tiny_pipeline, heightmap_m, monkeypatch):
    """Guides are registered to the tile's pixels: control samples without the checkpoint's overscan."""
    plain = follow_guide(tiny_pipeline, guide_from_heightmap(heightmap_m), 0.6, "hills", [4], steps=3)
    monkeypatch.setattr(tiny_pipeline, "defaults", replace(tiny_pipeline.defaults, overscan=8))
    [guided] = follow_guide(tiny_pipeline, guide_from_heightmap(heightmap_m), 0.6, "hills", [4], steps=3)
    assert guided.settings.overscan == 0
    np.testing.assert_array_equal(guided.dem, plain[0].dem)
