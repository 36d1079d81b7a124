"""The public sampling API that capabilities build on: requests, the one loop, its hooks, encode/decode."""

import numpy as np
import pytest
import torch

import mesa
from mesa.errors import UserError
from mesa.pipeline import StepState, TerrainPipeline, TextContext, denoise, make_schedule, start_latents

SIZE = 32


def test_package_exports_and_components_are_plain_attributes(tiny_pipeline):
    assert mesa.TerrainPipeline is TerrainPipeline
    assert tiny_pipeline.unet is tiny_pipeline.components.unet
    assert tiny_pipeline.vae is tiny_pipeline.components.vae
    assert tiny_pipeline.text_encoder is tiny_pipeline.components.text_encoder
    assert tiny_pipeline.tokenizer is tiny_pipeline.components.tokenizer
    assert type(tiny_pipeline.scheduler).__name__ == "DDIMScheduler"
    assert tiny_pipeline.scheduler is not tiny_pipeline.scheduler  # a fresh one each time: it holds run state


def test_request_fills_the_checkpoint_defaults_and_is_frozen(tiny_pipeline):
    request = tiny_pipeline.request("hills", [3])
    assert (request.sampler, request.steps, request.guidance) == ("ddim", 50, 7.5)
    assert (request.height, request.width) == (tiny_pipeline.native_size, tiny_pipeline.native_size)
    assert request.seeds == (3,) and request.relief_m is None
    with pytest.raises(AttributeError):
        request.steps = 3


def test_memory_is_checked_before_any_work(tiny_pipeline, monkeypatch):
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", "0.5")
    with pytest.raises(UserError, match=r"generating 1 terrain\(s\) of 8000 x 8000 px needs about .* GB of memory"):
        tiny_pipeline.request("hills", [1], height=8000, width=8000)
    tiny_pipeline.request("hills", [1], height=SIZE, width=SIZE)  # small requests still fit


def test_the_loop_with_a_default_predictor_is_the_pipeline(tiny_pipeline):
    request = tiny_pipeline.request("hills", [4, 5], steps=3, height=SIZE, width=SIZE)
    noise, generators = tiny_pipeline.initial_noise(request.seeds, SIZE, SIZE)
    schedule = make_schedule("ddim", tiny_pipeline.components.scheduler_config, 3)
    context = tiny_pipeline.encode_prompt("hills", 2, request.guidance)
    assert isinstance(context, TextContext) and len(context) == 2 and context.uncond is not None
    by_hand = denoise(start_latents(schedule, noise), schedule, tiny_pipeline.guided_predictor(context, 7.5))
    np.testing.assert_allclose(by_hand.numpy(), tiny_pipeline.sample_latents(request).numpy(), atol=1e-6)


def test_hooks_see_every_step_and_can_hold_a_known_region(tiny_pipeline):
    request = tiny_pipeline.request("hills", [7], steps=4, height=SIZE, width=SIZE)
    known = torch.full((1, 8, SIZE // tiny_pipeline.vae_scale_factor, SIZE // tiny_pipeline.vae_scale_factor), 0.3)
    mask = torch.zeros_like(known)
    mask[..., :, : known.shape[-1] // 2] = 1.0  # hold the west half
    noise = torch.randn(known.shape, generator=torch.Generator().manual_seed(0))
    seen: list[StepState] = []

    def hold(state: StepState) -> torch.Tensor:
        seen.append(state)
        return mask * state.noised(known, noise) + (1 - mask) * state.latents

    latents = tiny_pipeline.sample_latents(request, hooks=[hold])
    assert [s.index for s in seen] == [0, 1, 2, 3] and seen[-1].is_last and seen[0].next_timestep is not None
    assert torch.equal(latents[..., : known.shape[-1] // 2], known[..., : known.shape[-1] // 2])
    free = tiny_pipeline.sample_latents(request)
    assert not torch.allclose(latents[..., known.shape[-1] // 2:], free[..., known.shape[-1] // 2:])


def test_a_custom_predictor_replaces_the_model(tiny_pipeline):
    request = tiny_pipeline.request("hills", [1], steps=3, height=SIZE, width=SIZE, sampler="ddim")
    calls = []

    def zero_velocity(latents, timestep):
        calls.append(int(timestep))
        return torch.zeros_like(latents)

    tiny_pipeline.sample_latents(request, predictor=zero_velocity)
    assert len(calls) == 3 and calls == sorted(calls, reverse=True)


def test_strength_starts_part_way_from_given_latents(tiny_pipeline):
    request = tiny_pipeline.request("hills", [2], steps=10, height=SIZE, width=SIZE)
    clean = tiny_pipeline.sample_latents(request)
    schedule = make_schedule("ddim", tiny_pipeline.components.scheduler_config, 10, strength=0.3)
    assert schedule.start == 7 and len(schedule.timesteps) == 3
    steps_seen = []
    edited = tiny_pipeline.sample_latents(request, init_latents=clean, strength=0.3,
                                          callback=lambda p: steps_seen.append(p.step))
    assert steps_seen == [1, 2, 3]
    fresh = tiny_pipeline.sample_latents(tiny_pipeline.request("hills", [99], steps=10, height=SIZE, width=SIZE))
    # a light edit stays closer to its input than an unrelated terrain does
    assert (edited - clean).abs().mean() < (fresh - clean).abs().mean()
    with pytest.raises(ValueError, match="strength < 1"):
        start_latents(make_schedule("ddim", tiny_pipeline.components.scheduler_config, 4), clean, clean)


def test_encode_then_decode_keeps_shapes_and_an_unknown_image_half(tiny_pipeline):
    dem = np.linspace(0, 1, SIZE * SIZE, dtype=np.float32).reshape(1, SIZE, SIZE)
    rgb = np.random.default_rng(0).random((1, SIZE, SIZE, 3), dtype=np.float32)
    latents = tiny_pipeline.encode(rgb, dem)
    factor = tiny_pipeline.vae_scale_factor
    assert latents.shape == (1, 8, SIZE // factor, SIZE // factor)
    image, dem_channels = tiny_pipeline.decode(latents)
    assert image.shape == (1, SIZE, SIZE, 3) and dem_channels.shape == (1, SIZE, SIZE, 3)
    elevation_only = tiny_pipeline.encode(None, dem)
    assert torch.equal(elevation_only[:, :4], torch.zeros_like(elevation_only[:, :4]))
    assert torch.allclose(elevation_only[:, 4:], latents[:, 4:], atol=1e-5)


def test_to_terrains_uses_the_request_and_scale(tiny_pipeline):
    request = tiny_pipeline.request("plains", [1, 2], steps=2, height=SIZE, width=SIZE, relief_m=50.0, base_m=10.0)
    terrains = tiny_pipeline.to_terrains(tiny_pipeline.sample_latents(request), request)
    assert [t.seed for t in terrains] == [1, 2]
    assert terrains[0].settings.relief_m == 50.0
    np.testing.assert_allclose(terrains[0].elevation_m, 10 + 50 * terrains[0].dem, rtol=1e-6)
