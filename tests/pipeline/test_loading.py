import json
import logging
import shutil

import pytest

from mesa.errors import UserError
from mesa.pipeline import TerrainPipeline
from mesa.pipeline.loading import resolve_model_dir


@pytest.fixture
def checkpoint(tmp_path, reference_dir):
    """A writable copy of the published-layout reference checkpoint."""
    return shutil.copytree(reference_dir / "pipeline", tmp_path / "ckpt")


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="model folder not found: .*nowhere"):
        TerrainPipeline.from_pretrained(str(tmp_path / "nowhere"))


def test_folder_without_model_index(tmp_path):
    with pytest.raises(UserError, match="has no model_index.json"):
        TerrainPipeline.from_pretrained(tmp_path)


def test_unknown_unet_class_is_refused(checkpoint):
    index_file = checkpoint / "model_index.json"
    index = json.loads(index_file.read_text())
    index["unet"] = ["my_module", "EvilUNet"]
    index_file.write_text(json.dumps(index))
    with pytest.raises(UserError, match="unknown unet class 'EvilUNet'.*expected UNetDEMConditionModel"):
        TerrainPipeline.from_pretrained(checkpoint)


@pytest.mark.parametrize("text, message", [
    ("{not json", "is not valid JSON"),
    ("[1, 2]", "must hold one JSON object"),
    (None, "'unet' must be a \\[library, class\\] pair"),
])
def test_malformed_model_index_is_one_clear_line(checkpoint, text, message):
    index_file = checkpoint / "model_index.json"
    if text is None:
        index = json.loads(index_file.read_text())
        index["unet"] = "UNetDEMConditionModel"
        text = json.dumps(index)
    index_file.write_text(text)
    with pytest.raises(UserError, match=message):
        TerrainPipeline.from_pretrained(checkpoint)


def test_missing_component(checkpoint):
    shutil.rmtree(checkpoint / "vae")
    with pytest.raises(UserError, match="lacks the component.*vae"):
        TerrainPipeline.from_pretrained(checkpoint)


def test_corrupt_safetensors_is_a_clear_error(checkpoint):
    weights = checkpoint / "unet" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(UserError, match="could not load the model in"):
        TerrainPipeline.from_pretrained(checkpoint)


def test_pickle_weights_are_never_loaded(checkpoint):
    (checkpoint / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    (checkpoint / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"not to be unpickled")
    with pytest.raises(UserError, match="could not load the model"):
        TerrainPipeline.from_pretrained(checkpoint)


def test_licence_from_model_card_is_reported(checkpoint, caplog):
    (checkpoint / "README.md").write_text("---\nlicense: cc-by-nc-4.0\n---\n# MESA\n")
    with caplog.at_level(logging.WARNING):
        pipe = TerrainPipeline.from_pretrained(checkpoint)
    assert pipe.components.license == "cc-by-nc-4.0"
    assert any("cc-by-nc-4.0" in record.message for record in caplog.records)


def test_checkpoint_elevation_declaration_gives_metres(checkpoint):
    (checkpoint / "elevation.json").write_text(
        json.dumps({"mode": "global", "min_m": -100.0, "max_m": 4900.0, "meters_per_pixel": 60.0}))
    pipe = TerrainPipeline.from_pretrained(checkpoint)
    [terrain] = pipe("plains", seeds=[0], steps=2, height=32, width=32)
    assert terrain.meters_per_pixel == 60.0
    assert terrain.settings.base_m == -100.0 and terrain.settings.relief_m == 5000.0


def _fake_hub_cache(cache, repo_id, source):
    """Lay out `source` as huggingface_hub's cache does for a downloaded snapshot."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(source, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    return repo / "snapshots" / commit


def test_hub_repo_id_resolves_from_the_cache_offline(tmp_path, reference_dir, monkeypatch):
    cache = tmp_path / "hub"
    snapshot = _fake_hub_cache(cache, "NewtNewt/MESA", reference_dir / "pipeline")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    folder, model_id = resolve_model_dir("NewtNewt/MESA")
    assert folder.resolve() == snapshot.resolve() and model_id == "NewtNewt/MESA"
    pipe = TerrainPipeline.from_pretrained("NewtNewt/MESA")
    assert pipe.model_id == "NewtNewt/MESA"
    assert pipe.components.license.startswith("non-commercial")


def test_hub_repo_offline_and_not_cached_says_how_to_fetch(tmp_path, monkeypatch):
    import huggingface_hub.constants as hub_constants

    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(UserError, match="hf download NewtNewt/MESA") as error:
        TerrainPipeline.from_pretrained("NewtNewt/MESA")
    assert "\n" not in str(error.value)


def test_checkpoint_sampling_defaults_apply_unless_overridden(checkpoint):
    (checkpoint / "sampling_defaults.json").write_text(json.dumps({"sampler": "unipc", "steps": 3, "guidance": 2.0}))
    pipe = TerrainPipeline.from_pretrained(checkpoint)
    [default] = pipe("hills", seeds=[0], height=32, width=32)
    assert (default.settings.sampler, default.settings.steps, default.settings.guidance) == ("unipc", 3, 2.0)
    [chosen] = pipe("hills", seeds=[0], steps=2, sampler="ddim", guidance=1.0, height=32, width=32)
    assert (chosen.settings.sampler, chosen.settings.steps, chosen.settings.guidance) == ("ddim", 2, 1.0)


def test_published_layout_without_defaults_samples_like_the_paper(checkpoint):
    defaults = TerrainPipeline.from_pretrained(checkpoint).defaults
    assert (defaults.sampler, defaults.steps, defaults.guidance) == ("ddim", 50, 7.5)


def test_bad_sampling_defaults_file(checkpoint):
    (checkpoint / "sampling_defaults.json").write_text('{"sampler": "ddim", "stepz": 3}')
    with pytest.raises(UserError, match="not a valid sampling defaults file"):
        TerrainPipeline.from_pretrained(checkpoint)
