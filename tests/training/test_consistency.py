"""The arithmetic of latent consistency distillation against diffusers' LCMScheduler (which the
student samples with) and against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler, LCMScheduler

from mesa.training.consistency import (SkippingGrid, boundary_scalings, consistency_output, ddim_step, guided,
                                       pseudo_huber, split_prediction)

SCHEDULE = dict(num_train_timesteps=1000, beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                prediction_type="v_prediction")


def test_grid_draws_lcm_solver_timesteps_and_their_targets():
    grid = SkippingGrid(1000, 50)
    start, target = grid.draw(2000, torch.Generator().manual_seed(0))
    assert grid.skip == 20
    assert set(start.tolist()) == set(range(19, 1000, 20))  # LCMScheduler's original timesteps
    assert torch.equal(target, (start - 20).clamp(min=0)) and target.min() == 0
    lcm = LCMScheduler(**SCHEDULE, original_inference_steps=50)
    lcm.set_timesteps(4)
    assert set(lcm.timesteps.tolist()) <= set(start.tolist())


def test_boundary_scalings_match_lcm_scheduler():
    lcm = LCMScheduler(**SCHEDULE, timestep_scaling=10.0)
    timesteps = torch.tensor([0, 19, 499, 999])
    c_skip, c_out = boundary_scalings(timesteps, 10.0)
    for index, timestep in enumerate(timesteps.tolist()):
        expected_skip, expected_out = lcm.get_scalings_for_boundary_condition_discrete(timestep)
        assert float(c_skip[index]) == pytest.approx(expected_skip, rel=1e-6)
        assert float(c_out[index]) == pytest.approx(expected_out, rel=1e-6)
    assert float(c_skip[0]) == 1.0 and float(c_out[0]) == 0.0  # f(x, 0) = x


def test_split_prediction_recovers_clean_latents_and_noise():
    scheduler = DDPMScheduler(**SCHEDULE)
    generator = torch.Generator().manual_seed(1)
    clean, noise = torch.randn(3, 8, 4, 4, generator=generator), torch.randn(3, 8, 4, 4, generator=generator)
    timesteps = torch.tensor([10, 500, 990])
    noisy = scheduler.add_noise(clean, noise, timesteps)
    alpha_bar = scheduler.alphas_cumprod[timesteps][:, None, None, None]
    for kind, output in (("v_prediction", scheduler.get_velocity(clean, noise, timesteps)), ("epsilon", noise)):
        x0, eps = split_prediction(output, noisy, alpha_bar, kind)
        torch.testing.assert_close(x0, clean, atol=2e-4, rtol=1e-4)
        torch.testing.assert_close(eps, noise, atol=2e-4, rtol=1e-4)
    torch.testing.assert_close(ddim_step(clean, noise, alpha_bar), noisy, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="sample"):
        split_prediction(noise, noisy, alpha_bar, "sample")


def test_consistency_output_equals_one_lcm_step_without_noise():
    lcm = LCMScheduler(**SCHEDULE, original_inference_steps=50)
    lcm.set_timesteps(1)  # one step: the clean estimate itself
    timestep = int(lcm.timesteps[0])
    generator = torch.Generator().manual_seed(2)
    sample, output = torch.randn(2, 8, 4, 4, generator=generator), torch.randn(2, 8, 4, 4, generator=generator)
    expected = lcm.step(output, timestep, sample).denoised
    alpha_bar = lcm.alphas_cumprod[[timestep] * 2][:, None, None, None]
    got = consistency_output(output, sample, torch.tensor([timestep] * 2), alpha_bar, "v_prediction", 10.0)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_guidance_and_pseudo_huber_values():
    uncond, cond = torch.tensor([1.0, 2.0]), torch.tensor([2.0, 0.0])
    assert guided(uncond, cond, 3.0).tolist() == [4.0, -4.0]
    prediction = torch.tensor([[[[0.0, 3.0], [4.0, 100.0]]]])
    target = torch.zeros_like(prediction)
    mask = torch.tensor([[[[True, True], [True, False]]]])  # the 100 is invalid: no loss, no gradient
    loss = pseudo_huber(prediction.requires_grad_(), target, mask, c=1.0)
    assert loss.item() == pytest.approx((0 + (np.sqrt(10) - 1) + (np.sqrt(17) - 1)) / 3)
    loss.backward()
    assert float(prediction.grad[0, 0, 1, 1]) == 0.0
