"""Checkpoints in safetensors + JSON: complete ones are listed, old ones pruned, and loading
restores weights, optimizer, LR schedule, EMA and random states exactly."""

from __future__ import annotations

import json
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from accelerate import Accelerator
from accelerate.utils import DistributedType
from diffusers.optimization import get_scheduler
from diffusers.training_utils import EMAModel

from mesa.errors import UserError
from mesa.training.checkpoint import (
    EMA_FILE,
    OPTIMIZER_FILE,
    STATE_FILE,
    WEIGHTS_FILE,
    check_resumable,
    list_checkpoints,
    load_checkpoint,
    resolve_resume,
    save_checkpoint,
)
from mesa.training.data import DataPosition
from mesa.training.state import TrainingState, conform, named_parameters


def make_state(accelerator: Accelerator, seed: int) -> TrainingState:
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    model[0].requires_grad_(False)  # frozen: not stored
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    scheduler = get_scheduler("cosine", optimizer, num_warmup_steps=2, num_training_steps=20)
    ema = EMAModel([p for _, p in named_parameters({"net": model})], decay=0.9)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
    return TrainingState({"net": model}, optimizer, scheduler, ema)


def take_steps(state: TrainingState, count: int) -> None:
    model = state.modules["net"]
    for _ in range(count):
        model(torch.randn(5, 3)).square().mean().backward()
        state.optimizer.step()
        state.lr_scheduler.step()
        state.optimizer.zero_grad()
        state.ema.step([p for _, p in named_parameters(state.modules)])


def snapshot(state: TrainingState) -> dict:
    return {"weights": [p.detach().clone() for p in state.modules["net"].parameters()],
            "adam": [entry[key].clone() for entry in state.optimizer.state_dict()["state"].values()
                     for key in sorted(entry)],
            "lr": state.lr_scheduler.get_last_lr(), "ema": [s.clone() for s in state.ema.shadow_params],
            "ema_step": state.ema.optimization_step}


def same(a: dict, b: dict) -> bool:
    tensors = all(torch.equal(x, y) for key in ("weights", "adam", "ema") for x, y in zip(a[key], b[key]))
    return tensors and a["lr"] == b["lr"] and a["ema_step"] == b["ema_step"] and len(a["adam"]) == len(b["adam"])


def test_save_resume_prune_and_ignore_partial(tmp_path):
    accelerator = Accelerator(cpu=True)
    state = make_state(accelerator, seed=0)
    for step in (2, 4, 6):
        take_steps(state, 2)
        save_checkpoint(accelerator, tmp_path, step, DataPosition([10 + step], step), state, total_limit=2)
    saved = snapshot(state)
    draws = (torch.rand(3), np.random.rand(), random.random())  # the draws after the last checkpoint
    (tmp_path / "checkpoints" / ".step_00000008.staging-999999999-abc").mkdir()  # a crash mid-write
    (tmp_path / "checkpoints" / "step_00000010").mkdir()  # no trainer_state.json: incomplete
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000004", "step_00000006"]
    latest = resolve_resume(tmp_path, "latest")
    assert {WEIGHTS_FILE, OPTIMIZER_FILE, EMA_FILE, STATE_FILE, "process_0.json", "random_0.safetensors"} == {
        p.name for p in latest.iterdir()}

    fresh = make_state(accelerator, seed=0)  # the frozen layer comes from the starting point
    assert not same(snapshot(fresh), saved)
    resumed = load_checkpoint(accelerator, latest, fresh, lanes=1)
    assert (resumed.step, resumed.position) == (6, DataPosition([16], 6))
    assert same(snapshot(fresh), saved)
    resumed.restore_random_states()
    assert torch.equal(torch.rand(3), draws[0]) and np.random.rand() == draws[1] and random.random() == draws[2]
    for continued in (state, fresh):  # both continue identically: moments, step count, schedule, EMA
        torch.manual_seed(5)
        take_steps(continued, 2)
    assert same(snapshot(fresh), snapshot(state))


def test_another_world_size_continues_after_the_furthest_position(tmp_path, caplog):
    accelerator = Accelerator(cpu=True)
    state = make_state(accelerator, seed=0)
    save_checkpoint(accelerator, tmp_path, 3, DataPosition([7, 9], 3), state)
    resumed = load_checkpoint(accelerator, resolve_resume(tmp_path, "latest"), make_state(accelerator, 0), lanes=1)
    assert resumed.position == DataPosition([9], 0) and resumed.random_files is None
    assert "not the exact same batches" in caplog.text


def test_resume_errors(tmp_path):
    assert resolve_resume(tmp_path, "latest") is None
    with pytest.raises(UserError, match="not a complete checkpoint"):
        resolve_resume(tmp_path, str(tmp_path / "nope"))


def test_a_checkpoint_of_other_settings_is_refused_in_one_line(tmp_path):
    accelerator = Accelerator(cpu=True)
    save_checkpoint(accelerator, tmp_path, 1, DataPosition([1], 1), make_state(accelerator, 0))
    other = make_state(accelerator, 0)
    other.modules["net"][0].requires_grad_(True)  # now trains the first layer too
    with pytest.raises(UserError, match=r"weights.safetensors does not fit this run: .*missing net.0.bias") as error:
        load_checkpoint(accelerator, resolve_resume(tmp_path, "latest"), other, lanes=1)
    assert "\n" not in str(error.value)


def test_an_earlier_accelerate_checkpoint_is_refused(tmp_path):
    folder = tmp_path / "checkpoints" / "step_00000002"
    folder.mkdir(parents=True)
    (folder / STATE_FILE).write_text(json.dumps({"step": 2, "world_size": 1, "lanes": 1}))
    accelerator = Accelerator(cpu=True)
    with pytest.raises(UserError, match="before safetensors-only checkpoints"):
        load_checkpoint(accelerator, folder, make_state(accelerator, 0), lanes=1)


@pytest.mark.parametrize("saved, template, expected", [
    ({"a": [1, 2], "b": 0.5}, {"a": (0, 0), "b": 1.0, "c": True}, {"a": (1, 2), "b": 0.5, "c": True}),
    ({"x": 3}, {"x": 1.0}, {"x": 3.0}),
    ({"x": 2.5}, {"x": None}, {"x": 2.5}),
])
def test_conform_keeps_the_templates_shape(saved, template, expected):
    result = conform(saved, template, "s")
    assert result == expected and type(result.get("a", ())) is tuple


@pytest.mark.parametrize("saved, template", [
    ({"a": [1]}, {"a": (0, 0)}), ({"b": "1"}, {"b": 1.0}), ({"b": float("nan")}, {"b": 1.0}),
    ({"c": 1}, {"c": True}), ({"d": 1.5}, {"d": 1}), ([], {}), ({"e": {"f": 1}}, {"e": None}),
])
def test_conform_refuses_other_shapes(saved, template):
    with pytest.raises((ValueError, TypeError)):
        conform(saved, template, "s")


@pytest.mark.parametrize("backend", [DistributedType.DEEPSPEED, DistributedType.FSDP])
def test_sharded_backends_refuse_resume_and_write_no_checkpoint(tmp_path, backend):
    sharded = SimpleNamespace(distributed_type=backend)
    with pytest.raises(UserError, match=f"--resume is not available with {backend.value}: .*pickle"):
        check_resumable(sharded, "latest")
    check_resumable(sharded, None)
    assert save_checkpoint(sharded, tmp_path, 2, DataPosition([0]), None) is None
    assert not (tmp_path / "checkpoints").exists()
