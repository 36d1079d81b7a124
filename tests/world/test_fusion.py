"""The world's predictor (fused windows) and step hook (held known latents), on stub and fixture models."""

import threading

import numpy as np
import pytest
import torch

from mesa.pipeline import GenerationCancelled, StepState, TextContext, make_schedule
from mesa.world.fusion import HoldKnown, WindowFusion, window_contexts
from mesa.world.layout import WorldLayout
from mesa.world.prompts import make_prompt_map


class StubPipe:
    """`predict` returns `scale * latents + window value`, where each window's context carries its value."""

    device = torch.device("cpu")

    def __init__(self, scale=2.0):
        self.scale, self.calls = scale, []

    def predict(self, latents, timestep, context, guidance):
        self.calls.append(len(latents))
        return self.scale * latents + context.cond[:, :1, :1, None]


def contexts_of(values):
    cond = torch.tensor(values, dtype=torch.float32)[:, None, None].expand(-1, 1, 1)
    return TextContext(cond)


@pytest.mark.parametrize("k", [2, 4])
def test_fusing_identical_predictions_gives_them_back(k):
    layout = WorldLayout(3, 2, 8, 2, windows_per_tile=k)
    pipe = StubPipe()
    latents = torch.randn(1, 8, *layout.latent_shape, generator=torch.Generator().manual_seed(0))
    fused = WindowFusion(pipe, layout, contexts_of([0.0] * len(layout.windows)), 7.5, batch_size=3)(latents, 10)
    torch.testing.assert_close(fused, 2.0 * latents, atol=1e-5, rtol=0)
    assert sum(pipe.calls) == len(layout.windows) and max(pipe.calls) == 3  # several windows per UNet call


def test_windows_that_disagree_are_blended_without_a_step():
    layout = WorldLayout(3, 1, 8, 2)
    values = [float(10 * i) for i in range(len(layout.windows))]  # 0, 10, 20, 30, 40: each disagrees by 10
    fused = WindowFusion(StubPipe(0.0), layout, contexts_of(values), 7.5, 4)(torch.zeros(1, 8, 8, 24), 10)
    row = fused[0, 0, 4].numpy()
    assert row[0] == pytest.approx(0.0) and row[-1] == pytest.approx(40.0)
    assert np.abs(np.diff(row)).max() < 0.4 * 10  # a hard switch between windows would step by 10
    hard = WindowFusion(StubPipe(0.0), WorldLayout(3, 1, 8, 2, 1), contexts_of([0.0, 10.0, 20.0]), 7.5, 4)
    assert np.abs(np.diff(hard(torch.zeros(1, 8, 8, 24), 10)[0, 0, 4].numpy())).max() == pytest.approx(10.0)


def test_only_active_windows_are_predicted():
    layout = WorldLayout(2, 1, 8, 2)
    pipe = StubPipe(1.0)
    latents = torch.ones(1, 8, 8, 16)
    fused = WindowFusion(pipe, layout, contexts_of([0.0, 0.0, 0.0]), 7.5, 4, active=[2])(latents, 10)
    assert pipe.calls == [1]
    assert (fused[..., :8] == 0).all() and fused[..., -1].eq(1.0).all()


def test_cancel_stops_before_the_next_unet_call():
    layout = WorldLayout(2, 1, 8, 2)
    cancel = threading.Event()
    pipe = StubPipe()
    predictor = WindowFusion(pipe, layout, contexts_of([0.0] * 3), 7.5, 1, on_batch=lambda n: cancel.set(),
                             cancel=cancel)
    with pytest.raises(GenerationCancelled):
        predictor(torch.zeros(1, 8, 8, 16), 10)
    assert pipe.calls == [1]


def test_window_contexts_mix_the_prompts_under_each_window(tiny_pipeline):
    layout = WorldLayout(2, 1, 16, 2)
    prompt_map = make_prompt_map([["plains", "mountains"]], layout.latent_shape)
    contexts = window_contexts(tiny_pipeline, prompt_map, layout, 7.5)
    plains = tiny_pipeline.encode_prompt("plains", 1, 7.5)
    mountains = tiny_pipeline.encode_prompt("mountains", 1, 7.5)
    assert len(contexts) == 3
    assert torch.equal(contexts.cond[0], plains.cond[0]) and torch.equal(contexts.cond[2], mountains.cond[0])
    torch.testing.assert_close(contexts.cond[1], 0.5 * (plains.cond[0] + mountains.cond[0]))
    assert torch.equal(contexts.uncond[1], plains.uncond[0])


def test_the_hold_keeps_the_known_part_at_each_steps_noise_level_and_clean_at_the_end(tiny_pipeline):
    schedule = make_schedule("ddim", tiny_pipeline.components.scheduler_config, 3)
    clean, noise, latents = (torch.randn(1, 8, 4, 8, generator=torch.Generator().manual_seed(s)) for s in (1, 2, 3))
    mask = torch.zeros(1, 1, 4, 8)
    mask[..., :4] = 1
    hold = HoldKnown(clean, noise, mask)
    middle = StepState(0, 3, int(schedule.timesteps[0]), int(schedule.timesteps[1]), latents, latents, schedule)
    held = hold(middle)
    torch.testing.assert_close(held[..., :4], middle.noised(clean, noise)[..., :4])
    assert torch.equal(held[..., 4:], latents[..., 4:])
    last = StepState(2, 3, int(schedule.timesteps[2]), None, latents, latents, schedule)
    assert torch.equal(hold(last)[..., :4], clean[..., :4])
