"""Two CPU processes (DDP over gloo): every process writes its own data
position and random states into the one staged checkpoint, and a resumed run matches an
uninterrupted one exactly."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from mesa.training.metrics import read_metrics
from tests.conftest import REPO_ROOT
from tests.training.conftest import RESOLUTION, TINY_UNET

UNET_WEIGHTS = "model/unet/diffusion_pytorch_model.safetensors"


def run_two_processes(arguments: list[str], logs: Path, timeout_s: float) -> list[tuple[int, str]]:
    """Start ranks 0 and 1 of a 2-process gloo group as this test's own children (the environment
    torchrun would set), their stderr in `logs`; kill both if they outlive `timeout_s`. Returns
    (exit status, end of stderr) per rank."""
    port, processes = free_port(), []
    for rank in (0, 1):
        env = {**os.environ, "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "true", "MASTER_ADDR": "127.0.0.1",
               "MASTER_PORT": str(port), "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
               "LOCAL_WORLD_SIZE": "2"}
        with (logs / f"rank{rank}.log").open("w") as log:
            processes.append(subprocess.Popen([sys.executable, "-m", *arguments], cwd=REPO_ROOT, env=env,
                                              stdout=subprocess.DEVNULL, stderr=log))
    deadline = time.monotonic() + timeout_s
    try:
        for process in processes:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return [(process.returncode, (logs / f"rank{rank}.log").read_text()[-2000:])
            for rank, process in enumerate(processes)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_two_processes_checkpoint_and_resume_exactly(tmp_path, reference_dir):
    (tmp_path / "unet.json").write_text(json.dumps(TINY_UNET))
    config = {"init_from_config": str(tmp_path / "unet.json"), "components_from": str(reference_dir / "pipeline"),
              "data": "synthetic", "resolution": RESOLUTION, "synthetic_length": 16, "batch_size": 2,
              "max_steps": 4, "checkpoint_every": 2, "log_every": 1, "validation_every": 0, "use_ema": True,
              "ema_decay": 0.5, "seed": 3, "learning_rate": 1e-3}
    (tmp_path / "train.json").write_text(json.dumps(config))
    results = run_two_processes(["tests.training.ddp_runs", str(tmp_path / "train.json"), str(tmp_path)],
                                tmp_path, timeout_s=540)
    assert all(status == 0 for status, _ in results), "\n".join(stderr for _, stderr in results)

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
