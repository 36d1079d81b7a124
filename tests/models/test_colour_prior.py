"""The colour prior: its mixture, its draws, its steering of a prediction, its folder, and the pipeline's use."""

import json
import logging
import shutil

import pytest
import torch
from transformers import CLIPTextConfig

from mesa.errors import UserError
from mesa.captions.places import PLACE_FEATURES, place_features, prompt_feature_count, prompt_features
from mesa.models.colour_prior import FIRST_FEATURES, ColourPrior
from mesa.pipeline import TerrainPipeline

TEXT = CLIPTextConfig(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                      num_attention_heads=2, max_position_embeddings=8, bos_token_id=62, eos_token_id=63,
                      pad_token_id=63)


def make_prior(**kwargs) -> ColourPrior:
    torch.manual_seed(0)
    return ColourPrior(TEXT, **kwargs).eval()


def ids(*tokens: int) -> torch.Tensor:
    row = [62, *tokens, 63]
    return torch.tensor([row + [63] * (8 - len(row))])


def test_learns_a_colour_per_caption():
    prior = make_prior(components=2, hidden=32)
    captions = torch.cat([ids(5, 6), ids(5, 7)])
    places = torch.zeros(2, PLACE_FEATURES)
    targets = torch.tensor([[1.0, -1.0, 0.5, 0.0], [-1.0, 1.0, -0.5, 0.0]])
    optimizer = torch.optim.Adam(prior.parameters(), lr=3e-3)
    prior.train()
    first = float(prior.nll(captions, places, targets).detach())
    for _ in range(1000):
        loss = prior.nll(captions, places, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    prior.eval()
    assert float(prior.nll(captions, places, targets).detach()) < first - 2.0
    assert torch.allclose(prior.expected(captions, places), targets, atol=0.2)
    draws = prior.draw(ids(5, 7), torch.zeros(1, PLACE_FEATURES), list(range(200)))
    assert torch.allclose(draws.mean(dim=0), targets[1], atol=0.15)


@pytest.mark.parametrize("prompt, expected", [
    ("A Sentinel-2 image of tundra and plains in Canada in January", (None, 1, 0.0, 1.0, 1, -1.0)),
    ("A Sentinel-2 image of tundra and plains in Chile in January", (None, 1, 0.0, 1.0, 1, 1.0)),
    ("broadleaf forests in Germany in july", (None, 1, 0.0, -1.0, 1, 1.0)),
    ("conifer forests in Niger in April", (None, 1, 1.0, 0.0, 1, 0.0)),  # Niger, not Nigeria's
    ("mountains", (0.0, 0, 0.0, 0.0, 0, 0.0)),
    ("mountains in March", (0.0, 0, 3**0.5 / 2, 0.5, 1, 0.0)),  # no country: no local summer
])
def test_place_features_read_the_country_and_month(prompt, expected):
    features = place_features(prompt)
    latitude, *rest = expected
    if latitude is not None:
        assert features[0] == pytest.approx(latitude)
    else:
        assert abs(features[0]) > 0.1 and features[1] == 1.0
    assert features[1:].tolist() == pytest.approx(rest, abs=1e-6)


def test_a_prior_saved_before_features_were_recorded_reads_the_place_features():
    assert FIRST_FEATURES == PLACE_FEATURES == len(place_features("tundra in Chile in July"))


@pytest.mark.parametrize("prompt, biome, landform", [
    ("A Sentinel-2 image of dry broadleaf forests and low mountains in Chile in July", 1, 7),  # not "broadleaf", "mountains"
    ("A Sentinel-2 image of mixed forests and hills in Germany in January", 3, 4),  # either phrase of biome 4
    ("glaciers and high mountains", 14, 11),
    ("A Sentinel-2 image of coastal plains", None, 1),
    ("a river at dawn", None, None),
])
def test_prompt_features_name_the_vocabulary_biome_and_landform(prompt, biome, landform):
    features = prompt_features(prompt)
    assert len(features) == prompt_feature_count() == PLACE_FEATURES + 2 * (15 + 12)
    assert features[:PLACE_FEATURES].tolist() == place_features(prompt).tolist()  # a prefix: old priors read it
    biomes, landforms = features[PLACE_FEATURES:PLACE_FEATURES + 15], features[PLACE_FEATURES + 15:PLACE_FEATURES + 27]
    assert biomes.tolist() == [float(i == biome) for i in range(15)]
    assert landforms.tolist() == [float(i == landform) for i in range(12)]
    summer = place_features(prompt)[5]
    assert features[PLACE_FEATURES + 27:].tolist() == pytest.approx((features[PLACE_FEATURES:PLACE_FEATURES + 27] * summer).tolist())


def test_local_summer_products_flip_across_the_equator():
    north = prompt_features("broadleaf forests and low mountains in Germany in January")
    south = prompt_features("broadleaf forests and low mountains in Chile in January")
    assert north[PLACE_FEATURES + 27 + 3] == -1.0 and south[PLACE_FEATURES + 27 + 3] == 1.0


def test_the_head_refuses_features_of_another_length():
    prior = make_prior(features=prompt_feature_count())
    with pytest.raises(ValueError, match=f"reads {prompt_feature_count()} prompt features, got 6"):
        prior(ids(5), torch.zeros(1, 6))


def test_place_features_know_each_side_of_the_equator():
    from mesa.captions.countries import country_latitudes

    latitudes = country_latitudes()
    assert latitudes["Chile"] < -20 < 20 < latitudes["Germany"] and latitudes["Niger"] > latitudes["Nigeria"] > 0


def test_draws_follow_the_seed_only():
    prior = make_prior()
    none = torch.zeros(1, PLACE_FEATURES)
    first, again = prior.draw(ids(5), none, [3, 4]), prior.draw(ids(5), none, [4, 3])
    assert torch.equal(first[0], again[1]) and torch.equal(first[1], again[0])
    assert not torch.equal(first[0], first[1])


@pytest.mark.parametrize("prediction_type", ["v_prediction", "epsilon"])
@pytest.mark.parametrize("alpha_bar", [0.0, 0.02, 0.5])
def test_steer_sets_the_image_tile_mean_and_nothing_else(prediction_type, alpha_bar):
    if prediction_type == "epsilon" and alpha_bar == 0.0:
        pytest.skip("an epsilon model has no x0 at zero SNR")
    prior = make_prior()
    generator = torch.Generator().manual_seed(0)
    latents, output = (torch.randn(2, 8, 6, 6, generator=generator) for _ in range(2))
    target = torch.tensor([[0.3, -0.2, 0.1, 0.9], [-1.0, 0.0, 0.4, 0.2]])
    steered = prior.steer(output, latents, alpha_bar, prediction_type, target)

    def x0_of(out):
        a = torch.tensor(alpha_bar)
        if prediction_type == "v_prediction":
            return a.sqrt() * latents - (1 - a).sqrt() * out
        return (latents - (1 - a).sqrt() * out) / a.sqrt()

    before, after = x0_of(output), x0_of(steered)
    assert torch.allclose(after[:, :4].mean(dim=(2, 3)), target, atol=1e-5)
    # the image's detail and the elevation are untouched
    assert torch.allclose(after[:, :4] - after[:, :4].mean(dim=(2, 3), keepdim=True),
                          before[:, :4] - before[:, :4].mean(dim=(2, 3), keepdim=True), atol=1e-5)
    assert torch.allclose(after[:, 4:], before[:, 4:], atol=1e-5)


def test_epsilon_at_zero_snr_is_left_alone():
    prior = make_prior()
    output = torch.randn(1, 8, 4, 4)
    assert torch.equal(prior.steer(output, torch.randn(1, 8, 4, 4), 0.0, "epsilon", torch.zeros(1, 4)), output)


def test_folder_round_trip_and_refusals(tmp_path):
    prior = make_prior(components=3, from_timestep=700, features=prompt_feature_count())
    folder = prior.save(tmp_path / "colour_prior")
    loaded = ColourPrior.load(folder)
    assert (loaded.components, loaded.from_timestep, loaded.features) == (3, 700, prompt_feature_count())
    places = torch.from_numpy(prompt_features("tundra and hills in Chile in July"))[None]
    assert torch.equal(loaded.draw(ids(9), places, [1]), prior.draw(ids(9), places, [1]))
    config = json.loads((folder / "config.json").read_text())
    config["evil"] = 1
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="unknown colour prior setting.*evil"):
        ColourPrior.load(folder)


@pytest.fixture(params=["biome and landform", "place only (saved by v2.3)"])
def steered_checkpoint(request, tmp_path, reference_dir, tiny_pipeline):
    """The reference checkpoint with a colour prior on its tokenizer and image latent channels."""
    folder = shutil.copytree(reference_dir / "pipeline", tmp_path / "ckpt")
    torch.manual_seed(1)
    features = prompt_feature_count() if request.param == "biome and landform" else PLACE_FEATURES
    prior = ColourPrior(tiny_pipeline.text_encoder.config, tiny_pipeline.latent_channels, from_timestep=500,
                        features=features)
    with torch.no_grad():  # a confident prior far from the UNet's colours, so steering shows
        prior.head[-1].bias.view(prior.components, -1)[:, 1:1 + prior.channels] = 3.0
        prior.head[-1].bias.view(prior.components, -1)[:, 1 + prior.channels:] = -6.0
    prior.save(folder / "colour_prior")
    return folder


def test_pipeline_steers_plain_generation_only(steered_checkpoint, tiny_pipeline):
    pipe = TerrainPipeline.from_pretrained(steered_checkpoint)
    assert pipe.components.colour_prior is not None
    request = pipe.request("a river", seeds=(0, 1), steps=4, overscan=0)
    steered = pipe.sample_latents(request)
    plain = pipe.sample_latents(request, steer_colour=False)
    reference = tiny_pipeline.sample_latents(tiny_pipeline.request("a river", seeds=(0, 1), steps=4, overscan=0))
    assert torch.allclose(plain, reference, atol=1e-5)  # without the prior: the model as it was
    assert (steered[:, :4].mean(dim=(2, 3)) - plain[:, :4].mean(dim=(2, 3))).abs().min() > 0.3
    assert torch.allclose(steered[:, 4:], plain[:, 4:], atol=1.0)  # the elevation is the UNet's own
    held = pipe.sample_latents(request, hooks=[lambda state: None])
    assert torch.allclose(held, plain, atol=1e-5)  # a capability with hooks samples with the UNet alone


def test_broken_colour_prior_is_a_clear_error(steered_checkpoint):
    (steered_checkpoint / "colour_prior" / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(UserError, match="could not load the colour prior in .*colour_prior"):
        TerrainPipeline.from_pretrained(steered_checkpoint)



def test_a_prior_reading_unknown_features_is_refused(steered_checkpoint):
    config = json.loads((steered_checkpoint / "colour_prior" / "config.json").read_text())
    prior = ColourPrior.from_config_dict({**config, "features": 9})
    prior.save(steered_checkpoint / "colour_prior")
    with pytest.raises(UserError, match="reads 9 prompt features; this version gives 6 .* or 60"):
        TerrainPipeline.from_pretrained(steered_checkpoint)


def test_a_students_scheduler_config_steers_without_warnings(steered_checkpoint):
    """A distilled student's scheduler config carries `original_inference_steps`, which DDIM does not
    take: reading the betas for the prior must not warn about it on every generation."""
    config_path = steered_checkpoint / "scheduler" / "scheduler_config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(json.dumps({**config, "original_inference_steps": 20}))
    pipe = TerrainPipeline.from_pretrained(steered_checkpoint)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    library = logging.getLogger("diffusers")  # its own handler, not propagated to pytest's
    library.addHandler(handler)
    try:
        pipe.sample_latents(pipe.request("a river", seeds=(0,), steps=2, overscan=0))
    finally:
        library.removeHandler(handler)
    assert not [r for r in records if "original_inference_steps" in r.getMessage()]
