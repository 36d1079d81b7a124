"""The masked objective: invalid latent pixels contribute nothing, to the loss or the gradients."""

from __future__ import annotations

import pytest
import torch
from diffusers import DDPMScheduler

from mesa.models.unet_dem import UNetDEMConditionModel
from mesa.training.loss import edge_weights, masked_mse, noise_latents, step_generator
from tests.training.conftest import TINY_UNET


def half_mask(batch: int = 2, size: int = 8) -> torch.Tensor:
    mask = torch.ones(batch, 1, size, size, dtype=torch.bool)
    mask[:, :, :, size // 2:] = False
    return mask


def test_masked_pixels_change_neither_loss_nor_gradient():
    torch.manual_seed(0)
    prediction = torch.randn(2, 8, 8, 8, requires_grad=True)
    target, mask = torch.randn(2, 8, 8, 8), half_mask()
    loss = masked_mse(prediction, target, mask)
    loss.backward()
    gradient = prediction.grad.clone()

    corrupted_prediction = prediction.detach().clone()
    corrupted_prediction[~mask.expand_as(corrupted_prediction)] = float("nan")
    corrupted_prediction.requires_grad_(True)
    corrupted_target = torch.where(mask, target, torch.full_like(target, 1e6))
    corrupted_loss = masked_mse(corrupted_prediction, corrupted_target, mask)
    corrupted_loss.backward()

    assert torch.equal(loss, corrupted_loss)
    assert torch.equal(corrupted_prediction.grad, gradient)
    assert torch.all(gradient[~mask.expand_as(gradient)] == 0)
    assert torch.all(gradient[mask.expand_as(gradient)] != 0)


def test_loss_is_the_mean_over_valid_pixels_and_channels():
    prediction, target, mask = torch.ones(2, 8, 8, 8), torch.zeros(2, 8, 8, 8), half_mask()
    prediction[:, :, :, 4:] = 100.0  # invalid half
    assert masked_mse(prediction, target, mask).item() == pytest.approx(1.0)
    assert masked_mse(prediction, target, torch.zeros_like(mask)).item() == 0.0


def test_masked_target_changes_no_unet_gradient():
    """Through a real (tiny) UNet: altering the target under the mask leaves every weight gradient unchanged."""
    torch.manual_seed(0)
    unet = UNetDEMConditionModel(**TINY_UNET)
    noisy, context = torch.randn(2, 8, 16, 16), torch.randn(2, 77, 32)
    target, mask = torch.randn(2, 8, 16, 16), half_mask(size=16)

    def gradients(target: torch.Tensor) -> list[torch.Tensor]:
        unet.zero_grad()
        masked_mse(unet(noisy, torch.tensor([10, 500]), context).sample, target, mask).backward()
        return [p.grad.clone() for p in unet.parameters() if p.grad is not None]

    reference = gradients(target)
    altered = gradients(torch.where(mask, target, torch.randn_like(target) * 50))
    assert all(torch.equal(a, b) for a, b in zip(reference, altered))


def test_wrong_mask_shape_is_an_error():
    with pytest.raises(ValueError, match="latent mask shape"):
        masked_mse(torch.zeros(2, 8, 8, 8), torch.zeros(2, 8, 8, 8), torch.ones(2, 8, 8, 8))


def test_v_target_independent_noise_and_one_timestep_per_sample():
    scheduler = DDPMScheduler(prediction_type="v_prediction", beta_schedule="scaled_linear",
                              beta_start=0.00085, beta_end=0.012)
    latents = torch.randn(3, 8, 4, 4)
    noised = noise_latents(latents, scheduler, step_generator(0, 0, 0, 0, torch.device("cpu")))
    assert noised.timesteps.shape == (3,)
    alphas = scheduler.alphas_cumprod[noised.timesteps].view(3, 1, 1, 1)
    noise = (noised.noisy_latents - alphas.sqrt() * latents) / (1 - alphas).sqrt()
    expected_v = alphas.sqrt() * noise - (1 - alphas).sqrt() * latents
    torch.testing.assert_close(noised.target, expected_v, rtol=1e-4, atol=1e-4)
    image_noise, dem_noise = noise.chunk(2, dim=1)
    assert not torch.allclose(image_noise, dem_noise)


def test_high_noise_batches_draw_every_timestep_from_the_top_of_the_schedule():
    scheduler = DDPMScheduler(prediction_type="v_prediction")
    latents = torch.randn(8, 8, 4, 4)
    generator = lambda step: step_generator(0, step, 0, 0, torch.device("cpu"))
    always = [noise_latents(latents, scheduler, generator(step), 1.0, 900).timesteps for step in range(20)]
    assert all(t.min() >= 900 and t.max() < 1000 for t in always)
    # share 0 draws exactly what the plain call draws: old runs resume and reproduce unchanged
    plain, zero = noise_latents(latents, scheduler, generator(3)), noise_latents(latents, scheduler, generator(3), 0.0)
    assert torch.equal(plain.timesteps, zero.timesteps) and torch.equal(plain.noisy_latents, zero.noisy_latents)
    # a share picks whole batches: some all high, the rest uniform (so some low), about `share` of them
    batches = [noise_latents(latents, scheduler, generator(step), 0.5, 900).timesteps for step in range(200)]
    high = [bool(t.min() >= 900) for t in batches]
    assert 70 <= sum(high) <= 130
    assert all(t.min() < 900 for t, is_high in zip(batches, high) if not is_high)
    with pytest.raises(ValueError, match="high_noise_min_timestep"):
        noise_latents(latents, scheduler, generator(0), 0.5, 1000)


def test_step_generator_is_a_pure_function_of_its_inputs():
    draw = lambda *key: torch.randn(4, generator=step_generator(*key, torch.device("cpu")))  # noqa: E731
    assert torch.equal(draw(1, 5, 0, 0), draw(1, 5, 0, 0))
    assert not torch.equal(draw(1, 5, 0, 0), draw(1, 6, 0, 0))
    assert not torch.equal(draw(1, 5, 0, 0), draw(1, 5, 0, 1))


def test_edge_weights_raise_the_outer_band_only():
    weight = edge_weights(8, 10, edge_px=2, edge_weight=4.0)
    assert weight.shape == (1, 1, 8, 10)
    assert weight[0, 0, 2:-2, 2:-2].eq(1.0).all()
    band = torch.ones(8, 10, dtype=torch.bool)
    band[2:-2, 2:-2] = False
    assert weight[0, 0][band].eq(5.0).all()


def test_weighted_loss_is_the_weighted_mean_over_valid_pixels():
    prediction = torch.zeros(1, 2, 4, 4)
    target = torch.zeros(1, 2, 4, 4)
    target[0, :, 0, 0] = 1.0  # an error at a corner only
    mask = torch.ones(1, 1, 4, 4, dtype=torch.bool)
    weight = edge_weights(4, 4, edge_px=1, edge_weight=4.0)  # 12 edge pixels at 5, 4 inner at 1
    expected = 2 * 5.0 / (2 * (12 * 5.0 + 4))
    assert masked_mse(prediction, target, mask, weight).item() == pytest.approx(expected)
    assert masked_mse(prediction, target, mask, torch.ones(1, 1, 4, 4)).item() == \
        pytest.approx(masked_mse(prediction, target, mask).item())
    mask[0, 0, 0, 0] = False  # a masked corner costs nothing, weighted or not
    assert masked_mse(prediction, target, mask, weight).item() == 0.0


def test_corner_weight_lands_on_the_corner_blocks_only():
    weight = edge_weights(8, 8, edge_px=1, edge_weight=0.0, corner_weight=10.0)[0, 0]
    corners = torch.zeros(8, 8, dtype=torch.bool)
    for rows in (slice(0, 2), slice(6, 8)):
        for cols in (slice(0, 2), slice(6, 8)):
            corners[rows, cols] = True
    assert weight[corners].eq(11.0).all() and weight[~corners].eq(1.0).all()
