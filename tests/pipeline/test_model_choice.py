"""`--model auto`: which model runs and the banner that says why (loader faked; no weights)."""

from types import SimpleNamespace

import pytest

from mesa.errors import UserError
from ui.banner import banner
from mesa.pipeline.model_choice import BUNDLED_MODEL, load_model, pick_device, pick_dtype


def fake_loader(calls, fail=()):
    def load(name, device, dtype):
        calls.append((name, device))
        if name in fail:
            raise UserError(f"weights for {name} are not in the Hugging Face cache")
        return SimpleNamespace(model_id=name, components=SimpleNamespace(license="test"))
    return load


def test_cpu_runs_the_bundled_model_and_says_why():
    calls = []
    loaded = load_model("auto", "cpu", loader=fake_loader(calls), has_bundled=True)
    assert calls == [(BUNDLED_MODEL, "cpu")]
    assert "no GPU" in banner(loaded) and "--model NewtNewt/MESA" in banner(loaded)


def test_cpu_without_bundled_model_starts_with_a_clear_message():
    calls = []
    loaded = load_model("auto", "cpu", loader=fake_loader(calls), has_bundled=False)
    assert loaded.pipe is None and calls == []
    assert "No model found" in banner(loaded) and "--model" in banner(loaded)


def test_gpu_prefers_published_weights_then_falls_back_offline(monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    calls = []
    loaded = load_model("auto", "cuda", loader=fake_loader(calls), has_bundled=True)
    assert calls == [("NewtNewt/MESA", "cuda")] and "published" in banner(loaded)
    calls = []
    loaded = load_model("auto", "cuda", loader=fake_loader(calls, fail={"NewtNewt/MESA"}), has_bundled=True)
    assert [c[0] for c in calls] == ["NewtNewt/MESA", BUNDLED_MODEL] and "could not be loaded" in banner(loaded)


def test_explicit_model_is_loaded_or_fails_loudly():
    calls = []
    assert load_model("/some/folder", "cpu", loader=fake_loader(calls)).pipe.model_id == "/some/folder"
    with pytest.raises(UserError):
        load_model("/missing", "cpu", loader=fake_loader([], fail={"/missing"}))


def test_device_and_dtype_choices():
    assert pick_device("cpu") == "cpu"
    with pytest.raises(UserError):
        pick_device("tpu")
    assert str(pick_dtype("auto", "cuda")) == "torch.float16" and str(pick_dtype("auto", "cpu")) == "torch.float32"
    with pytest.raises(UserError):
        pick_dtype("int8", "cpu")


def test_bundled_model_asked_by_name_still_says_what_it_is():
    loaded = load_model(BUNDLED_MODEL, "cpu", loader=fake_loader([]))
    assert "trained on synthetic terrain, not on Earth observation data" in banner(loaded)
    assert "hf download NewtNewt/MESA" in banner(loaded)
