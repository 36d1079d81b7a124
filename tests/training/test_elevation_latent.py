"""The UNet's elevation latent (`ElevationLatent`): centred and scaled from the VAE's, measured on
tiles, trained in, recorded in elevation.json, and undone by the pipeline before decoding."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from mesa.data.normalization import ElevationLatent
from mesa.errors import UserError
from mesa.pipeline import TerrainPipeline
from mesa.pipeline.elevation import read_checkpoint_elevation
from mesa.training.train import encode_latents, train, with_pretrained_latent
from mesa.training.vae import measure_elevation_latent
from tests.training.conftest import ListSource

LATENT = ElevationLatent((0.5, -1.0, 2.0, 0.25), 3.0)


def test_to_unet_and_back_is_the_identity_and_centres_and_scales_each_channel():
    latents = torch.randn(2, 4, 5, 6, generator=torch.Generator().manual_seed(0))
    unet = LATENT.to_unet(latents)
    assert torch.allclose(unet[:, 2], (latents[:, 2] - 2.0) * 3.0)
    assert torch.allclose(LATENT.from_unet(unet), latents, atol=1e-6)
    assert ElevationLatent().is_identity and ElevationLatent().to_unet(latents) is latents
    with pytest.raises(UserError, match="3 values; the latent has 4 channels"):
        ElevationLatent((0.0, 0.0, 0.0), 2.0).to_unet(latents)


@pytest.mark.parametrize("document, message", [
    ({"shift": [0, 0, 0, 0], "scale": 0}, "scale must be a positive finite number"),
    ({"shift": [0, "x", 0, 0], "scale": 2}, "shift must be finite numbers"),
    ({"shift": 3, "scale": 2}, "shift must be a list of numbers"),
    ({"shift": [0, 0, 0, 0], "gain": 2}, "must be {\"shift\""),
])
def test_a_bad_latent_in_elevation_json_names_the_file_and_what_is_accepted(tmp_path, document, message):
    (tmp_path / "elevation.json").write_text(json.dumps({"mode": "global", "min_m": 0.0, "max_m": 1000.0,
                                                         "latent": document}))
    with pytest.raises(UserError, match=f"elevation.json: .*{message[:20]}"):
        read_checkpoint_elevation(tmp_path)


class StubVae:
    """A 'VAE' whose posterior mean is its input's first 4 channels halved (scaling factor 2)."""

    device, dtype = torch.device("cpu"), torch.float32
    config = SimpleNamespace(scaling_factor=2.0, shift_factor=None)

    def encode(self, pixels):
        return SimpleNamespace(latent_dist=SimpleNamespace(mean=pixels[:, :4] / 2))


def test_measured_shift_is_the_elevation_mean_and_scale_the_spread_ratio():
    generator = torch.Generator().manual_seed(1)
    rgb = 0.8 * torch.randn(64, 4, 16, 16, generator=generator)  # within-tile std 0.8
    elevation = 1.5 + 0.2 * torch.randn(64, 4, 16, 16, generator=generator)  # mean 1.5, std 0.2
    elevation[:, 1] -= 1.0
    latent = measure_elevation_latent(StubVae(), rgb, elevation, batch=10)
    assert latent.shift == pytest.approx((1.5, 0.5, 1.5, 1.5), abs=0.01)
    assert latent.scale == pytest.approx(4.0, rel=0.02)
    with pytest.raises(UserError, match="at least 2 tiles"):
        measure_elevation_latent(StubVae(), rgb[:1], elevation[:1])


def test_training_latents_put_the_elevation_half_in_the_unet_latent():
    rgb = torch.rand(2, 3, 8, 8) * 2 - 1
    elevation = torch.rand(2, 3, 8, 8).mul(2).sub(1)
    vae = SimpleNamespace(dtype=torch.float32, config=StubVae.config,
                          encode=lambda pixels: SimpleNamespace(latent_dist=SimpleNamespace(
                              sample=lambda generator: torch.cat([pixels, pixels[:, :1]], dim=1))))
    plain = encode_latents(vae, rgb, elevation, torch.Generator())
    shifted = encode_latents(vae, rgb, elevation, torch.Generator(), LATENT)
    assert torch.equal(plain[:, :4], shifted[:, :4])
    assert torch.allclose(shifted[:, 4:], LATENT.to_unet(plain[:, 4:]))


@pytest.fixture
def declaring(tmp_path, reference_dir) -> Path:
    """The reference checkpoint with a global metres range and `LATENT` in its elevation.json."""
    folder = shutil.copytree(reference_dir / "pipeline", tmp_path / "declaring")
    (folder / "elevation.json").write_text(json.dumps({"mode": "global", "min_m": 0.0, "max_m": 2000.0,
                                                       "latent": LATENT.to_json()}))
    return folder


def test_the_pipeline_encodes_into_and_decodes_out_of_the_declared_latent(declaring, tiny_pipeline):
    pipe = TerrainPipeline.from_pretrained(declaring)
    assert pipe.elevation_latent == LATENT and tiny_pipeline.elevation_latent.is_identity
    rng = np.random.default_rng(0)
    rgb, dem = rng.random((1, 32, 32, 3)), rng.random((1, 32, 32))
    ours, plain = pipe.encode(rgb, dem), tiny_pipeline.encode(rgb, dem)
    assert torch.allclose(ours[:, :4], plain[:, :4], atol=1e-5)
    assert torch.allclose(ours[:, 4:], LATENT.to_unet(plain[:, 4:]), atol=1e-4)
    for got, expected in zip(pipe.decode(ours), tiny_pipeline.decode(plain)):
        assert np.allclose(got, expected, atol=1e-4)
    elevation_only = pipe.encode(None, dem)
    assert torch.allclose(elevation_only[:, 4:], ours[:, 4:], atol=1e-5) and not elevation_only[:, :4].any()


def test_a_run_trains_in_its_latent_records_it_and_fine_tuning_keeps_it(tiny_config, tmp_path):
    config = tiny_config(max_steps=2, elevation_latent_shift=list(LATENT.shift),
                         elevation_latent_scale=LATENT.scale)
    model_dir = train(config, dataset=ListSource(count=2)).model_dir
    assert json.loads((model_dir / "elevation.json").read_text())["latent"] == LATENT.to_json()
    assert TerrainPipeline.from_pretrained(model_dir).elevation_latent == LATENT
    fine_tune = tiny_config(init_from_config=None, components_from=None, pretrained=str(model_dir),
                            output_dir=str(tmp_path / "fine"))
    assert ElevationLatent(tuple(with_pretrained_latent(fine_tune).elevation_latent_shift),
                           with_pretrained_latent(fine_tune).elevation_latent_scale) == LATENT
    other = tiny_config(init_from_config=None, components_from=None, pretrained=str(model_dir),
                        elevation_latent_shift=[0.0] * 4, elevation_latent_scale=2.0)
    with pytest.raises(UserError, match="differ from the elevation latent"):
        with_pretrained_latent(other)


def test_the_published_layout_trains_and_exports_in_the_vaes_own_latent(tiny_config, tmp_path):
    model_dir = train(tiny_config(max_steps=1), dataset=ListSource(count=2)).model_dir
    assert "latent" not in json.loads((model_dir / "elevation.json").read_text())
    assert read_checkpoint_elevation(model_dir).latent.is_identity
