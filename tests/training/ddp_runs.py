"""Run as both ranks of a two-process CPU group by test_ddp.py (or by `torchrun --nproc_per_node 2
-m tests.training.ddp_runs CONFIG.json OUTPUT_ROOT` with ACCELERATE_USE_CPU=true): three tiny runs
with DDP over gloo in one launch: uninterrupted, stopped after step 2, resumed."""

from __future__ import annotations

import sys
from pathlib import Path

import torch.distributed
from accelerate import Accelerator
from accelerate.state import AcceleratorState

from mesa.training.config import TrainConfig, build_config, read_config_file
from mesa.training.train import train


def main(config_file: str, root: str) -> None:
    """The three runs share one process group (re-creating a gloo group in one process is flaky):
    each run's end_training, which would destroy it, is skipped until the last."""
    values = read_config_file(config_file)
    end_training = Accelerator.end_training
    Accelerator.end_training = lambda self: None
    for name, overrides in (("straight", {}), ("resumed", {"stop_after": 2}), ("resumed", {"resume": "latest"})):
        train(build_config(TrainConfig, values, {"output_dir": str(Path(root) / name), **overrides}))
        AcceleratorState._reset_state(reset_partial_state=True)
    Accelerator.end_training = end_training
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:])
