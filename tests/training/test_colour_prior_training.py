"""Training a colour prior on prepared season quads, on the tiny reference checkpoint."""

import json

import numpy as np
import pytest
import torch

from mesa.data.synthetic.prepared import PreparedTiles, prepare_tiles
from mesa.captions.places import prompt_feature_count
from mesa.errors import UserError
from mesa.models.colour_prior import ColourPrior
from mesa.pipeline.loading import load_components
from mesa.training.colour_prior import ColourPriorTrainConfig, cached_tile_means, tile_means, train_colour_prior


@pytest.fixture(scope="module")
def quads(tmp_path_factory):
    return prepare_tiles(tmp_path_factory.mktemp("quads"), count=4, seed=5, resolution=32, workers=1,
                         month_shifts=(0, 6), other_hemisphere=True)


def test_trains_saves_and_reports_held_out_terrains(quads, reference_dir, tmp_path):
    model = reference_dir / "pipeline"
    config = ColourPriorTrainConfig(str(model), str(quads), str(tmp_path / "prior"), steps=40, batch_size=8,
                                    caption_draws=2, held_out_share=0.25, components=2, hidden=16,
                                    keep_parts=("country", "month"))
    figures = train_colour_prior(config)
    assert figures["tiles"] == 16 and figures["held_out_terrains"] == 1
    history = figures["history"]
    assert history[-1]["step"] == 40 and np.isfinite(history[-1]["held_out_nll"])
    prior = ColourPrior.load(tmp_path / "prior")
    assert prior.components == 2 and prior.from_timestep == config.from_timestep
    components = load_components(model)
    assert prior.text_encoder.config.hidden_size == components.text_encoder.config.hidden_size
    saved = json.loads((tmp_path / "prior" / "metrics.json").read_text())
    assert saved["config"]["keep_parts"] == ["country", "month"]


def test_targets_are_the_vae_tile_means_and_are_cached_per_vae(quads, reference_dir):
    components = load_components(reference_dir / "pipeline")
    tiles = PreparedTiles(quads, 5)
    first = cached_tile_means(components, tiles, quads)
    direct = tile_means(components.vae, np.asarray(tiles.rgb[:3]))
    assert torch.allclose(first[:3], direct, atol=1e-5) and first.shape == (16, 4)
    info = json.loads((quads / "colour_targets.json").read_text())
    info["vae_sha256"] = "another vae"
    (quads / "colour_targets.json").write_text(json.dumps(info))
    np.save(quads / "colour_targets.npy", np.zeros((16, 4), np.float32))
    assert torch.allclose(cached_tile_means(components, tiles, quads), first)  # stale: encoded again


def test_bad_shares_are_refused(quads, reference_dir, tmp_path):
    with pytest.raises(UserError, match="held_out_share"):
        train_colour_prior(ColourPriorTrainConfig(str(reference_dir / "pipeline"), str(quads), str(tmp_path / "p"),
                                                  held_out_share=1.0))


@pytest.mark.parametrize("train_text_encoder", [False, True])
def test_the_text_encoder_is_the_models_unless_trained(quads, reference_dir, tmp_path, train_text_encoder):
    model = reference_dir / "pipeline"
    config = ColourPriorTrainConfig(str(model), str(quads), str(tmp_path / "prior"), steps=40, batch_size=8,
                                    caption_draws=2, components=2, hidden=16, learning_rate=1e-2,
                                    train_text_encoder=train_text_encoder)
    train_colour_prior(config)
    prior = ColourPrior.load(tmp_path / "prior")
    assert prior.features == prompt_feature_count()
    own = load_components(model).text_encoder.state_dict()
    same = all(torch.equal(tensor, own[name]) for name, tensor in prior.text_encoder.state_dict().items())
    assert same != train_text_encoder


def test_the_command_line_passes_its_choices(monkeypatch, capsys):
    import mesa.training.colour_prior as module

    seen = {}

    def fake(config):
        seen["config"] = config
        return {"history": [{"step": config.steps}]}

    monkeypatch.setattr(module, "train_colour_prior", fake)
    assert module.main(["--model", "m", "--tiles", "t", "--out", "o", "--steps", "60", "--keep-parts", "month",
                        "--train-text-encoder"]) == 0
    config = seen["config"]
    assert (config.steps, config.keep_parts, config.train_text_encoder) == (60, ("month",), True)
    assert module.main(["--model", "m", "--tiles", "t", "--out", "o"]) == 0
    assert seen["config"].train_text_encoder is False
    assert capsys.readouterr().out.strip().endswith('{"step": 3000}')  # the last figures, as JSON
