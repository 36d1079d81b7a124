"""Atomic checkpoints: only complete ones are listed; old ones are pruned."""

from __future__ import annotations

import pytest
import torch
from accelerate import Accelerator

from mesa.errors import UserError
from mesa.training.checkpoint import list_checkpoints, load_checkpoint, resolve_resume, save_checkpoint
from mesa.training.data import DataPosition


def test_save_resume_prune_and_ignore_partial(tmp_path):
    accelerator = Accelerator(cpu=True)
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    model, optimizer = accelerator.prepare(model, optimizer)
    for step in (2, 4, 6):
        save_checkpoint(accelerator, tmp_path, step, DataPosition([10 + step], step), total_limit=2)
    (tmp_path / "checkpoints" / ".step_00000008.tmp").mkdir()  # a crash mid-write
    (tmp_path / "checkpoints" / "step_00000010").mkdir()  # no trainer_state.json: incomplete
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000004", "step_00000006"]
    latest = resolve_resume(tmp_path, "latest")
    with torch.no_grad():
        model.weight.zero_()
    step, position = load_checkpoint(accelerator, latest, lanes=1)
    assert (step, position) == (6, DataPosition([16], 6))
    assert model.weight.abs().sum() > 0


def test_resume_errors(tmp_path):
    assert resolve_resume(tmp_path, "latest") is None
    with pytest.raises(UserError, match="not a complete checkpoint"):
        resolve_resume(tmp_path, str(tmp_path / "nope"))
