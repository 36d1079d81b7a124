"""Checkpoints that cannot run code: `<output>/checkpoints/step_00001000/`, safetensors and JSON only.

    trainer_state.json         format, step, world size, lanes; optimizer param groups and state
                               structure, LR scheduler, EMA and gradient scaler numbers
    weights.safetensors        trainable weights of every trained module ("unet.<key>", ...)
    optimizer.safetensors      optimizer state tensors ("<param index>.<name>")
    ema.safetensors            EMA shadow weights (use_ema only)
    process_<rank>.json        that process's data position and Python/NumPy random states
    random_<rank>.safetensors  that process's torch CPU/CUDA random states

Loading reads exactly these files with `json` and `safetensors` (never pickle); anything else in
the folder is ignored, and a file that is missing, does not parse or does not fit the resuming
run is refused with one line naming it. The folder is staged and swapped in as a whole
(`mesa.atomic.staged_directory`), so a crash never leaves a half-written checkpoint that `--resume`
picks. Every process writes its own files into the main process's staging folder: the output
folder must be shared by all nodes. DeepSpeed and FSDP keep sharded states that exist only in
their own pickle-based formats, so those runs write no checkpoints and refuse `--resume`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from accelerate.utils import DistributedType, broadcast
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from mesa.atomic import staged_directory
from mesa.errors import UserError
from mesa.limits import check_memory
from mesa.training.data import DataPosition
from mesa.training.random_state import capture_random_states, restore_random_states
from mesa.training.state import (
    Tensors,
    TrainingState,
    conform,
    ema_state,
    load_ema,
    load_optimizer,
    load_trainable,
    named_parameters,
    optimizer_state,
    trainable_tensors,
)

logger = logging.getLogger(__name__)

CHECKPOINTS_DIR = "checkpoints"
STATE_FILE = "trainer_state.json"
WEIGHTS_FILE = "weights.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
EMA_FILE = "ema.safetensors"
FORMAT, VERSION = "mesa-training-checkpoint", 1
MAX_JSON_BYTES = 64 * 2**20  # a trainer_state.json of the full-size UNet is ~0.2 MB
SHARDED = (DistributedType.DEEPSPEED, DistributedType.FSDP, DistributedType.MEGATRON_LM)
_NAME = re.compile(r"^step_(\d+)$")
_REFUSED = (ValueError, TypeError, KeyError, IndexError, OverflowError, RuntimeError)
_PATH_BYTES = 4096


@dataclass
class Resumed:
    """What a checkpoint gives back besides the restored objects.

    Attributes:
        step: optimizer steps done.
        position: this process's data position.
        random_files: this process's (process_<rank>.json, random_<rank>.safetensors), or None when
            the run resumes on another number of processes or lanes (random states then start fresh).
    """

    step: int
    position: DataPosition
    random_files: tuple[Path, Path] | None

    def restore_random_states(self) -> None:
        """Set this process's global random states as they were at the checkpoint (call it after
        building the data loader, which draws from them)."""
        if self.random_files is None:
            return
        process, tensors = self.random_files
        document = read_json(process).get("random")
        with refusing(process, tensors):
            restore_random_states(read_tensors(tensors), document)


def checkpoint_name(step: int) -> str:
    return f"step_{step:08d}"


def process_file(rank: int) -> str:
    return f"process_{rank}.json"


def random_file(rank: int) -> str:
    return f"random_{rank}.safetensors"


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


def check_resumable(accelerator, resume: str | None) -> None:
    """Refuse `--resume` where checkpoints cannot be written or read without pickle."""
    if resume and accelerator.distributed_type in SHARDED:
        raise UserError(f"--resume is not available with {accelerator.distributed_type.value}: its sharded "
                        "optimizer and model states exist only in pickle-based files, which MESA Studio never "
                        "loads; resume with plain multi-GPU (DDP) training, or restart without --resume")


def save_checkpoint(accelerator, output_dir: str | Path, step: int, position: DataPosition, state: TrainingState,
                    total_limit: int | None = None) -> Path | None:
    """Write a checkpoint (every process must call this); return its path (None under DeepSpeed/FSDP)."""
    if accelerator.distributed_type in SHARDED:
        return None
    final = Path(output_dir) / CHECKPOINTS_DIR / checkpoint_name(step)
    with shared_staging(accelerator, final) as staging:
        rank = accelerator.process_index
        random_tensors, random_document = capture_random_states()
        write_tensors(staging / random_file(rank), random_tensors)
        (staging / process_file(rank)).write_text(json.dumps(
            {"data_position": position.to_json(), "random": random_document}), encoding="utf-8")
        if accelerator.is_main_process:
            write_training_state(staging, state, {"format": FORMAT, "version": VERSION, "step": step,
                                                  "world_size": accelerator.num_processes,
                                                  "lanes": len(position.lane_next)})
    if accelerator.is_main_process:
        prune_checkpoints(output_dir, total_limit)
    accelerator.wait_for_everyone()
    return final


def write_training_state(folder: Path, state: TrainingState, header: dict) -> None:
    """weights/optimizer/ema safetensors and trainer_state.json (main process)."""
    write_tensors(folder / WEIGHTS_FILE, trainable_tensors(state.modules))
    optimizer_tensors, optimizer_document = optimizer_state(state.optimizer)
    write_tensors(folder / OPTIMIZER_FILE, optimizer_tensors)
    document = {**header, "optimizer": optimizer_document, "lr_scheduler": None, "ema": None, "grad_scaler": None}
    if state.lr_scheduler is not None:
        document["lr_scheduler"] = state.lr_scheduler.state_dict()
    if state.ema is not None:
        ema_tensors, document["ema"] = ema_state(state.ema, [name for name, _ in named_parameters(state.modules)])
        write_tensors(folder / EMA_FILE, ema_tensors)
    if state.grad_scaler is not None:
        document["grad_scaler"] = state.grad_scaler.state_dict()
    (folder / STATE_FILE).write_text(json.dumps(document, indent=1), encoding="utf-8")


def load_checkpoint(accelerator, path: Path, state: TrainingState, lanes: int) -> Resumed:
    """Restore `state` from the checkpoint at `path`; return the step and this process's data position.

    Resuming on another number of processes or lanes cannot replay the same batches: the run then
    continues after the furthest position any lane had reached (a warning says so).
    """
    state_file = path / STATE_FILE
    document = read_json(state_file)
    step, world_size, saved_lanes = read_header(document, state_file)
    with refusing(path / WEIGHTS_FILE):
        load_trainable(state.modules, read_tensors(path / WEIGHTS_FILE))
    with refusing(path / OPTIMIZER_FILE, state_file):
        load_optimizer(state.optimizer, read_tensors(path / OPTIMIZER_FILE), document.get("optimizer"))
    with refusing(state_file):
        load_numbers(state, document)
    if state.ema is not None:
        if document.get("ema") is None:
            raise UserError(f"{state_file}: the checkpoint was written without use_ema; resume with the "
                            "settings it was written with")
        with refusing(path / EMA_FILE, state_file):
            load_ema(state.ema, [name for name, _ in named_parameters(state.modules)],
                     read_tensors(path / EMA_FILE), document.get("ema"))
    rank, world = accelerator.process_index, accelerator.num_processes
    if (world_size, saved_lanes) == (world, lanes):
        process = read_json(path / process_file(rank))
        with refusing(path / process_file(rank)):
            position = DataPosition.from_json(process.get("data_position"))
            if len(position.lane_next) != lanes:
                raise ValueError(f"the data position has {len(position.lane_next)} lanes, the run {lanes}")
        return Resumed(step, position, (path / process_file(rank), path / random_file(rank)))
    furthest = 0
    for other in range(world_size):
        with refusing(path / process_file(other)):
            recorded = DataPosition.from_json(read_json(path / process_file(other)).get("data_position"))
            furthest = max(furthest, *recorded.lane_next)
    logger.warning("checkpoint was written by %d processes x %d lanes, resuming on %d x %d: data continues "
                   "from position %d, not the exact same batches", world_size, saved_lanes, world, lanes, furthest)
    start = DataPosition.start(rank, world, lanes)
    return Resumed(step, DataPosition([furthest + p for p in start.lane_next], 0), None)


def read_header(document: dict, state_file: Path) -> tuple[int, int, int]:
    """(step, world size, lanes) from trainer_state.json, refusing other formats."""
    if document.get("format") != FORMAT:
        raise UserError(f"{state_file} is not a MESA Studio checkpoint of this version (a checkpoint written "
                        "before safetensors-only checkpoints cannot be resumed); start the run without --resume")
    if document.get("version") != VERSION:
        raise UserError(f"{state_file} has checkpoint format version {document.get('version')!r}; "
                        f"this MESA Studio reads version {VERSION}")
    values = [document.get(key) for key in ("step", "world_size", "lanes")]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values) or values[0] < 0 or min(values[1:]) < 1:
        raise UserError(f"{state_file}: step must be a whole number >= 0 and world_size, lanes >= 1")
    return values[0], values[1], values[2]


def load_numbers(state: TrainingState, document: dict) -> None:
    """The LR scheduler and gradient scaler, from trainer_state.json (checked against the live ones)."""
    if state.lr_scheduler is not None and document.get("lr_scheduler") is not None:
        state.lr_scheduler.load_state_dict(conform(document["lr_scheduler"], state.lr_scheduler.state_dict(),
                                                   "lr_scheduler"))
    if state.grad_scaler is not None and document.get("grad_scaler"):
        state.grad_scaler.load_state_dict(conform(document["grad_scaler"], state.grad_scaler.state_dict(),
                                                  "grad_scaler"))


@contextlib.contextmanager
def refusing(*files: Path) -> Iterator[None]:
    """Turn a checkpoint that does not fit the run into one UserError line naming its file(s)."""
    try:
        yield
    except _REFUSED as error:
        names = " with ".join(str(f) for f in files)
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserError(f"{names} does not fit this run: {message}") from None


def read_json(path: Path) -> dict:
    """A JSON object from a checkpoint file (UserError naming the file otherwise)."""
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise ValueError(f"larger than {MAX_JSON_BYTES // 2**20} MiB")
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path} is missing; the checkpoint is incomplete") from None
    except (OSError, ValueError, RecursionError) as error:
        raise UserError(f"{path} is not a valid checkpoint JSON file: {str(error).splitlines()[0]}") from None
    if not isinstance(value, dict):
        raise UserError(f"{path} is not a valid checkpoint JSON file: expected an object")
    return value


def read_tensors(path: Path) -> Tensors:
    """Every tensor of a checkpoint safetensors file, on the CPU (UserError naming the file otherwise)."""
    try:
        check_memory(path.stat().st_size, f"reading {path}", "free memory or resume on a larger machine")
        return load_file(path, device="cpu")
    except FileNotFoundError:
        raise UserError(f"{path} is missing; the checkpoint is incomplete") from None
    except (OSError, ValueError, SafetensorError) as error:
        raise UserError(f"{path} is not a valid safetensors file: {str(error).splitlines()[0]}") from None


def write_tensors(path: Path, tensors: Tensors) -> None:
    save_file({name: tensor.detach().cpu().contiguous() for name, tensor in tensors.items()}, path)


@contextlib.contextmanager
def shared_staging(accelerator, target: Path) -> Iterator[Path]:
    """`staged_directory(target)` on the main process, its path sent to every other process, so all of
    them write into one staging folder that replaces `target` once every process is done."""
    if accelerator.num_processes == 1:
        with staged_directory(target) as staging:
            yield staging
        return
    if accelerator.is_main_process:
        with staged_directory(target) as staging:
            _broadcast_path(accelerator, staging)
            yield staging
            accelerator.wait_for_everyone()
    else:
        yield _broadcast_path(accelerator, None)
        accelerator.wait_for_everyone()


def _broadcast_path(accelerator, path: Path | None) -> Path:
    """The main process's `path`, on every process (sent as a fixed-size uint8 tensor, not pickled)."""
    buffer = torch.zeros(_PATH_BYTES, dtype=torch.uint8, device=accelerator.device)
    if path is not None:
        encoded = str(path).encode("utf-8")
        if len(encoded) >= _PATH_BYTES:
            raise UserError(f"output path too long for a checkpoint folder ({len(encoded)} bytes): {path}")
        buffer[:len(encoded)] = torch.tensor(list(encoded), dtype=torch.uint8)
    received = bytes(broadcast(buffer, from_process=0).cpu().tolist())
    return Path(received.rstrip(b"\0").decode("utf-8"))


def prune_checkpoints(output_dir: str | Path, total_limit: int | None) -> None:
    """Keep only the newest `total_limit` checkpoints (None: keep all)."""
    if total_limit is None:
        return
    for old in list_checkpoints(output_dir)[:-total_limit] if total_limit > 0 else []:
        shutil.rmtree(old)
