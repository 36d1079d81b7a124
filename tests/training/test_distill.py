"""`python -m mesa distill` on the tiny reference checkpoint: a few steps run and log, a resumed run
matches an uninterrupted one, the LoRA and full students load in TerrainPipeline and sample in 4
steps with 4 UNet evaluations, and every file written is safetensors or JSON."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.torch import load_file

from mesa.errors import UserError
from mesa.pipeline import TerrainPipeline
from mesa.pipeline.students import LORA_FILE, STUDENT_FILE
from mesa.training.distill import distill
from mesa.training.distill_config import DistillConfig
from mesa.training.metrics import read_metrics
from tests.training.conftest import RESOLUTION, ListSource


@pytest.fixture
def distill_config(tmp_path: Path, pipeline_dir: Path):
    """A factory of DistillConfig for the reference checkpoint as teacher (rank-2 LoRA, 32 px)."""

    def make(**overrides) -> DistillConfig:
        values = dict(teacher=str(pipeline_dir), student="lora", lora_rank=2, resolution=RESOLUTION, batch_size=2,
                      max_steps=4, checkpoint_every=2, log_every=1, validation_every=0, learning_rate=1e-3,
                      guidance=5.0, solver_steps=20, output_dir=str(tmp_path / "run"), seed=3)
        values.update(overrides)
        return DistillConfig(**values)

    return make


def count_unet_calls(pipe: TerrainPipeline) -> list[int]:
    """Wrap the pipeline's UNet so every forward pass adds its batch size to the returned list."""
    calls, forward = [], pipe.unet.forward

    def counted(sample, *args, **kwargs):
        calls.append(sample.shape[0])
        return forward(sample, *args, **kwargs)

    pipe.unet.forward = counted
    return calls


def test_resumed_distillation_matches_uninterrupted_run_and_exports_a_lora_student(distill_config, tmp_path):
    source = ListSource(count=4)
    straight = distill(distill_config(output_dir=str(tmp_path / "straight")), dataset=source)
    interrupted = distill_config(output_dir=str(tmp_path / "resumed"), stop_after=2)
    assert distill(interrupted, dataset=source).model_dir is None
    resumed = distill(distill_config(output_dir=str(tmp_path / "resumed"), resume="latest"), dataset=source)

    lines = read_metrics(tmp_path / "straight")
    assert [line["step"] for line in lines] == [1, 2, 3, 4]
    assert all(np.isfinite(line["loss"]) and line["loss"] > 0 for line in lines)
    assert [line["loss"] for line in read_metrics(tmp_path / "resumed")] == pytest.approx(
        [line["loss"] for line in lines], rel=1e-5)
    assert resumed.step == 4 and (tmp_path / "resumed" / "checkpoints" / "step_00000002").is_dir()
    weights, resumed_weights = load_file(straight.model_dir / LORA_FILE), load_file(resumed.model_dir / LORA_FILE)
    assert weights.keys() == resumed_weights.keys() and weights
    assert all(np.allclose(weights[k].numpy(), resumed_weights[k].numpy(), atol=1e-6) for k in weights)
    record = json.loads((straight.model_dir / STUDENT_FILE).read_text())
    assert record["rank"] == 2 and record["guidance"] == 5.0 and record["solver_steps"] == 20
    assert json.loads((straight.model_dir / "sampling_defaults.json").read_text()) == {
        "sampler": "lcm", "steps": 4, "guidance": 1.0, "overscan": 0}
    written = {path.suffix for path in tmp_path.rglob("*") if path.is_file()}
    assert written <= {".json", ".jsonl", ".safetensors", ".md"}  # no pickle anywhere


def test_lora_student_loads_and_samples_in_four_unet_evaluations(distill_config, pipeline_dir):
    result = distill(distill_config(max_steps=2, checkpoint_every=2), dataset=ListSource(count=2))
    student = TerrainPipeline.from_pretrained(result.model_dir)
    teacher = TerrainPipeline.from_pretrained(pipeline_dir)
    changed = [name for name, weight in student.unet.state_dict().items()
               if not np.array_equal(weight.numpy(), teacher.unet.state_dict()[name].numpy())]
    assert changed and not any("lora" in name for name in student.unet.state_dict())  # fused, teacher's names
    calls = count_unet_calls(student)
    terrains = student("mountains in Switzerland", seeds=[1, 2], height=RESOLUTION, width=RESOLUTION)
    assert calls == [2, 2, 2, 2]  # 4 steps, one evaluation each for both seeds: no guidance pair
    assert terrains[0].settings.sampler == "lcm" and terrains[0].settings.steps == 4
    assert all(np.isfinite(t.elevation_m).all() and t.rgb.shape == (RESOLUTION, RESOLUTION, 3) for t in terrains)
    assert not np.array_equal(terrains[0].elevation_m, terrains[1].elevation_m)
    teacher_calls = count_unet_calls(teacher)
    teacher("mountains in Switzerland", seeds=[1, 2], steps=4, height=RESOLUTION, width=RESOLUTION)
    assert teacher_calls == [4, 4, 4, 4]  # the teacher's guided pair: twice the work per step
    with pytest.raises(UserError, match="lcm sampler takes 1 to 8 steps"):
        student("hills", seeds=[1], steps=9, height=RESOLUTION, width=RESOLUTION)


def test_full_student_exports_a_model_folder_and_validates(distill_config, pipeline_dir, tmp_path):
    teacher = tmp_path / "teacher"  # a teacher that samples with overscan: its student inherits it
    shutil.copytree(pipeline_dir, teacher)
    (teacher / "sampling_defaults.json").write_text(json.dumps({"sampler": "ddim", "steps": 50, "guidance": 7.5,
                                                                "overscan": 8}))
    config = distill_config(teacher=str(teacher), student="full", max_steps=2, checkpoint_every=2,
                            validation_every=2, validation_prompts=["hills"])
    result = distill(config, dataset=ListSource(count=2))
    model_dir = result.model_dir
    assert (model_dir / "unet" / "diffusion_pytorch_model.safetensors").is_file()
    assert json.loads((model_dir / "scheduler" / "scheduler_config.json").read_text())["original_inference_steps"] == 20
    assert len(list((tmp_path / "run" / "validation" / "step_00000002").glob("*.png"))) == 1
    student = TerrainPipeline.from_pretrained(model_dir)
    calls = count_unet_calls(student)
    terrain = student("hills", seeds=[5], steps=2, height=RESOLUTION, width=RESOLUTION)[0]
    assert calls == [1, 1] and np.isfinite(terrain.elevation_m).all()
    assert student.defaults.overscan == 8 and terrain.settings.overscan == 8
    assert terrain.dem.shape == (RESOLUTION, RESOLUTION)


@pytest.mark.parametrize("overrides, message", [
    ({"teacher": None}, "give --teacher"),
    ({"student": "half"}, "student must be one of"),
    ({"guidance": 0.5}, "guidance must be a number from 1"),
    ({"sampling_steps": 9}, "sampling_steps must be from 1 to 8"),
    ({"target_ema_decay": 1.0}, "target_ema_decay"),
])
def test_settings_that_cannot_work_are_refused(distill_config, overrides, message):
    with pytest.raises(UserError, match=message):
        distill_config(**overrides)
