"""LoRA students on their teacher (`student.json` + adapters), the lcm sampler's step limit, and
`--fast` choosing a model's student; built from the tiny reference checkpoint with random adapters
(no training)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from peft.utils import get_peft_model_state_dict

from mesa.errors import UserError
from mesa.pipeline import TerrainPipeline
from mesa.pipeline.model_choice import fast_variant, load_model
from mesa.pipeline.pipeline import SamplingDefaults
from mesa.pipeline.request import check_request
from mesa.pipeline.students import LORA_FILE, STUDENT_FILE, LoraStudent, lora_config, unet_fingerprint
from mesa.models.colour_prior import ColourPrior
from mesa.training.student_export import export_full_student, export_lora_student

TARGETS = ("to_q", "to_v", "conv1")


@pytest.fixture
def teacher_dir(tmp_path, reference_dir) -> Path:
    return shutil.copytree(reference_dir / "pipeline", tmp_path / "teacher")


@pytest.fixture
def student_dir(tmp_path, teacher_dir) -> Path:
    """A LoRA student of `teacher_dir` with random (non-zero) rank-2 adapters."""
    unet = TerrainPipeline.from_pretrained(teacher_dir).unet
    record = LoraStudent(str(teacher_dir), unet_fingerprint(teacher_dir), 2, 2.0, TARGETS, 20, 5.0)
    torch.manual_seed(0)
    unet.add_adapter(lora_config(record))
    for name, parameter in unet.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.5)
    return export_lora_student(tmp_path / "student", teacher_dir, get_peft_model_state_dict(unet), record,
                               {"teacher": str(teacher_dir), "student": "lora", "guidance": 5.0, "steps": 0,
                                "solver_steps": 20}, SamplingDefaults("lcm", 4, 1.0), None)


def test_lora_student_fuses_its_adapters_into_the_teacher(student_dir, teacher_dir):
    student, teacher = TerrainPipeline.from_pretrained(student_dir), TerrainPipeline.from_pretrained(teacher_dir)
    assert student.defaults == SamplingDefaults("lcm", 4, 1.0)
    assert student.components.scheduler_config["original_inference_steps"] == 20
    weights, teacher_weights = student.unet.state_dict(), teacher.unet.state_dict()
    assert weights.keys() == teacher_weights.keys()
    changed = {name for name in weights if not torch.equal(weights[name], teacher_weights[name])}
    assert changed and all(any(target in name for target in TARGETS) for name in changed)
    terrain = student("hills", seeds=[3], height=32, width=32)[0]
    assert terrain.settings.sampler == "lcm" and np.isfinite(terrain.elevation_m).all()


def give_colour_prior(model_dir: Path) -> ColourPrior:
    pipe = TerrainPipeline.from_pretrained(model_dir)
    torch.manual_seed(2)
    prior = ColourPrior(pipe.text_encoder.config, pipe.latent_channels, from_timestep=500)
    prior.save(model_dir / "colour_prior")
    return prior


def test_students_sample_with_their_teachers_colour_prior(student_dir, teacher_dir, tmp_path):
    """The prior models the teacher VAE's latent and steers only the top of the schedule, so a student
    sharing that VAE uses it: a LoRA student loads the teacher's, a full student carries a copy."""
    prior = give_colour_prior(teacher_dir)
    lora = TerrainPipeline.from_pretrained(student_dir)
    assert lora.components.colour_prior is not None
    assert all(torch.equal(a, b) for a, b in zip(lora.components.colour_prior.state_dict().values(),
                                                 prior.state_dict().values()))
    teacher = TerrainPipeline.from_pretrained(teacher_dir)
    full_dir = export_full_student(tmp_path / "full", teacher_dir, teacher.unet, teacher.components.scheduler_config,
                                   {"teacher": str(teacher_dir), "student": "full", "guidance": 5.0, "steps": 0,
                                    "solver_steps": 20}, SamplingDefaults("lcm", 4, 1.0), None)
    assert (full_dir / "colour_prior" / "model.safetensors").read_bytes() == (
        teacher_dir / "colour_prior" / "model.safetensors").read_bytes()
    full = TerrainPipeline.from_pretrained(full_dir)
    request = full.request("hills", seeds=(0,), height=32, width=32, overscan=0)
    steered, plain = full.sample_latents(request), full.sample_latents(request, steer_colour=False)
    assert not torch.allclose(steered[:, :4].mean(dim=(2, 3)), plain[:, :4].mean(dim=(2, 3)), atol=1e-3)


def test_a_teacher_without_a_colour_prior_makes_students_without_one(student_dir, teacher_dir, tmp_path):
    assert TerrainPipeline.from_pretrained(student_dir).components.colour_prior is None
    teacher = TerrainPipeline.from_pretrained(teacher_dir)
    full_dir = export_full_student(tmp_path / "full", teacher_dir, teacher.unet, teacher.components.scheduler_config,
                                   {"teacher": str(teacher_dir), "student": "full", "guidance": 5.0, "steps": 0,
                                    "solver_steps": 20}, SamplingDefaults("lcm", 4, 1.0), None)
    assert not (full_dir / "colour_prior").exists()


def test_student_of_other_weights_is_refused(student_dir, teacher_dir):
    unet_file = next((teacher_dir / "unet").glob("*.safetensors"))
    data = bytearray(unet_file.read_bytes())
    data[-1] ^= 1  # one bit of the teacher's weights differs
    unet_file.write_bytes(bytes(data))
    with pytest.raises(UserError, match="distilled from other weights"):
        TerrainPipeline.from_pretrained(student_dir)


@pytest.mark.parametrize("edit, message", [
    (lambda record: {**record, "format": "other"}, "\"format\" must be"),
    (lambda record: {**record, "version": 9}, "version 9"),
    (lambda record: {**record, "rank": 0}, "rank and solver_steps"),
    (lambda record: {**record, "alpha": float("nan")}, "alpha and guidance"),
    (lambda record: {k: v for k, v in record.items() if k != "teacher"}, "not a valid LoRA student"),
])
def test_invalid_student_record_is_one_clear_error(student_dir, edit, message):
    path = student_dir / STUDENT_FILE
    path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    with pytest.raises(UserError, match=message):
        TerrainPipeline.from_pretrained(student_dir)


def test_broken_or_missing_adapter_file_is_refused(student_dir):
    (student_dir / LORA_FILE).write_bytes(b"not safetensors")
    with pytest.raises(UserError, match="not a valid safetensors file"):
        TerrainPipeline.from_pretrained(student_dir)
    (student_dir / LORA_FILE).unlink()
    with pytest.raises(UserError, match="missing"):
        TerrainPipeline.from_pretrained(student_dir)


def test_lcm_takes_one_to_eight_steps():
    arguments = dict(prompt="hills", seeds=[1], guidance=1.0, negative_prompt="", height=32, width=32,
                     relief_m=None, base_m=None, size_factor=8, native_size=32)
    assert check_request(steps=8, sampler="lcm", **arguments).steps == 8
    assert check_request(steps=50, sampler="ddim", **arguments).steps == 50
    with pytest.raises(UserError, match="lcm sampler takes 1 to 8 steps"):
        check_request(steps=9, sampler="lcm", **arguments)


def test_fast_picks_the_student_of_a_model(student_dir, teacher_dir):
    assert fast_variant(str(student_dir)) == str(student_dir)  # a student is its own fast variant
    with pytest.raises(UserError, match="has no fast"):
        fast_variant(str(teacher_dir))
    shutil.copytree(student_dir, teacher_dir / "fast")
    assert fast_variant(str(teacher_dir)) == str(teacher_dir / "fast")
    calls = []
    load_model(str(teacher_dir), "cpu", loader=lambda name, *_: calls.append(name) or fake_pipe(name), fast=True)
    assert calls == [str(teacher_dir / "fast")]


def test_fast_bundled_model_is_its_fast_sibling(monkeypatch, tmp_path):
    monkeypatch.setattr("mesa.pipeline.model_choice.BUNDLED_MODELS_DIR", tmp_path)
    (tmp_path / "mesa-tiny").mkdir()
    (tmp_path / "mesa-tiny-fast").mkdir()
    calls = []
    choice = load_model("auto", "cpu", loader=lambda name, *_: calls.append(name) or fake_pipe(name),
                        has_bundled=True, fast=True)
    assert calls == ["mesa-tiny-fast"] and choice.kind == "bundled"


def fake_pipe(name: str):
    from types import SimpleNamespace

    return SimpleNamespace(model_id=name, components=SimpleNamespace(license="test"))
