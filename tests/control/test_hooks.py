"""The hooks every mode is built from: holding known latents, the held start, the latent low-pass."""

import pytest
import torch

from mesa.control.hooks import gaussian_blur, held_start_noise, hold_known
from mesa.pipeline import StepState


def test_held_channels_end_exactly_at_the_known_latents(tiny_pipeline):
    request = tiny_pipeline.request("hills", [3, 4], steps=4)
    known = torch.randn((2, 8, 16, 16), generator=torch.Generator().manual_seed(1))
    keep = torch.zeros((1, 8, 16, 16))
    keep[:, 4:] = 1.0
    noise, _ = tiny_pipeline.initial_noise(request.seeds, 32, 32)
    seen = []

    def spy(state: StepState):
        seen.append(state.latents[:, 4:].clone() - state.noised(known, noise)[:, 4:])

    latents = tiny_pipeline.sample_latents(request, hooks=[hold_known(known, keep, noise), spy],
                                           noise=held_start_noise(tiny_pipeline, request, known, keep, noise))
    assert torch.equal(latents[:, 4:], known[:, 4:])
    assert all(float(difference.abs().max()) == 0.0 for difference in seen)  # held after every step
    assert not torch.allclose(latents[:, :4], known[:, :4])


def test_the_held_start_is_the_known_latents_at_the_first_timestep(tiny_pipeline):
    from mesa.pipeline import make_schedule

    request = tiny_pipeline.request("hills", [1], steps=5)
    known = torch.ones((1, 8, 16, 16))
    keep = torch.zeros((1, 8, 16, 16))
    keep[:, :, :8] = 1.0
    noise, _ = tiny_pipeline.initial_noise(request.seeds, 32, 32)
    start = held_start_noise(tiny_pipeline, request, known, keep, noise)
    schedule = make_schedule("ddim", tiny_pipeline.components.scheduler_config, 5)
    expected = schedule.scheduler.add_noise(known, noise, schedule.timesteps[:1])
    torch.testing.assert_close(start[:, :, :8], expected[:, :, :8])
    assert torch.equal(start[:, :, 8:], noise[:, :, 8:])


def test_gaussian_blur_keeps_constants_and_smooths_noise():
    constant = torch.full((1, 2, 12, 12), 3.0)
    torch.testing.assert_close(gaussian_blur(constant, 2.0), constant)
    noise = torch.randn((1, 1, 32, 32), generator=torch.Generator().manual_seed(0))
    blurred = gaussian_blur(noise, 2.0)
    assert blurred.shape == noise.shape and float(blurred.std()) < 0.35 * float(noise.std())
    assert float(blurred.mean()) == pytest.approx(float(noise.mean()), abs=0.05)
