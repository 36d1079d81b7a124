"""Write a distilled student as a model folder that `TerrainPipeline.from_pretrained` loads.

- full UNet: the teacher's MESA layout (its model_index.json, tokenizer, text encoder, VAE, colour
  prior, elevation.json and prompts.csv, copied) with the student's `unet/`, and the scheduler config
  extended with the solver grid (`original_inference_steps`);
- LoRA: the small folder of `mesa.pipeline.students` (student.json + unet_lora.safetensors) that
  loads on top of the teacher (and uses the teacher's colour prior).

A colour prior (`mesa.models.colour_prior`) models the teacher VAE's image latent given the caption and
steers only the top of the schedule, so a student that shares the VAE samples with it as the teacher
does (mesa-tiny-fast: the season's snow and greenness from 0.000 to +0.088 / +0.149, docs/fast.md).

Both get `sampling_defaults.json` (the few-step sampler, its steps, guidance 1: the teacher's
guidance is folded in), `distillation.json` (how it was made) and a model card naming the teacher
and the licence its weights carry. Each folder is staged and swapped in whole.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors.torch import save_file

from mesa.atomic import staged_directory
from mesa.models.colour_prior import FOLDER as PRIOR_FOLDER
from mesa.pipeline.pipeline import SAMPLING_DEFAULTS_FILE, SamplingDefaults
from mesa.pipeline.students import LORA_FILE, STUDENT_FILE, LoraStudent, student_scheduler_config

DISTILLATION_FILE = "distillation.json"
TEACHER_EXTRAS = ("elevation.json", "prompts.csv")  # copied when the teacher has them
TEACHER_COMPONENTS = ("model_index.json", "tokenizer", "text_encoder", "vae")
TEACHER_OPTIONAL = (PRIOR_FOLDER,)  # copied when the teacher has it


def export_full_student(directory: Path, teacher_dir: Path, unet: torch.nn.Module, scheduler_config: dict,
                        record: dict, defaults: SamplingDefaults, license: str | None) -> Path:
    """The teacher's layout with the student's UNet (float32 safetensors) in `directory`."""
    with staged_directory(directory) as staging:
        for name in TEACHER_COMPONENTS:
            copy_entry(Path(teacher_dir) / name, staging / name)
        for name in TEACHER_OPTIONAL:
            if (Path(teacher_dir) / name).exists():
                copy_entry(Path(teacher_dir) / name, staging / name)
        (staging / "scheduler").mkdir()
        config = student_scheduler_config(scheduler_config, record["solver_steps"])
        (staging / "scheduler" / "scheduler_config.json").write_text(json.dumps(config, indent=2) + "\n",
                                                                     encoding="utf-8")
        unet.to(torch.float32).save_pretrained(staging / "unet", safe_serialization=True)
        write_student_files(staging, teacher_dir, record, defaults, license)
    return directory


def export_lora_student(directory: Path, teacher_dir: Path, lora_tensors: dict[str, torch.Tensor],
                        student: LoraStudent, record: dict, defaults: SamplingDefaults, license: str | None) -> Path:
    """student.json + unet_lora.safetensors (float32) in `directory`."""
    with staged_directory(directory) as staging:
        (staging / STUDENT_FILE).write_text(student.to_json(), encoding="utf-8")
        save_file({name: tensor.detach().to("cpu", torch.float32).contiguous() for name, tensor in lora_tensors.items()},
                  staging / LORA_FILE)
        write_student_files(staging, teacher_dir, record, defaults, license)
    return directory


def copy_entry(source: Path, target: Path) -> None:
    """Copy a file or folder (following links: a Hub cache holds links to its blobs)."""
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copyfile(source, target)


def write_student_files(folder: Path, teacher_dir: Path, record: dict, defaults: SamplingDefaults,
                        license: str | None) -> None:
    """sampling_defaults.json, distillation.json, the teacher's extras and the model card."""
    (folder / SAMPLING_DEFAULTS_FILE).write_text(json.dumps(asdict(defaults), indent=2) + "\n", encoding="utf-8")
    (folder / DISTILLATION_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    for name in TEACHER_EXTRAS:
        if (Path(teacher_dir) / name).is_file():
            shutil.copyfile(Path(teacher_dir) / name, folder / name)
    colour_prior = (Path(teacher_dir) / PRIOR_FOLDER).is_dir()
    (folder / "README.md").write_text(model_card(record, defaults, license, colour_prior), encoding="utf-8")


def model_card(record: dict, defaults: SamplingDefaults, license: str | None, colour_prior: bool = False) -> str:
    """A short card: what the student is, how to sample it, and the teacher's licence."""
    front = f"---\nlicense: {license}\n---\n\n" if license and not license.startswith("unknown") else ""
    overscan = f", overscan {defaults.overscan} px (the teacher's)" if defaults.overscan else ""
    return (f"{front}# Few-step student of {record['teacher']}\n\n"
            f"Distilled by `python -m mesa distill` (latent consistency distillation, Luo et al. 2023) as a "
            f"{record['student']} student, {record['steps']} steps. Classifier-free guidance {record['guidance']:g} "
            f"is folded in: sample with the `{defaults.sampler}` sampler, {defaults.steps} steps, guidance "
            f"{defaults.guidance:g}{overscan} (`sampling_defaults.json`); one UNet evaluation per step."
            + (" Plain generation draws each tile's overall colour from the teacher's colour prior "
               "(`colour_prior/`, `mesa.models.colour_prior`), as the teacher does." if colour_prior else "")
            + "\n\n"
            f"The weights inherit the teacher's licence: {license or 'see the teacher'}. How it was made: "
            f"`{DISTILLATION_FILE}`.\n")
