"""The exported model folder appears whole or not at all: a failure mid-export leaves the previous
export untouched and no staging folder behind."""

from __future__ import annotations

import pytest

from mesa.data.normalization import ElevationNormalization
from mesa.pipeline.loading import load_components
from mesa.training.export import export_model


class FailingModule:
    """Stands in for the UNet: saving it fails half-way through an export (disk full, kill)."""

    def to(self, dtype):
        return self

    def save_pretrained(self, folder, safe_serialization=True):
        raise OSError("no space left on device")


def test_a_failed_export_leaves_the_previous_model_untouched(tmp_path, reference_dir):
    parts = load_components(reference_dir / "pipeline")
    target = tmp_path / "model"
    options = dict(tokenizer=parts.tokenizer, text_encoder=parts.text_encoder, vae=parts.vae,
                   scheduler_config=parts.scheduler_config, normalization=ElevationNormalization(),
                   meters_per_pixel=30.0)
    export_model(target, unet=parts.unet, **options)
    before = {path.relative_to(target): path.read_bytes() for path in target.rglob("*") if path.is_file()}
    with pytest.raises(OSError, match="no space left"):
        export_model(target, unet=FailingModule(), **options)
    after = {path.relative_to(target): path.read_bytes() for path in target.rglob("*") if path.is_file()}
    assert after == before and len(before) > 10
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]
