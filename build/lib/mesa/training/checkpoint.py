"""Atomic checkpoints: `<output>/checkpoints/step_00001000/`, written under a temporary name and
renamed only when complete, so a crash never leaves a half-written checkpoint that `--resume` picks.

A checkpoint holds Accelerate's state (model, optimizer, LR scheduler, EMA, gradient scaler and
every process's RNG states; sharded for DeepSpeed/FSDP), `trainer_state.json` (step, world size,
lanes) and one `data_position_<rank>.json` per process. Assumes the output folder is shared by
all nodes (as Accelerate's own checkpointing does).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from dataclasses import asdict
from pathlib import Path

from mesa.errors import UserError
from mesa.training.data import DataPosition

logger = logging.getLogger(__name__)

CHECKPOINTS_DIR = "checkpoints"
STATE_FILE = "trainer_state.json"
_NAME = re.compile(r"^step_(\d+)$")


def checkpoint_name(step: int) -> str:
    return f"step_{step:08d}"


def list_checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoints in an output folder, oldest first."""
    root = Path(output_dir) / CHECKPOINTS_DIR
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if _NAME.match(p.name) and (p / STATE_FILE).is_file()]
    return sorted(found, key=lambda p: int(_NAME.match(p.name).group(1)))


def resolve_resume(output_dir: str | Path, resume: str) -> Path | None:
    """The checkpoint that `--resume` names: "latest" (None if there is none yet) or a folder."""
    if resume == "latest":
        found = list_checkpoints(output_dir)
        return found[-1] if found else None
    path = Path(resume)
    if not (path / STATE_FILE).is_file():
        raise UserError(f"{path} is not a complete checkpoint (no {STATE_FILE}); give a folder under "
                        f"{Path(output_dir) / CHECKPOINTS_DIR} or 'latest'")
    return path


def save_checkpoint(accelerator, output_dir: str | Path, step: int, position: DataPosition,
                    total_limit: int | None = None, extra: dict | None = None) -> Path:
    """Write a checkpoint atomically (every process must call this); return its final path."""
    root = Path(output_dir) / CHECKPOINTS_DIR
    final, temporary = root / checkpoint_name(step), root / f".{checkpoint_name(step)}.tmp"
    if accelerator.is_main_process:
        shutil.rmtree(temporary, ignore_errors=True)
        temporary.mkdir(parents=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(temporary))
    rank = accelerator.process_index
    (temporary / f"data_position_{rank}.json").write_text(json.dumps(asdict(position)), encoding="utf-8")
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        state = {"step": step, "world_size": accelerator.num_processes, "lanes": len(position.lane_next),
                 **(extra or {})}
        (temporary / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(temporary, final)
        prune_checkpoints(output_dir, total_limit)
    accelerator.wait_for_everyone()
    return final


def prune_checkpoints(output_dir: str | Path, total_limit: int | None) -> None:
    """Keep only the newest `total_limit` checkpoints (None: keep all)."""
    if total_limit is None:
        return
    for old in list_checkpoints(output_dir)[:-total_limit] if total_limit > 0 else []:
        shutil.rmtree(old)


def load_checkpoint(accelerator, path: Path, lanes: int) -> tuple[int, DataPosition]:
    """Restore Accelerate's state from `path`; return (step, this process's data position).

    Resuming on another number of processes or lanes cannot replay the same batches: the run then
    continues after the furthest position any lane had reached (a warning says so).
    """
    accelerator.load_state(str(path))
    state = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
    rank, world = accelerator.process_index, accelerator.num_processes
    if state["world_size"] == world and state["lanes"] == lanes:
        position = DataPosition(**json.loads((path / f"data_position_{rank}.json").read_text(encoding="utf-8")))
        return int(state["step"]), position
    furthest = max(max(json.loads(p.read_text(encoding="utf-8"))["lane_next"])
                   for p in path.glob("data_position_*.json"))
    logger.warning("checkpoint was written by %d processes x %d lanes, resuming on %d x %d: data continues "
                   "from position %d, not the exact same batches", state["world_size"], state["lanes"],
                   world, lanes, furthest)
    start = DataPosition.start(rank, world, lanes)
    return int(state["step"]), DataPosition([furthest + p for p in start.lane_next], 0)
