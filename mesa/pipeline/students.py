"""Distilled students (`python -m mesa distill`): the LoRA student's folder and how it goes onto
its teacher's UNet.

A full-UNet student is an ordinary MESA-layout folder whose `sampling_defaults.json` names the
few-step sampler. A LoRA student is a small folder that loads on top of its teacher:

    student.json            format, version, the teacher (bundled name, Hub repo id or folder),
                            the SHA-256 of the teacher's UNet weights, the adapters' rank, alpha and
                            target modules, the solver grid and guidance it was distilled with
    unet_lora.safetensors   the adapters' weights (peft names, float32)
    sampling_defaults.json  {"sampler": "lcm", "steps": 4, "guidance": 1.0}: guidance is folded in
    elevation.json, prompts.csv, README.md   the teacher's metres and vocabulary; a card naming the
                            teacher and the licence its weights carry

Loading checks the teacher's weights against the recorded hash (adapters on other weights would
give noise without an error), adds the adapters, loads them from safetensors and fuses them, so
sampling costs exactly what the teacher's UNet costs.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from peft import LoraConfig, set_peft_model_state_dict
from safetensors import SafetensorError
from safetensors.torch import load_file

from mesa.errors import UserError
from mesa.limits import check_memory

STUDENT_FILE = "student.json"
LORA_FILE = "unet_lora.safetensors"
FORMAT, VERSION = "mesa-student-lora", 1
MAX_STUDENT_JSON_BYTES = 64 * 1024
HASH_CHUNK_BYTES = 16 * 2**20


@dataclass(frozen=True)
class LoraStudent:
    """What `student.json` records.

    Attributes:
        teacher: the teacher as given to `distill` (bundled name, Hub repo id or folder; a relative
            folder is read from the student's folder).
        teacher_unet_sha256: SHA-256 of the teacher's `unet/*.safetensors` (`unet_fingerprint`).
        rank, alpha, target_modules: the LoRA adapters (peft `LoraConfig`).
        solver_steps: N of the skipping-step grid it was distilled on (LCMScheduler's
            `original_inference_steps`).
        guidance: the teacher guidance folded into the student (sample it with guidance 1).
    """

    teacher: str
    teacher_unet_sha256: str
    rank: int
    alpha: float
    target_modules: tuple[str, ...]
    solver_steps: int
    guidance: float

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "version": VERSION, **asdict(self),
                           "target_modules": list(self.target_modules)}, indent=2) + "\n"

    @classmethod
    def read(cls, model_dir: Path) -> "LoraStudent | None":
        """The record in `model_dir/student.json`; None when the folder has none (not a LoRA student)."""
        path = Path(model_dir) / STUDENT_FILE
        if not path.is_file():
            return None
        try:
            if path.stat().st_size > MAX_STUDENT_JSON_BYTES:
                raise ValueError(f"larger than {MAX_STUDENT_JSON_BYTES // 1024} KiB")
            document = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(document, dict) or document.get("format") != FORMAT:
                raise ValueError(f"\"format\" must be {FORMAT!r}")
            if document.get("version") != VERSION:
                raise ValueError(f"version {document.get('version')!r}; this MESA Studio reads version {VERSION}")
            return cls._checked(document)
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise UserError(f"{path} is not a valid LoRA student record: {str(error).splitlines()[0]}") from None

    @classmethod
    def _checked(cls, document: dict) -> "LoraStudent":
        student = cls(str(document["teacher"]), str(document["teacher_unet_sha256"]), document["rank"],
                      document["alpha"], tuple(document["target_modules"]), document["solver_steps"],
                      document["guidance"])
        whole = [student.rank, student.solver_steps]
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in whole):
            raise ValueError("rank and solver_steps must be whole numbers >= 1")
        numbers = [student.alpha, student.guidance]
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
                   for v in numbers):
            raise ValueError("alpha and guidance must be positive numbers")
        if not student.target_modules or not all(isinstance(m, str) and m for m in student.target_modules):
            raise ValueError("target_modules must list module names")
        return student

    def teacher_source(self, model_dir: Path) -> str:
        """The teacher to load: a folder relative to the student's, else the name as recorded."""
        relative = Path(model_dir) / self.teacher
        return str(relative) if not Path(self.teacher).is_absolute() and relative.is_dir() else self.teacher


def unet_fingerprint(model_dir: Path) -> str:
    """SHA-256 over the teacher's `unet/*.safetensors` files (sorted by name), read in chunks."""
    files = sorted((Path(model_dir) / "unet").glob("*.safetensors"))
    if not files:
        raise UserError(f"{model_dir} has no unet/*.safetensors to check a LoRA student against")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode("utf-8"))
        with path.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK_BYTES):
                digest.update(chunk)
    return digest.hexdigest()


def lora_config(student: LoraStudent) -> LoraConfig:
    return LoraConfig(r=student.rank, lora_alpha=student.alpha, target_modules=list(student.target_modules),
                      init_lora_weights=False)


def attach_lora(unet: torch.nn.Module, student: LoraStudent, weights_path: Path) -> None:
    """Add the student's adapters to `unet`, load their weights and fuse them into the UNet's own
    weights (the adapters are then removed: the UNet runs at the teacher's cost)."""
    tensors = read_lora_tensors(weights_path)
    unet.add_adapter(lora_config(student))
    result = set_peft_model_state_dict(unet, tensors)
    expected = {name for name, _ in unet.named_parameters() if "lora_" in name}
    unexpected = list(getattr(result, "unexpected_keys", []) or [])
    missing = [name for name in (getattr(result, "missing_keys", []) or []) if name in expected]
    if unexpected or missing or not tensors:
        unet.unload_lora()
        raise UserError(f"{weights_path} does not fit this teacher's UNet ({len(missing)} adapter weights missing, "
                        f"{len(unexpected)} unexpected); was the student distilled from another model?")
    unet.fuse_lora()
    unet.unload_lora()


def read_lora_tensors(path: Path) -> dict[str, torch.Tensor]:
    """The adapters' tensors (finite floating point), on the CPU; UserError naming the file otherwise."""
    try:
        check_memory(path.stat().st_size, f"reading {path}", "free memory")
        tensors = load_file(path, device="cpu")
    except FileNotFoundError:
        raise UserError(f"{path} is missing; the LoRA student is incomplete") from None
    except (OSError, ValueError, SafetensorError) as error:
        raise UserError(f"{path} is not a valid safetensors file: {str(error).splitlines()[0]}") from None
    for name, tensor in tensors.items():
        if not tensor.dtype.is_floating_point or not torch.isfinite(tensor).all():
            raise UserError(f"{path}: {name} is not finite floating-point data")
    return tensors


def student_scheduler_config(scheduler_config: dict, solver_steps: int) -> dict:
    """The teacher's scheduler config with the student's solver grid (LCMScheduler reads it)."""
    return {**scheduler_config, "original_inference_steps": solver_steps}
