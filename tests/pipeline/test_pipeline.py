import json
import logging
import threading
from dataclasses import replace

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.pipeline import GenerationCancelled
from mesa.pipeline.pipeline import SamplingDefaults
from mesa.pipeline.samplers import SAMPLERS

SIZE = 32


def generate(pipe, prompt="broadleaf forests and hills", **kwargs):
    kwargs = {"seeds": [1], "steps": 3, "height": SIZE, "width": SIZE, **kwargs}
    return pipe(prompt, **kwargs)


@pytest.mark.parametrize("case_index", [0, 1])
def test_ddim_matches_published_reference(tiny_pipeline, reference_cases, case_index):
    cases, expected = reference_cases
    case = cases["cases"][case_index]
    request = tiny_pipeline.request(case["prompt"], [case["seed"]], case["steps"], case["guidance"], sampler="ddim",
                                    height=cases["height"], width=cases["width"])
    latents = tiny_pipeline.sample_latents(request)
    image, dem = tiny_pipeline.decode(latents)
    assert np.abs(image[0] - expected[f"case{case_index}_image"]).max() <= 1e-4
    assert np.abs(dem[0] - expected[f"case{case_index}_dem"]).max() <= 1e-4


def test_terrain_fields_follow_the_reference_decode(tiny_pipeline, reference_cases):
    cases, expected = reference_cases
    case = cases["cases"][0]
    [terrain] = tiny_pipeline(case["prompt"], seeds=[case["seed"]], steps=case["steps"], guidance=case["guidance"],
                              height=SIZE, width=SIZE)
    assert terrain.rgb.dtype == np.uint8 and terrain.rgb.shape == (SIZE, SIZE, 3)
    np.testing.assert_array_equal(terrain.rgb, np.round(expected["case0_image"] * 255).astype(np.uint8))
    assert terrain.dem.dtype == np.float32
    np.testing.assert_allclose(terrain.dem, expected["case0_dem"].mean(-1), atol=1e-4)
    # "mountains" in the prompt -> the landform table's base and relief
    assert terrain.settings.relief_m == 1500 and terrain.settings.base_m == 800
    np.testing.assert_allclose(terrain.elevation_m, 800 + terrain.dem * 1500, rtol=1e-6)
    assert terrain.meters_per_pixel == 10.0
    assert terrain.seed == 42 and terrain.settings.sampler == "ddim" and terrain.settings.steps == 4


def test_dem_is_not_quantised(tiny_pipeline):
    [terrain] = generate(tiny_pipeline)
    assert len(np.unique(terrain.dem)) > 256


def test_same_seed_same_terrain_and_different_seeds_differ(tiny_pipeline):
    a, b = generate(tiny_pipeline, seeds=[5, 6])
    again, _ = generate(tiny_pipeline, seeds=[5, 6])
    np.testing.assert_array_equal(a.dem, again.dem)
    np.testing.assert_array_equal(a.rgb, again.rgb)
    assert np.abs(a.dem - b.dem).max() > 1e-3


@pytest.mark.parametrize("sampler", list(SAMPLERS))
def test_seed_in_a_batch_equals_seed_alone_for_every_sampler(tiny_pipeline, sampler):
    batch = generate(tiny_pipeline, seeds=[3, 42, 9], sampler=sampler)
    [alone] = generate(tiny_pipeline, seeds=[42], sampler=sampler)
    assert batch[1].settings.sampler == sampler
    np.testing.assert_allclose(batch[1].dem, alone.dem, atol=1e-5)
    assert np.isfinite(batch[0].elevation_m).all()


def test_samplers_are_distinct_algorithms(tiny_pipeline):
    dems = {s: generate(tiny_pipeline, sampler=s)[0].dem for s in SAMPLERS}
    assert np.abs(dems["ddim"] - dems["dpm++"]).max() > 1e-5
    assert np.abs(dems["euler"] - dems["euler-a"]).max() > 1e-5


def test_guidance_changes_result_and_guidance_one_disables_cfg(tiny_pipeline, monkeypatch):
    batch_sizes = []
    unet = tiny_pipeline.components.unet
    original = type(unet).forward

    def spy(self, sample, *args, **kwargs):
        batch_sizes.append(sample.shape[0])
        return original(self, sample, *args, **kwargs)

    monkeypatch.setattr(type(unet), "forward", spy)
    [off] = generate(tiny_pipeline, guidance=1.0, seeds=[1, 2])[:1]
    assert set(batch_sizes) == {2}  # no CFG: one row per seed
    batch_sizes.clear()
    [on] = generate(tiny_pipeline, guidance=7.5, seeds=[1, 2])[:1]
    assert set(batch_sizes) == {4}  # CFG: [uncond, cond] batched in one call
    assert np.abs(on.dem - off.dem).max() > 1e-4


def test_negative_prompt_is_used(tiny_pipeline):
    [plain] = generate(tiny_pipeline)
    [negative] = generate(tiny_pipeline, negative_prompt="deserts")
    assert np.abs(plain.dem - negative.dem).max() > 1e-5
    assert negative.settings.negative_prompt == "deserts"


def test_progress_callback_and_cancel(tiny_pipeline):
    seen = []
    generate(tiny_pipeline, steps=4, callback=seen.append)
    assert [p.step for p in seen] == [1, 2, 3, 4] and seen[0].total_steps == 4
    cancel = threading.Event()

    def cancel_after_two(progress):
        if progress.step == 2:
            cancel.set()

    with pytest.raises(GenerationCancelled, match="step 2 of 10"):
        generate(tiny_pipeline, steps=10, callback=cancel_after_two, cancel=cancel)


def test_long_prompt_warns_with_dropped_words(tiny_pipeline, caplog):
    prompt = " ".join(["hills"] * 80) + " zebra"
    with caplog.at_level(logging.WARNING):
        generate(tiny_pipeline, prompt=prompt)
    assert any("dropped" in r.message and "zebra" in r.message for r in caplog.records)


def test_relief_override_and_default(tiny_pipeline):
    [terrain] = generate(tiny_pipeline, prompt="plains", relief_m=200.0, base_m=-10.0)
    np.testing.assert_allclose(terrain.elevation_m, -10 + terrain.dem * 200, rtol=1e-6, atol=1e-4)
    [default] = generate(tiny_pipeline, prompt="somewhere")
    assert default.settings.relief_m == 1000


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 0}, "steps must be an integer from 1"),
        ({"seeds": [-1]}, "seed -1 is not accepted"),
        ({"seeds": [2**64]}, "is not accepted"),
        ({"seeds": []}, "non-empty list"),
        ({"seeds": [1.5]}, "is not accepted"),
        ({"height": 33}, "height must be a positive multiple of 16"),
        ({"width": 8}, "width must be a positive multiple of 16"),
        ({"guidance": float("nan")}, "guidance must be a finite number"),
        ({"sampler": "heun"}, "unknown sampler 'heun'; choose one of: ddim"),
        ({"relief_m": -5.0}, r"relief_m must be a finite number in \(0, 100000\] metres"),
        ({"relief_m": 1e39}, "relief_m must be a finite number"),
        ({"base_m": float("nan")}, "base_m must be a finite number"),
        ({"guidance": 1e30}, r"guidance must be a finite number in \[0, 100\]"),
        ({"height": 0}, "height must be a positive multiple of 16"),
        ({"steps": 2.7}, "steps must be an integer"),
        ({"prompt": None}, "prompt must be text"),
        ({"overscan": 4}, "overscan must be a multiple of 8 pixels from 0 to 16"),
        ({"overscan": -8}, "overscan must be a multiple of 8 pixels"),
        ({"overscan": 24}, "overscan must be a multiple of 8 pixels from 0 to 16"),
        ({"overscan": True}, "overscan must be a multiple of 8 pixels"),
        ({"overscan": 8.0}, "overscan must be a multiple of 8 pixels"),
    ],
)
def test_bad_arguments_are_clear_errors(tiny_pipeline, kwargs, message):
    with pytest.raises(UserError, match=message):
        generate(tiny_pipeline, **kwargs)


def test_overscan_is_the_centre_of_a_larger_run_of_the_same_seed(tiny_pipeline):
    [larger] = generate(tiny_pipeline, height=SIZE + 16, width=SIZE + 16)
    [overscanned] = generate(tiny_pipeline, overscan=8)
    assert overscanned.dem.shape == (SIZE, SIZE) and overscanned.rgb.shape == (SIZE, SIZE, 3)
    np.testing.assert_array_equal(overscanned.dem, larger.dem[8:-8, 8:-8])
    np.testing.assert_array_equal(overscanned.rgb, larger.rgb[8:-8, 8:-8])
    np.testing.assert_array_equal(overscanned.elevation_m, larger.elevation_m[8:-8, 8:-8])
    assert overscanned.dem.flags.c_contiguous and overscanned.rgb.flags.c_contiguous
    assert (overscanned.settings.overscan, overscanned.settings.height, overscanned.settings.width) == (8, SIZE, SIZE)
    [plain] = generate(tiny_pipeline)
    assert plain.settings.overscan == 0 and not np.array_equal(plain.dem, overscanned.dem)


def test_overscan_defaults_to_the_checkpoints(tiny_pipeline, monkeypatch, tmp_path):
    (tmp_path / "sampling_defaults.json").write_text(json.dumps({"sampler": "unipc", "steps": 20, "guidance": 1.5,
                                                                 "overscan": 8}))
    assert SamplingDefaults.read(tmp_path) == SamplingDefaults("unipc", 20, 1.5, 8)
    monkeypatch.setattr(tiny_pipeline, "defaults", replace(tiny_pipeline.defaults, overscan=8))
    [default] = generate(tiny_pipeline)
    [explicit] = generate(tiny_pipeline, overscan=8)
    [none] = generate(tiny_pipeline, overscan=0)
    np.testing.assert_array_equal(default.dem, explicit.dem)
    assert default.settings.overscan == 8 and none.settings.overscan == 0
    assert not np.array_equal(default.dem, none.dem)


def test_inputs_registered_to_the_tile_refuse_overscan(tiny_pipeline):
    request = tiny_pipeline.request("hills", [1], 2, height=SIZE, width=SIZE, overscan=8)
    noise, _ = tiny_pipeline.initial_noise([1], SIZE, SIZE)
    for kwargs in ({"hooks": [lambda state: None]}, {"noise": noise}):
        with pytest.raises(ValueError, match="overscan 0"):
            tiny_pipeline.sample_latents(request, **kwargs)
