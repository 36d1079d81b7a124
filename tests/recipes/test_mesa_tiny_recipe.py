"""The mesa-tiny recipe reads its paths relative to its own file, not the working directory."""

from pathlib import Path

import pytest

from mesa.errors import UserError
from recipes.mesa_tiny.recipe import DEFAULT_CONFIG, final_model, read_recipe, trainer_configs

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_paths_resolve_against_the_recipe_file_from_any_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recipe = read_recipe(DEFAULT_CONFIG, {})
    assert Path(recipe.model_dir) == REPO_ROOT / "assets" / "models" / "mesa-tiny"
    assert Path(recipe.run_dir) == REPO_ROOT / "runs" / "mesa_tiny"
    assert Path(recipe.unet_config).is_file() and Path(recipe.train_config).is_file()
    vae_config, _, train_config, seasons_config, _ = trainer_configs(recipe)
    assert Path(train_config.output_dir) == REPO_ROOT / "runs" / "mesa_tiny" / "unet"
    assert vae_config.elevation_max_m == train_config.elevation_max_m == seasons_config.elevation_max_m


def test_overrides_are_relative_to_the_recipe_file_too_and_unknown_keys_refused(tmp_path):
    recipe = read_recipe(DEFAULT_CONFIG, {"run_dir": str(tmp_path / "run"), "seed": "3"})
    assert recipe.run_dir == str(tmp_path / "run") and recipe.seed == 3
    with pytest.raises(UserError, match="unknown recipe setting"):
        read_recipe(DEFAULT_CONFIG, {"epochs": "3"})
    with pytest.raises(UserError, match="recipe file not found"):
        read_recipe(tmp_path / "missing.json", {})


def test_tiles_only_prepares_the_recipe_tiles_and_nothing_else(tmp_path, monkeypatch):
    from recipes.mesa_tiny import recipe as module

    calls = []
    monkeypatch.setattr(module, "prepare_tiles", lambda *args: calls.append(args) or args[0])
    monkeypatch.setattr(module, "run_recipe", lambda recipe: pytest.fail("--tiles-only must not train"))
    assert module.main(["--tiles-only", "--set", f"run_dir={tmp_path / 'run'}", "--set", "tiles=7"]) == 0
    assert calls == [(tmp_path / "run" / "tiles", 7, 0, 128, 2)]


def test_the_decoder_stage_fine_tunes_the_first_vae_with_its_encoder_frozen(tmp_path):
    recipe = read_recipe(DEFAULT_CONFIG, {"run_dir": str(tmp_path / "run")})
    configs = trainer_configs(recipe)
    assert configs.decoder.pretrained == str(tmp_path / "run" / "vae" / "vae")
    assert configs.decoder.train_decoder_only and configs.decoder.resolution == configs.unet.resolution
    assert configs.decoder.edge_weight > 0
    unfrozen = tmp_path / "decoder.json"
    unfrozen.write_text(Path(recipe.vae_decoder_train_config).read_text().replace(
        '"train_decoder_only": true', '"train_decoder_only": false'))
    with pytest.raises(UserError, match="must set train_decoder_only"):
        trainer_configs(read_recipe(DEFAULT_CONFIG, {"vae_decoder_train_config": str(unfrozen)}))


def test_the_seasons_stage_trains_stage_4s_model_on_twins_near_pure_noise(tmp_path, monkeypatch):
    from recipes.mesa_tiny import recipe as module

    recipe = read_recipe(DEFAULT_CONFIG, {"run_dir": str(tmp_path / "run"), "tiles": "7"})
    configs = trainer_configs(recipe)
    assert configs.seasons.pretrained == str(tmp_path / "run" / "unet" / "model")
    assert configs.seasons.output_dir == str(tmp_path / "run" / "seasons")
    assert configs.seasons.train_text_encoder and 0 < configs.seasons.high_noise_share < 1
    assert configs.seasons.high_noise_min_timestep >= 800 and configs.seasons.resolution == configs.unet.resolution
    calls = []
    monkeypatch.setattr(module, "prepare_tiles", lambda *args, **kwargs: calls.append((args, kwargs)) or args[0])
    module.prepare_season_twins(recipe)
    assert calls == [((tmp_path / "run" / "tiles_seasons", 7, 0, 128, 2),
                      {"month_shifts": (0, 6), "other_hemisphere": True})]
    assert module.SEASON_KEEP_PARTS == ("country", "month")  # the 2 x 2 design needs both named


def test_the_model_assembled_is_the_last_stage_that_ran_and_finished(tmp_path):
    run = tmp_path / "run"
    for stage in ("unet", "seasons"):
        (run / stage / "model").mkdir(parents=True)
    opted_in = read_recipe(DEFAULT_CONFIG, {"run_dir": str(run), "seasons_stage": "true"})
    assert final_model(opted_in) == run / "unet" / "model"  # stage 4b not finished: no model_index.json
    (run / "seasons" / "model" / "model_index.json").write_text("{}")
    assert final_model(opted_in) == run / "seasons" / "model"
    assert final_model(read_recipe(DEFAULT_CONFIG, {"run_dir": str(run)})) == run / "unet" / "model"  # off


@pytest.mark.parametrize("opted_in", [True, False])
def test_after_stage_4_the_recipe_trains_on_season_quads_that_always_name_country_and_month(tmp_path, monkeypatch, opted_in):
    from types import SimpleNamespace

    from recipes.mesa_tiny import recipe as module

    run = tmp_path / "run"
    for done in ("components/text_encoder/config.json", "vae/vae/config.json", "vae_decoder/vae/config.json",
                 "unet/model/model_index.json"):  # stages 1-4 finished
        (run / done).parent.mkdir(parents=True, exist_ok=True)
        (run / done).write_text("{}")
    (run / "elevation_latent.json").write_text('{"shift": [0, 0, 1, 0], "scale": 2}')  # stage 3c
    monkeypatch.setattr(module, "prepare_tiles", lambda directory, *args, **kwargs: directory)
    datasets, trained = [], []
    monkeypatch.setattr(module, "PreparedTiles", lambda directory, seed, **kwargs: datasets.append((directory, kwargs)))

    def fake_train(config, dataset):
        model = Path(config.output_dir) / "model"
        model.mkdir(parents=True)
        (model / "model_index.json").write_text("{}")
        trained.append(config)
        return SimpleNamespace(model_dir=model)

    priors = []

    def fake_prior(config):
        Path(config.output_dir).mkdir(parents=True)
        (Path(config.output_dir) / "model.safetensors").write_bytes(b"")
        priors.append(config)

    monkeypatch.setattr("mesa.training.train.train", fake_train)
    monkeypatch.setattr(module, "train_colour_prior", fake_prior)
    monkeypatch.setattr(module, "assemble", lambda recipe, model: model)
    recipe = read_recipe(DEFAULT_CONFIG, {"run_dir": str(run), "seasons_stage": str(opted_in)})
    final = run / ("seasons" if opted_in else "unet") / "model"
    if not opted_in:  # the default: stage 4's model is assembled with a colour prior on its VAE and text
        assert not read_recipe(DEFAULT_CONFIG, {}).seasons_stage
        assert module.run_recipe(recipe) == final and not datasets and not trained
    else:
        assert module.run_recipe(recipe) == final
        assert datasets == [(run / "tiles_seasons", {"keep_parts": ("country", "month")})]
        assert [config.output_dir for config in trained] == [str(run / "seasons")]
    assert [(c.model, c.tiles, c.output_dir) for c in priors] == [(str(final), str(run / "tiles_seasons"),
                                                                   str(run / "colour_prior"))]
    assert priors[0].steps > 0 and priors[0].from_timestep >= 800
    assert module.run_recipe(recipe) == final and len(trained) == int(opted_in) and len(priors) == 1  # done: skipped


def test_stage_3c_measures_the_elevation_latent_once_and_stage_4_trains_in_it(tmp_path, monkeypatch, reference_dir):
    import json
    import shutil
    from types import SimpleNamespace

    from mesa.data.synthetic.prepared import prepare_tiles
    from recipes.mesa_tiny import recipe as module

    run = tmp_path / "run"
    for done in ("components/text_encoder/config.json", "vae/vae/config.json"):
        (run / done).parent.mkdir(parents=True, exist_ok=True)
        (run / done).write_text("{}")
    shutil.copytree(reference_dir / "pipeline" / "vae", run / "vae_decoder" / "vae")  # stage 3b's VAE
    tiles = prepare_tiles(run / "tiles", 6, 0, 32, 1)
    monkeypatch.setattr(module, "prepare_tiles", lambda directory, *args, **kwargs: directory)
    trained = []

    def fake_train(config, dataset):
        trained.append(config)
        return SimpleNamespace(model_dir=None)  # stops the recipe after stage 4

    monkeypatch.setattr("mesa.training.train.train", fake_train)
    recipe = read_recipe(DEFAULT_CONFIG, {"run_dir": str(run), "elevation_latent": "true", "elevation_latent_tiles": "4"})
    with pytest.raises(UserError, match="train stopped before max_steps"):
        module.run_recipe(recipe)
    record = json.loads((run / "elevation_latent.json").read_text())
    assert len(record["shift"]) == 4 and record["scale"] > 1  # the elevation varies less within a tile
    assert (trained[0].elevation_latent_shift, trained[0].elevation_latent_scale) == (record["shift"], record["scale"])
    (run / "elevation_latent.json").write_text('{"shift": [0, 0, 1, 0], "scale": 2}')
    with pytest.raises(UserError):
        module.run_recipe(recipe)  # resumed: the recorded latent, not a new measurement
    assert (trained[1].elevation_latent_shift, trained[1].elevation_latent_scale) == ([0, 0, 1, 0], 2)
    off = read_recipe(DEFAULT_CONFIG, {"run_dir": str(run)})  # the default: the VAE's own (v2.5)
    assert not off.elevation_latent
    with pytest.raises(UserError):
        module.run_recipe(off)
    assert (trained[2].elevation_latent_shift, trained[2].elevation_latent_scale) == ([], 1.0)


def test_the_model_card_names_the_elevation_latent_only_when_the_model_has_one():
    from recipes.mesa_tiny.model_card import describe_elevation_latent

    assert describe_elevation_latent({"mode": "global", "min_m": -100.0, "max_m": 8100.0}) == ""
    words = describe_elevation_latent({"latent": {"shift": [-0.06, -0.47, 1.7, -0.33], "scale": 2.1348}})
    assert "shift [-0.06, -0.47, 1.70, -0.33]" in words and "scaled by 2.13" in words


GPU_CONFIG = DEFAULT_CONFIG.parent / "recipe_gpu.json"


def test_the_gpu_recipe_trains_stage_4s_model_one_more_cycle_and_the_cpu_recipe_does_not(tmp_path):
    run = tmp_path / "run"
    gpu = trainer_configs(read_recipe(GPU_CONFIG, {"run_dir": str(run), "seed": "5"}))
    assert gpu.second_cycle.pretrained == str(run / "unet" / "model")
    assert gpu.second_cycle.output_dir == str(run / "second_cycle") and gpu.second_cycle.seed == 6  # other draws
    assert gpu.second_cycle.learning_rate < gpu.unet.learning_rate and gpu.second_cycle.train_text_encoder
    assert gpu.unet.batch_size == gpu.second_cycle.batch_size == 64 and gpu.unet.batch_size > trainer_configs(
        read_recipe(DEFAULT_CONFIG, {})).unet.batch_size
    assert gpu.seasons.pretrained == str(run / "second_cycle" / "model")  # 4b, if opted in, starts from 4c
    cpu = trainer_configs(read_recipe(DEFAULT_CONFIG, {"run_dir": str(run)}))
    assert cpu.second_cycle is None and cpu.seasons.pretrained == str(run / "unet" / "model")
    elsewhere = tmp_path / "cycle.json"
    elsewhere.write_text(Path(read_recipe(GPU_CONFIG, {}).second_cycle_train_config).read_text().replace(
        '"resolution": 128', '"resolution": 64'))
    with pytest.raises(UserError, match="the second cycle reads stage 4's tiles"):
        trainer_configs(read_recipe(GPU_CONFIG, {"second_cycle_train_config": str(elsewhere)}))


def test_after_stage_4_the_gpu_recipe_runs_the_second_cycle_and_builds_on_it(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from recipes.mesa_tiny import recipe as module

    run = tmp_path / "run"
    for done in ("components/text_encoder/config.json", "vae/vae/config.json", "vae_decoder/vae/config.json",
                 "unet/model/model_index.json"):  # stages 1-4 finished
        (run / done).parent.mkdir(parents=True, exist_ok=True)
        (run / done).write_text("{}")
    monkeypatch.setattr(module, "prepare_tiles", lambda directory, *args, **kwargs: directory)
    datasets, trained, priors = [], [], []
    monkeypatch.setattr(module, "PreparedTiles", lambda directory, seed, **kwargs: datasets.append((directory, seed)))

    def fake_train(config, dataset):
        trained.append(config)
        if len(trained) == 1:
            return SimpleNamespace(model_dir=None)  # interrupted: the recipe stops and says so
        (Path(config.output_dir) / "model").mkdir(parents=True)
        (Path(config.output_dir) / "model" / "model_index.json").write_text("{}")
        return SimpleNamespace(model_dir=Path(config.output_dir) / "model")

    monkeypatch.setattr("mesa.training.train.train", fake_train)
    monkeypatch.setattr(module, "train_colour_prior", lambda config: priors.append(config) or (
        Path(config.output_dir).mkdir(parents=True), (Path(config.output_dir) / "model.safetensors").write_bytes(b"")))
    monkeypatch.setattr(module, "assemble", lambda recipe, model: model)
    recipe = read_recipe(GPU_CONFIG, {"run_dir": str(run)})
    with pytest.raises(UserError, match=r"train \(second cycle\) stopped before max_steps"):
        module.run_recipe(recipe)
    final = run / "second_cycle" / "model"
    assert module.run_recipe(recipe) == final == final_model(recipe)
    assert datasets == [(run / "tiles", 1)] * 2 and [c.output_dir for c in trained] == [
        str(run / "second_cycle")] * 2  # stage 4 done; 4c on stage 4's tiles, resumed after the interruption
    assert [c.model for c in priors] == [str(final)]  # the colour prior reads 4c's text encoder
    assert module.run_recipe(recipe) == final and len(trained) == 2 and len(priors) == 1  # done: skipped


def test_device_cuda_is_refused_where_torch_sees_no_gpu_and_cpu_keeps_the_trainers_off_it(monkeypatch, capsys):
    import os

    import torch

    from recipes.mesa_tiny import recipe as module

    monkeypatch.setattr(module, "run_recipe", lambda recipe: pytest.fail("a refused device must not train"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert module.main(["--device", "cuda"]) == 2
    assert "--device cuda: torch sees no CUDA GPU" in capsys.readouterr().out
    monkeypatch.delenv("ACCELERATE_USE_CPU", raising=False)
    monkeypatch.setattr(module, "run_recipe", lambda recipe: None)
    assert module.main(["--device", "cpu"]) == 0 and os.environ["ACCELERATE_USE_CPU"] == "true"
    from accelerate import Accelerator

    assert Accelerator().device.type == "cpu"


def test_the_model_card_says_where_each_part_was_trained_and_names_a_second_cycle(tmp_path):
    import json

    from recipes.mesa_tiny.model_card import describe_hardware, describe_second_cycle

    cpu = [{"step": 10, "loss": 0.5, "samples_per_s": 12.5}]
    gpu = [{"step": 10, "loss": 0.5, "samples_per_s": 550.0, "max_memory_gb": 1.8}]
    assert describe_hardware(cpu, cpu) == "on a 2-core CPU"
    assert describe_hardware(cpu, gpu) == "(the VAE on a 2-core CPU, the UNet on one GPU)"
    assert describe_second_cycle(tmp_path) == ("", 0.0)
    (tmp_path / "training" / "configs").mkdir(parents=True)
    (tmp_path / "training" / "configs" / "second_cycle_train.json").write_text(json.dumps({"batch_size": 64}))
    (tmp_path / "training" / "second_cycle_metrics.jsonl").write_text(
        "\n".join(json.dumps({"step": step, "loss": 0.29, "samples_per_s": 640.0}) for step in (1000, 2000)) + "\n")
    words, seconds = describe_second_cycle(tmp_path)
    assert seconds == 2000 * 64 / 640.0 and "second cosine cycle of 2000 steps, final loss 0.2900 (3 min)" in words


def test_the_assembled_unet_is_stored_in_half_precision_and_loads_into_float32(tmp_path):
    import torch
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from mesa.models.unet_dem import UNetDEMConditionModel
    from recipes.mesa_tiny.recipe import store_half

    unet = UNetDEMConditionModel(sample_size=8, block_out_channels=(8, 16), down_block_types=(
        "DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=8, attention_head_dim=2, norm_num_groups=4, layers_per_block=1)
    unet.save_pretrained(tmp_path)
    weights = tmp_path / "diffusion_pytorch_model.safetensors"
    save_file({**load_file(weights), "steps": torch.arange(3)}, weights, metadata={"format": "pt"})
    before = load_file(weights)
    store_half(weights)
    after = load_file(weights)
    assert after["steps"].dtype == torch.int64 and torch.equal(after["steps"], before["steps"])
    assert {tensor.dtype for name, tensor in after.items() if name != "steps"} == {torch.float16}
    assert all(torch.equal(after[name].float(), before[name].half().float()) for name in before)
    with safe_open(weights, "pt") as handle:
        assert handle.metadata() == {"format": "pt"}
    loaded = UNetDEMConditionModel.from_pretrained(tmp_path, torch_dtype=torch.float32)
    assert next(loaded.parameters()).dtype == torch.float32
