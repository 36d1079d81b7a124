"""train-vae: a tiny AutoencoderKL from a config, its latent scale measured and stored; CLI wiring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from diffusers import AutoencoderKL

from mesa.cli import main
from mesa.errors import UserError
from mesa.training.config import VaeTrainConfig, validate
from mesa.training.metrics import read_metrics
from mesa.training.vae import train_vae
from tests.training.conftest import RESOLUTION, ListSource

TINY_VAE = {"block_out_channels": [8, 16], "layers_per_block": 1, "latent_channels": 4, "norm_num_groups": 4,
            "down_block_types": ["DownEncoderBlock2D"] * 2, "up_block_types": ["UpDecoderBlock2D"] * 2}


def test_vae_from_scratch_stores_its_scaling_factor(tmp_path):
    config_file = tmp_path / "vae.json"
    config_file.write_text(json.dumps(TINY_VAE))
    config = VaeTrainConfig(vae_config=str(config_file), resolution=RESOLUTION, batch_size=2, max_steps=3,
                            checkpoint_every=3, log_every=1, learning_rate=1e-3, scaling_batches=2,
                            output_dir=str(tmp_path / "run"))
    result = train_vae(config, dataset=ListSource(count=3))
    vae = AutoencoderKL.from_pretrained(result.vae_dir)
    assert vae.config.scaling_factor != AutoencoderKL().config.scaling_factor and vae.config.scaling_factor > 0
    assert [line["step"] for line in read_metrics(config.output_dir)] == [1, 2, 3]


class TickingClock:
    """perf_counter that advances one second per call: a window's samples/s is then its sample count."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self) -> float:
        self.now += 1.0
        return self.now


def vae_config(tmp_path, **options) -> VaeTrainConfig:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config_file = tmp_path / "vae.json"
    config_file.write_text(json.dumps(TINY_VAE))
    values = dict(vae_config=str(config_file), resolution=RESOLUTION, batch_size=2, max_steps=3, checkpoint_every=3,
                  log_every=2, learning_rate=1e-3, scaling_batches=1, output_dir=str(tmp_path / "run"))
    return VaeTrainConfig(**{**values, **options})


def test_samples_per_second_counts_the_steps_in_each_window(tmp_path, monkeypatch):
    """log_every=2 over 3 steps: the last window holds one step (2 samples), not log_every steps."""
    import mesa.training.run

    monkeypatch.setattr(mesa.training.run, "time", TickingClock())
    config = vae_config(tmp_path)
    train_vae(config, dataset=ListSource(count=3))
    lines = read_metrics(config.output_dir)
    assert [(line["step"], line["samples_per_s"]) for line in lines] == [(2, 4.0), (3, 2.0)]
    assert all({"loss", "reconstruction", "kl", "lr"} <= set(line) for line in lines)


def test_resumed_vae_run_matches_an_uninterrupted_one(tmp_path):
    straight = vae_config(tmp_path / "a", max_steps=4, checkpoint_every=2, log_every=1)
    train_vae(straight, dataset=ListSource(count=3))
    train_vae(vae_config(tmp_path / "b", max_steps=4, checkpoint_every=2, log_every=1, stop_after=2),
              dataset=ListSource(count=3))
    resumed = vae_config(tmp_path / "b", max_steps=4, checkpoint_every=2, log_every=1, resume="latest")
    train_vae(resumed, dataset=ListSource(count=3))
    assert [line["loss"] for line in read_metrics(resumed.output_dir)] == \
        [line["loss"] for line in read_metrics(straight.output_dir)]
    weights = "vae/diffusion_pytorch_model.safetensors"
    assert (Path(resumed.output_dir) / weights).read_bytes() == (Path(straight.output_dir) / weights).read_bytes()


def test_train_vae_cli_rejects_a_missing_starting_point(capsys):
    assert main(["train-vae", "--data", "synthetic"]) == 2
    assert "--vae-config" in capsys.readouterr().err


def test_an_output_folder_that_is_a_file_is_one_error_line(tmp_path):
    (tmp_path / "taken").write_text("a file")
    config = vae_config(tmp_path, output_dir=str(tmp_path / "taken"))
    with pytest.raises(UserError, match="cannot write the run folder .*taken"):
        train_vae(config, dataset=ListSource(count=1))


def tensors_of(module) -> dict:
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


def test_decoder_only_fine_tune_keeps_the_encoder_and_its_latent_scale(tmp_path):
    """The recipe's stage 3b: a UNet trained on the first VAE's latents must work with the result."""
    first = vae_config(tmp_path / "first")
    pretrained = train_vae(first, dataset=ListSource(count=3)).vae_dir
    before = AutoencoderKL.from_pretrained(pretrained)
    config = VaeTrainConfig(pretrained=str(pretrained), train_decoder_only=True, edge_weight=4.0, edge_px=2,
                            corner_weight=50.0,
                            resolution=RESOLUTION, batch_size=2, max_steps=3, checkpoint_every=3, log_every=1,
                            learning_rate=1e-2, output_dir=str(tmp_path / "decoder"))
    after = AutoencoderKL.from_pretrained(train_vae(config, dataset=ListSource(count=3)).vae_dir)
    for part in ("encoder", "quant_conv"):
        old, new = tensors_of(getattr(before, part)), tensors_of(getattr(after, part))
        assert all(torch.equal(old[name], new[name]) for name in old), part
    old, new = tensors_of(before.decoder), tensors_of(after.decoder)
    assert any(not torch.equal(old[name], new[name]) for name in old)
    assert after.config.scaling_factor == before.config.scaling_factor


def test_decoder_only_needs_a_trained_vae_and_edges_within_the_tile(tmp_path):
    with pytest.raises(UserError, match="needs --pretrained"):
        validate(vae_config(tmp_path, train_decoder_only=True))
    with pytest.raises(UserError, match="edge_px must be between 1 and half"):
        validate(vae_config(tmp_path, edge_px=RESOLUTION))
    with pytest.raises(UserError, match="edge_weight must be a number >= 0"):
        validate(vae_config(tmp_path, edge_weight=-1.0))
    with pytest.raises(UserError, match="corner_weight must be a number >= 0"):
        validate(vae_config(tmp_path, corner_weight=float("nan")))


def test_elevation_weight_scales_the_elevation_half_of_the_reconstruction_error():
    """reconstruction = (image error + elevation_weight * elevation error) / 2: with weight 1 the mean
    over the whole batch, as before the option existed."""
    from types import SimpleNamespace

    from mesa.training.vae import vae_losses

    rgb, elevation = torch.zeros(2, 3, 8, 8), torch.full((2, 3, 8, 8), 0.5)
    batch = SimpleNamespace(rgb=rgb, elevation=elevation, pixel_mask=torch.ones(2, 1, 8, 8, dtype=torch.bool))
    image_error, elevation_error = 0.1, 0.3  # a model off by these on each half

    def model(pixels, generator):
        return pixels + torch.cat([torch.full_like(rgb, image_error), torch.full_like(elevation, elevation_error)]), \
            torch.zeros(len(pixels))

    generator = torch.Generator().manual_seed(0)
    equal = vae_losses(model, batch, 0.0, generator).reconstruction.item()
    assert equal == pytest.approx((image_error ** 2 + elevation_error ** 2) / 2)
    weighted = vae_losses(model, batch, 0.0, generator, elevation_weight=4.0).reconstruction.item()
    assert weighted == pytest.approx((image_error ** 2 + 4 * elevation_error ** 2) / 2)


def test_elevation_weight_must_be_positive(tmp_path):
    for bad in (0.0, -1.0, float("inf")):
        with pytest.raises(UserError, match="elevation_weight must be a number > 0"):
            validate(vae_config(tmp_path, elevation_weight=bad))
