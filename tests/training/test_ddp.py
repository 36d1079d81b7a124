"""Two CPU processes (DDP over gloo): every process writes its own data
position and random states into the one staged checkpoint, and a resumed run matches an
uninterrupted one exactly."""

from __future__ import annotations

import json

from mesa.training.metrics import read_metrics
from tests.support.processes import run_ranks
from tests.training.conftest import RESOLUTION, TINY_UNET

UNET_WEIGHTS = "model/unet/diffusion_pytorch_model.safetensors"


def test_two_processes_checkpoint_and_resume_exactly(tmp_path, reference_dir):
    (tmp_path / "unet.json").write_text(json.dumps(TINY_UNET))
    config = {"init_from_config": str(tmp_path / "unet.json"), "components_from": str(reference_dir / "pipeline"),
              "data": "synthetic", "resolution": RESOLUTION, "synthetic_length": 16, "batch_size": 2,
              "max_steps": 4, "checkpoint_every": 2, "log_every": 1, "validation_every": 0, "use_ema": True,
              "ema_decay": 0.5, "seed": 3, "learning_rate": 1e-3}
    (tmp_path / "train.json").write_text(json.dumps(config))
    results = run_ranks(["tests.training.ddp_runs", str(tmp_path / "train.json"), str(tmp_path)], tmp_path,
                        timeout_s=540)
    assert all(r.returncode == 0 for r in results), "\n".join(r.stderr_tail for r in results)

    checkpoint = tmp_path / "resumed" / "checkpoints" / "step_00000002"
    assert {"process_0.json", "process_1.json", "random_0.safetensors", "random_1.safetensors"} <= {
        path.name for path in checkpoint.iterdir()}
    assert json.loads((checkpoint / "trainer_state.json").read_text())["world_size"] == 2
    positions = [json.loads((checkpoint / f"process_{rank}.json").read_text())["data_position"] for rank in (0, 1)]
    assert positions[0] != positions[1]
    straight, resumed = read_metrics(tmp_path / "straight"), read_metrics(tmp_path / "resumed")
    assert [line["step"] for line in resumed] == [1, 2, 3, 4]
    assert [line["loss"] for line in resumed] == [line["loss"] for line in straight]
    assert (tmp_path / "resumed" / UNET_WEIGHTS).read_bytes() == (tmp_path / "straight" / UNET_WEIGHTS).read_bytes()
