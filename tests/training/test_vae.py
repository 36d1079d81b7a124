"""train-vae: a tiny AutoencoderKL from a config, its latent scale measured and stored; CLI wiring."""

from __future__ import annotations

import json

from diffusers import AutoencoderKL

from mesa.cli import main
from mesa.training.config import VaeTrainConfig
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


def test_train_vae_cli_rejects_a_missing_starting_point(capsys):
    assert main(["train-vae", "--data", "synthetic"]) == 2
    assert "--vae-config" in capsys.readouterr().err
