"""Resolve and load a MESA-layout checkpoint: a local folder, the bundled model, or a Hub repo.

Layout (as published at `NewtNewt/MESA`): `model_index.json`, `scheduler/`, `tokenizer/`
(vocab.json + merges.txt), `text_encoder/`, `vae/`, `unet/` (class `UNetDEMConditionModel`,
which diffusers cannot import by itself, so we load every component explicitly and never
execute code from the checkpoint). A LoRA student (`student.json`, `mesa.pipeline.students`)
loads its teacher and fuses its adapters into the teacher's UNet. An optional `colour_prior/`
(`mesa.models.colour_prior`) steers the tile's colour at the top of the schedule; a full student
carries a copy of its teacher's, a LoRA student uses its teacher's.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers import AutoencoderKL
from safetensors import SafetensorError
from transformers import CLIPTextModel, CLIPTokenizer

from mesa.errors import UserError
from mesa.resources import asset_path
from mesa.captions.places import PLACE_FEATURES, prompt_feature_count
from mesa.models.colour_prior import FOLDER as PRIOR_FOLDER
from mesa.models.colour_prior import ColourPrior
from mesa.models.unet_dem import UNetDEMConditionModel
from mesa.pipeline.samplers import SAMPLERS
from mesa.pipeline.students import (LORA_FILE, STUDENT_FILE, LoraStudent, attach_lora, student_scheduler_config,
                                    unet_fingerprint)

logger = logging.getLogger(__name__)

DEFAULT_REPO_ID = "NewtNewt/MESA"
BUNDLED_MODELS_DIR = asset_path("models")
PUBLISHED_LICENSE = "non-commercial (see the model card of NewtNewt/MESA)"
HUB_FILES = [
    "model_index.json", "elevation.json", "prompts.csv", "README.md",
    "scheduler/*.json", "tokenizer/*.json", "tokenizer/*.txt",
    "text_encoder/*.json", "text_encoder/*.safetensors",
    "vae/*.json", "vae/*.safetensors", "unet/*.json", "unet/*.safetensors",
    "sampling_defaults.json", STUDENT_FILE, LORA_FILE, f"{PRIOR_FOLDER}/*.json", f"{PRIOR_FOLDER}/*.safetensors",
]
COMPONENTS = ("scheduler", "tokenizer", "text_encoder", "vae", "unet")
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


@dataclass
class Components:
    """The loaded parts of a checkpoint."""

    scheduler_config: dict
    tokenizer: CLIPTokenizer
    text_encoder: CLIPTextModel
    vae: AutoencoderKL
    unet: UNetDEMConditionModel
    model_dir: Path
    model_id: str
    license: str
    colour_prior: ColourPrior | None = None


def resolve_model_dir(path_or_repo_id: str | os.PathLike) -> tuple[Path, str]:
    """Return (local folder, model id) for a folder, a bundled model name or a Hub repo id.

    Hub repos go through huggingface_hub: its cache, `HF_HUB_OFFLINE`, a progress bar.
    """
    name = str(path_or_repo_id)
    local = Path(name).expanduser()
    if local.is_dir():
        return local, name
    if (BUNDLED_MODELS_DIR / name).is_dir():
        return BUNDLED_MODELS_DIR / name, name
    if not _REPO_ID.match(name) or local.is_absolute() or name.startswith("."):
        raise UserError(f"model folder not found: {name} (give a folder in the MESA layout, "
                        f"a bundled model name, or a Hub repo id such as {DEFAULT_REPO_ID})")
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError

    try:
        return Path(snapshot_download(name, allow_patterns=HUB_FILES)), name
    except LocalEntryNotFoundError:
        raise UserError(
            f"weights for {name} are not in the Hugging Face cache and the Hub cannot be reached "
            f"(offline); fetch them once with: hf download {name}"
        ) from None
    except RepositoryNotFoundError:
        raise UserError(f"no such model on the Hugging Face Hub: {name}") from None


def read_model_index(model_dir: Path) -> dict:
    """Read and check `model_index.json`: valid JSON, every component present as a
    [library, class] pair with its folder, the UNet class ours."""
    index_file = model_dir / "model_index.json"
    if not index_file.is_file():
        raise UserError(f"{model_dir} has no model_index.json; it is not a MESA-layout model folder")
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"{index_file} is not valid JSON ({error}); expected the MESA model_index.json") from None
    if not isinstance(index, dict):
        raise UserError(f"{index_file} must hold one JSON object, got {type(index).__name__}")
    missing = [c for c in COMPONENTS if c not in index or not (model_dir / c).is_dir()]
    if missing:
        raise UserError(f"{model_dir} lacks the component(s) {', '.join(missing)}")
    for component in COMPONENTS:
        entry = index[component]
        if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(part, str) for part in entry)):
            raise UserError(f"{index_file}: {component!r} must be a [library, class] pair such as "
                            f"[\"diffusers\", \"AutoencoderKL\"], got {entry!r}")
    unet_class = index["unet"][-1]
    if unet_class != UNetDEMConditionModel.__name__:
        raise UserError(f"unknown unet class {unet_class!r} in {index_file}; expected {UNetDEMConditionModel.__name__}")
    scheduler_class = index["scheduler"][-1]
    if scheduler_class not in {cls.__name__ for cls in SAMPLERS.values()}:
        raise UserError(f"unsupported scheduler class {scheduler_class!r} in {index_file}")
    return index


def read_license(model_dir: Path, model_id: str) -> str:
    """The licence from the model card's front matter, if any."""
    card = model_dir / "README.md"
    if card.is_file():
        match = re.search(r"^license:\s*(\S+)", card.read_text(encoding="utf-8", errors="replace"), re.MULTILINE)
        if match:
            return match.group(1)
    return PUBLISHED_LICENSE if model_id == DEFAULT_REPO_ID else "unknown (no model card)"


def load_components(path_or_repo_id: str | os.PathLike, device: str = "cpu",
                    dtype: torch.dtype = torch.float32) -> Components:
    """Load every component of a MESA-layout checkpoint (or a LoRA student on its teacher) from safetensors."""
    model_dir, model_id = resolve_model_dir(path_or_repo_id)
    student = LoraStudent.read(model_dir)
    if student is not None:
        return load_lora_student(model_dir, model_id, student, device, dtype)
    read_model_index(model_dir)
    try:
        scheduler_config = json.loads((model_dir / "scheduler" / "scheduler_config.json").read_text())
        tokenizer = CLIPTokenizer.from_pretrained(model_dir / "tokenizer")
        kwargs = {"use_safetensors": True, "torch_dtype": dtype}
        text_encoder = CLIPTextModel.from_pretrained(model_dir / "text_encoder", **kwargs)
        vae = AutoencoderKL.from_pretrained(model_dir / "vae", **kwargs)
        unet = UNetDEMConditionModel.from_pretrained(model_dir / "unet", **kwargs)
    except (OSError, ValueError, RuntimeError, json.JSONDecodeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(f"could not load the model in {model_dir}: {first_line}") from error
    license = read_license(model_dir, model_id)
    logger.warning("Loaded %s; weights licence: %s", model_id, license)
    modules = [m.to(device).eval().requires_grad_(False) for m in (text_encoder, vae, unet)]
    prior = load_colour_prior(model_dir)
    return Components(scheduler_config, tokenizer, *modules, model_dir, model_id, license,
                      None if prior is None else prior.to(device))


def load_colour_prior(model_dir: Path) -> ColourPrior | None:
    """The model's `colour_prior/` (None when it has none); UserError naming the folder when it is broken."""
    folder = model_dir / PRIOR_FOLDER
    if not folder.is_dir():
        return None
    try:
        prior = ColourPrior.load(folder)
    except (OSError, ValueError, RuntimeError, KeyError, TypeError, SafetensorError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(f"could not load the colour prior in {folder}: {first_line}") from error
    accepted = (PLACE_FEATURES, prompt_feature_count())
    if prior.features not in accepted:
        raise UserError(f"could not load the colour prior in {folder}: it reads {prior.features} prompt features; "
                        f"this version gives {accepted[0]} (place) or {accepted[1]} (place, biome, landform)")
    return prior


def load_lora_student(model_dir: Path, model_id: str, student: LoraStudent, device: str = "cpu",
                      dtype: torch.dtype = torch.float32, teacher: Components | None = None) -> Components:
    """A LoRA student's components: its teacher's (loaded here, or `teacher`'s shared tokenizer, text
    encoder and VAE with a copy of its UNet) with the adapters fused into the UNet, the student's
    folder (sampling defaults, elevation), the teacher's colour prior and licence."""
    if teacher is None:
        teacher = load_components(student.teacher_source(model_dir), device, dtype)
        unet = teacher.unet
    else:
        unet = copy.deepcopy(teacher.unet)
    if unet_fingerprint(teacher.model_dir) != student.teacher_unet_sha256:
        raise UserError(f"the LoRA student {model_id} was distilled from other weights than {teacher.model_id}'s "
                        f"(the UNet's SHA-256 differs from {model_dir / STUDENT_FILE}); distil it again from this teacher")
    attach_lora(unet, student, model_dir / LORA_FILE)
    unet.eval().requires_grad_(False)
    logger.warning("Loaded the LoRA student %s on %s; weights licence: %s", model_id, teacher.model_id, teacher.license)
    return Components(student_scheduler_config(teacher.scheduler_config, student.solver_steps), teacher.tokenizer,
                      teacher.text_encoder, teacher.vae, unet, model_dir, model_id, teacher.license,
                      teacher.colour_prior)
