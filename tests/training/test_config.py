"""Config loading: defaults < file < --set < flags; typos and impossible combinations are errors."""

from __future__ import annotations

import argparse
import json

import pytest

from mesa.errors import UserError
from mesa.cli import train as cli
from mesa.training.config import TrainConfig, VaeTrainConfig, build_config


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(argv)


def test_flags_override_set_which_overrides_the_file(tmp_path):
    path = tmp_path / "train.json"
    path.write_text(json.dumps({"_comment": "ignored", "pretrained": "a", "batch_size": 4,
                                "learning_rate": 3e-5, "mixed_precision": "bf16"}))
    config = cli.config_from_args(parse(["--config", str(path), "--batch-size", "8",
                                         "--set", "learning_rate=2e-5", "--set", "use_ema=true", "--resume"]))
    assert (config.batch_size, config.learning_rate, config.mixed_precision) == (8, 2e-5, "bf16")
    assert config.use_ema is True and config.resume == "latest" and config.max_steps == TrainConfig.max_steps


def test_toml_config_and_list_values(tmp_path):
    path = tmp_path / "train.toml"
    path.write_text('init_from_sd = "sd"\nvalidation_prompts = ["a", "b"]\nlora_rank = 4\n')
    config = cli.config_from_args(parse(["--config", str(path), "--set", 'validation_prompts=["c"]']))
    assert config.init_from_sd == "sd" and config.lora_rank == 4 and config.validation_prompts == ["c"]


@pytest.mark.parametrize("values, message", [
    ({"pretrained": "a", "batch_sise": 2}, "unknown setting 'batch_sise'"),
    ({"pretrained": "a", "batch_size": "two"}, "batch_size expects int"),
    ({}, "exactly one of --pretrained"),
    ({"pretrained": "a", "init_from_sd": "b"}, "exactly one of --pretrained"),
    ({"pretrained": "a", "data": "imagenet"}, "--data must be one of"),
    ({"pretrained": "a", "resolution": 30}, "multiple of 8"),
    ({"pretrained": "a", "lora_rank": 4, "use_ema": True}, "LoRA"),
    ({"pretrained": "a", "learning_rate": float("inf")}, "--learning-rate must be a positive number"),
    ({"pretrained": "a", "text_encoder_learning_rate": 1e-4}, "only with train_text_encoder"),
    ({"pretrained": "a", "train_text_encoder": True, "text_encoder_learning_rate": 0}, "must be a positive number"),
    ({"pretrained": "a", "high_noise_share": 1.5}, "high_noise_share must be in"),
    ({"pretrained": "a", "high_noise_min_timestep": -1}, "high_noise_min_timestep must be >= 0"),
])
def test_invalid_settings_are_clear_errors(values, message):
    with pytest.raises(UserError, match=message):
        build_config(TrainConfig, values, {})


def test_vae_config_needs_one_starting_point():
    with pytest.raises(UserError, match="--vae-config"):
        build_config(VaeTrainConfig, {}, {})
    assert build_config(VaeTrainConfig, {"vae_config": "x.json"}, {}).kl_weight == 1e-6


def test_example_configs_load():
    from pathlib import Path

    for path in sorted(Path(__file__).resolve().parents[2].glob("configs/train*.json")):
        file_values = json.loads(path.read_text())
        cls = VaeTrainConfig if "vae" in path.name else TrainConfig
        build_config(cls, {k: v for k, v in file_values.items() if not k.startswith("_")}, {})
