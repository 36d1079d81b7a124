"""The bundled mesa-tiny model: layout, size budget, metres, honesty of its card, the fallback."""

from __future__ import annotations

import json

from mesa.pipeline.elevation import read_checkpoint_elevation
from mesa.pipeline.loading import read_license, read_model_index
from ui.banner import banner
from mesa.pipeline.model_choice import BUNDLED_MODEL, load_model
from tests.tiny.conftest import MODEL_DIR

MAX_BYTES = 30_000_000


def test_published_layout_and_classes():
    index = read_model_index(MODEL_DIR)
    assert index["unet"] == ["models", "UNetDEMConditionModel"]
    assert index["vae"] == ["diffusers", "AutoencoderKL"]
    assert index["text_encoder"] == ["transformers", "CLIPTextModel"]
    for part in ("unet", "vae", "text_encoder"):
        assert list((MODEL_DIR / part).glob("*.safetensors")), part


def test_total_size_within_budget():
    size = sum(path.stat().st_size for path in MODEL_DIR.rglob("*") if path.is_file())
    assert size <= MAX_BYTES, f"{size / 1e6:.1f} MB"


def test_native_resolution_and_metres(tiny_model_pipeline):
    assert tiny_model_pipeline.native_size >= 128
    elevation = read_checkpoint_elevation(MODEL_DIR)
    assert elevation.min_m is not None and elevation.max_m > elevation.min_m + 1000
    assert elevation.meters_per_pixel > 0
    assert tiny_model_pipeline.meters_per_pixel == elevation.meters_per_pixel


def test_resolved_by_name(tiny_model_pipeline):
    assert tiny_model_pipeline.components.model_dir.resolve() == MODEL_DIR.resolve()


def test_cpu_auto_choice_falls_back_to_it():
    loaded = load_model("auto", "cpu")
    assert loaded.pipe.model_id == BUNDLED_MODEL
    assert "synthetic terrain" in banner(loaded) and "hf download NewtNewt/MESA" in banner(loaded)


def test_card_says_what_it_is():
    card = (MODEL_DIR / "README.md").read_text(encoding="utf-8")
    assert "synthetic" in card and "not on Earth observation" in card
    assert "NewtNewt/MESA" in card
    assert read_license(MODEL_DIR, "mesa-tiny") != "unknown (no model card)"


def test_training_record_kept_beside_the_model():
    record = MODEL_DIR / "training"
    for name in ("metrics.jsonl", "vae_metrics.jsonl", "configs/train.json", "configs/unet.json"):
        assert (record / name).is_file(), name
    assert list((record / "validation").rglob("*.png"))
    quality = json.loads((MODEL_DIR / "quality.json").read_text(encoding="utf-8"))
    assert quality["seeds"] >= 6


def test_no_configuration_names_a_folder_of_the_machine_it_was_trained_on():
    for path in MODEL_DIR.glob("*/config.json"):
        assert "_name_or_path" not in json.loads(path.read_text(encoding="utf-8")), path
