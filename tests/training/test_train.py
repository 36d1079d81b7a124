"""End-to-end tiny runs: the loss falls, a resumed run matches an uninterrupted one, the exported
folder loads in TerrainPipeline and generates; LoRA and EMA runs export loadable models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from accelerate.utils import set_seed
from diffusers import DDPMScheduler
from safetensors.torch import load_file
from transformers import CLIPTextModel

from mesa.models.unet_dem import UNetDEMConditionModel
from mesa.pipeline import TerrainPipeline
from mesa.training.components import load_starting_point
from mesa.training.data import Collator, normalization_of
from mesa.training.loss import step_generator
from mesa.training.metrics import read_metrics
from mesa.training.train import diffusion_loss, train
from tests.training.conftest import ListSource


def fixed_loss(unet, start, batch) -> float:
    """The diffusion loss of one batch averaged over 8 fixed noise draws (no training noise)."""
    scheduler = DDPMScheduler.from_config(start.scheduler_config)
    with torch.no_grad():
        return float(np.mean([diffusion_loss(unet, start.text_encoder.eval(), start.vae, batch, scheduler,
                                             step_generator(9, k, 0, 0, torch.device("cpu"))).item()
                              for k in range(8)]))


def test_overfit_lowers_the_loss(tiny_config):
    config = tiny_config(max_steps=25, checkpoint_every=25, learning_rate=3e-3)
    source = ListSource(count=1)
    set_seed(config.seed)
    start = load_starting_point(config)
    collate = Collator(start.tokenizer, normalization_of(config), latent_factor=2)
    batch = collate([(0, source[0]), (0, source[0])], lane=0, next_position=1)
    before = fixed_loss(start.unet, start, batch)

    result = train(config, dataset=source)
    after = fixed_loss(UNetDEMConditionModel.from_pretrained(result.model_dir / "unet"), start, batch)
    assert after < 0.75 * before  # measured: 0.52 -> 0.30 after 25 steps
    lines = read_metrics(config.output_dir)
    assert [line["step"] for line in lines] == list(range(1, 26))
    assert all({"step", "loss", "lr", "samples_per_s"} <= set(line) for line in lines)


def run_straight_and_resumed(tiny_config, tmp_path, **options) -> tuple:
    """A 4-step run, and the same run killed after step 2 and resumed: (straight, resumed) configs."""
    source = ListSource(count=4)
    straight = tiny_config(max_steps=4, output_dir=str(tmp_path / "straight"), **options)
    train(straight, dataset=source)
    interrupted = tiny_config(max_steps=4, output_dir=str(tmp_path / "resumed"), stop_after=2, **options)
    assert train(interrupted, dataset=source).model_dir is None
    resumed = tiny_config(max_steps=4, output_dir=str(tmp_path / "resumed"), resume="latest", **options)
    train(resumed, dataset=source)
    return straight, resumed


WEIGHT_FILES = {"unet": "unet/diffusion_pytorch_model.safetensors", "text_encoder": "text_encoder/model.safetensors"}


def weight_bytes(model_dir: Path, part: str) -> bytes:
    return (model_dir / WEIGHT_FILES[part]).read_bytes()


def test_resumed_run_matches_uninterrupted_run(tiny_config, tmp_path):
    straight, resumed = run_straight_and_resumed(tiny_config, tmp_path, gradient_accumulation_steps=2)
    expected = [line["loss"] for line in read_metrics(straight.output_dir)]
    got = [line["loss"] for line in read_metrics(resumed.output_dir)]
    assert [line["step"] for line in read_metrics(resumed.output_dir)] == [1, 2, 3, 4]
    assert got == expected
    model, resumed_model = Path(straight.output_dir) / "model", Path(resumed.output_dir) / "model"
    assert weight_bytes(model, "unet") == weight_bytes(resumed_model, "unet")


def test_trained_text_encoder_changes_resumes_exactly_and_exports(tiny_config, tmp_path, pipeline_dir):
    options = dict(train_text_encoder=True, text_encoder_learning_rate=3e-3, use_ema=True, ema_decay=0.5,
                   caption_dropout=0.3)
    straight, resumed = run_straight_and_resumed(tiny_config, tmp_path, **options)
    assert [line["loss"] for line in read_metrics(straight.output_dir)] == \
        [line["loss"] for line in read_metrics(resumed.output_dir)]
    model, resumed_model = Path(straight.output_dir) / "model", Path(resumed.output_dir) / "model"
    for part in ("unet", "text_encoder"):
        assert weight_bytes(model, part) == weight_bytes(resumed_model, part)
    checkpoint = Path(resumed.output_dir) / "checkpoints" / "step_00000004"
    assert any(name.startswith("text_encoder.") for name in load_file(checkpoint / "weights.safetensors"))
    assert any(name.startswith("text_encoder.") for name in load_file(checkpoint / "ema.safetensors"))

    pipeline = TerrainPipeline.from_pretrained(model)
    before = CLIPTextModel.from_pretrained(pipeline_dir / "text_encoder").state_dict()
    after = pipeline.components.text_encoder.state_dict()
    changed = [name for name in before if not torch.equal(before[name], after[name])]
    assert len(changed) > len(before) // 2  # the EMA of a trained encoder, not the frozen one
    terrain = pipeline("hills", seeds=[0], steps=2, height=32, width=32)[0]
    assert np.isfinite(terrain.elevation_m).all()


def test_frozen_text_encoder_is_not_trained_or_stored(tiny_config, pipeline_dir):
    result = train(tiny_config(max_steps=2), dataset=ListSource(count=2))
    assert all(name.startswith("unet.") for name in load_file(Path(result.model_dir).parent / "checkpoints" /
                                                               "step_00000002" / "weights.safetensors"))
    exported, reference = (load_file(folder / WEIGHT_FILES["text_encoder"])
                           for folder in (result.model_dir, pipeline_dir))
    assert exported.keys() == reference.keys() and all(torch.equal(exported[k], reference[k]) for k in reference)


def test_final_folder_loads_in_terrain_pipeline_and_generates(tiny_config):
    config = tiny_config(max_steps=2, validation_every=2, validation_steps=2, validation_prompts=["mountains"])
    result = train(config, dataset=ListSource(count=2))
    model_dir = result.model_dir
    assert (model_dir / "tokenizer" / "vocab.json").is_file() and (model_dir / "tokenizer" / "merges.txt").is_file()
    index = json.loads((model_dir / "model_index.json").read_text())
    assert index["unet"] == ["models", "UNetDEMConditionModel"]
    elevation = json.loads((model_dir / "elevation.json").read_text())
    assert elevation["mode"] == "global" and elevation["meters_per_pixel"] == 30.0
    pipeline = TerrainPipeline.from_pretrained(model_dir)
    terrain = pipeline("mountains in Switzerland", seeds=[1], steps=2, height=32, width=32)[0]
    assert terrain.rgb.shape == (32, 32, 3) and np.isfinite(terrain.elevation_m).all()
    assert elevation["min_m"] <= terrain.elevation_m.min() and terrain.elevation_m.max() <= elevation["max_m"]
    assert len(list((model_dir.parent / "validation" / "step_00000002").glob("*.png"))) == 1


@pytest.mark.parametrize("options", [{"lora_rank": 2}, {"use_ema": True, "ema_decay": 0.5},
                                     {"gradient_checkpointing": True}])
def test_options_export_loadable_models(tiny_config, pipeline_dir, options):
    config = tiny_config(max_steps=2, init_from_config=None, components_from=None, pretrained=str(pipeline_dir),
                         **options)
    result = train(config, dataset=ListSource(count=2))
    pipeline = TerrainPipeline.from_pretrained(result.model_dir)
    assert not any("lora" in name for name in pipeline.components.unet.state_dict())
    pipeline("hills", seeds=[0], steps=1, height=32, width=32)
