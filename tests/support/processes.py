"""Start the ranks of a CPU process group as the test's own children (the environment torchrun sets:
RANK, WORLD_SIZE, MASTER_ADDR on 127.0.0.1 ...), so a test runs real multi-process code on 2 cores."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RankResult:
    returncode: int
    stdout: str
    stderr_tail: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_ranks(arguments: list[str], logs: Path, timeout_s: float, world_size: int = 2) -> list[RankResult]:
    """Run `python -m <arguments>` as ranks 0..world_size-1 of one gloo group; kill them all if they
    outlive `timeout_s`. Output goes to files in `logs` (no pipe can fill up and block a rank)."""
    port, processes = free_port(), []
    for rank in range(world_size):
        env = {**os.environ, "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "true", "MASTER_ADDR": "127.0.0.1",
               "MASTER_PORT": str(port), "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": str(world_size),
               "LOCAL_WORLD_SIZE": str(world_size)}
        with (logs / f"rank{rank}.out").open("w") as out, (logs / f"rank{rank}.log").open("w") as err:
            processes.append(subprocess.Popen([sys.executable, "-m", *arguments], cwd=REPO_ROOT, env=env,
                                              stdout=out, stderr=err))
    deadline = time.monotonic() + timeout_s
    try:
        for process in processes:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    return [RankResult(process.returncode, (logs / f"rank{rank}.out").read_text(),
                       (logs / f"rank{rank}.log").read_text()[-2000:]) for rank, process in enumerate(processes)]
