"""A whole scorecard run on fake models with known answers, the files it writes, and the command."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from mesa.cli import main as mesa_main
from mesa.evaluation.references import synthetic_reference
from mesa.evaluation.report import write_scorecard
from mesa.evaluation.scorecard import Plan, run_scorecard, sheet_seeds
from mesa.pipeline.pipeline import SamplingDefaults
from tests.evaluation.conftest import (
    PromptBlindModel,
    ReferenceCopyModel,
    SyntheticWorldModel,
)

SMALL = Plan(seeds=2, partitions=20, sheet_rows=3, forms=("landform",), season=False,
             prompts=("A Sentinel-2 image of hills",), speed_repeats=1)
GRID = Plan(seeds=2, partitions=20, sheet_rows=2, forms=("full",), biome_ids=(1, 13, 15), season=True,
            prompts=(), speed_repeats=1)


def test_a_model_that_returns_the_held_out_tiles_sits_at_the_noise_floor(synthetic_reference_set):
    model = ReferenceCopyModel(synthetic_reference_set.terrains)
    card = run_scorecard(model, synthetic_reference_set, plan=SMALL).scorecard
    assert card["realism"]["distance"] == pytest.approx(card["realism"]["noise_floor"], rel=1e-12)
    assert card["realism"]["set_size"] == 4 and len(card["realism"]["terms"]) == 16
    assert card["coupling"]["generated"] == card["coupling"]["reference"]
    assert card["borders"]["generated"] == card["borders"]["reference"]
    assert card["memorisation"]["near_copy_share"] == card["memorisation"]["held_out_near_copy_share"]
    json.dumps(card, allow_nan=False)  # strict JSON: NaN became null


def test_each_terrain_is_generated_once_through_the_model_call(synthetic_reference_set):
    model = SyntheticWorldModel()
    card = run_scorecard(model, synthetic_reference_set, plan=SMALL).scorecard
    made = [(prompt, seed) for prompt, seeds in model.calls[:-1] for seed in seeds]  # the last call is the timing
    assert len(made) == len(set(made)) == card["plan"]["terrains_generated"]
    realism_requests = {(t.prompt, i) for i, t in enumerate(synthetic_reference_set.terrains)}
    assert realism_requests <= set(made)
    assert sheet_seeds(2, 3) == (2, 100_002, 200_002)
    assert card["speed"]["seconds_per_terrain"] > 0 and card["speed"]["threads"] >= 1


def test_a_prompt_blind_model_fails_and_the_synthetic_world_passes(synthetic_reference_set):
    blind = run_scorecard(PromptBlindModel(), synthetic_reference_set, plan=GRID).scorecard
    world = run_scorecard(SyntheticWorldModel(), synthetic_reference_set, plan=GRID).scorecard
    assert not any(blind["adherence"]["checks"].values())
    assert all(world["adherence"]["checks"].values())
    assert world["realism"]["ratio"] < blind["realism"]["ratio"]
    assert world["coupling"]["generated"]["shading"] > 0.3 > abs(world["coupling"]["generated"]["shading_shuffled"])


def test_the_files_of_a_scorecard(synthetic_reference_set, tmp_path):
    run = run_scorecard(SyntheticWorldModel(), synthetic_reference_set, plan=SMALL)
    paths = write_scorecard(run, tmp_path / "card")
    names = {path.name for path in paths}
    assert names == {"scorecard.json", "scorecard.md", "sheet_reference.png", "sheet_adherence.png", "sheet_prompts.png"}
    card = json.loads((tmp_path / "card" / "scorecard.json").read_text())
    assert card["realism"]["noise_floor"] > 0 and card["model"] == "synthetic-world"
    text = (tmp_path / "card" / "scorecard.md").read_text()
    assert "## Realism against the noise floor" in text and "A Sentinel-2 image of hills" in text
    assert "relief(hills) / relief(plains) >= 3 in 1" in text  # the landform form's one (no biome) row
    sheet = np.asarray(Image.open(tmp_path / "card" / "sheet_reference.png"))
    assert sheet.shape[0] >= 3 * 128 and sheet.shape[1] >= 3 * 2 * 128  # 3 rows of reference + 2 seeds


def test_the_hills_ratio_is_tabled_and_older_scorecards_without_it_still_render(synthetic_reference_set):
    from mesa.evaluation.report import adherence_lines

    run = run_scorecard(SyntheticWorldModel(), synthetic_reference_set, plan=GRID)
    assert "| hills / plains |" in "\n".join(adherence_lines(run.scorecard))
    card = json.loads(json.dumps(run.scorecard))
    for effect in card["adherence"]["landform"].values():
        effect.pop("ratio_hills_to_plains", None)
        effect.pop("biomes_with_hills_at_least_target", None)
    text = "\n".join(adherence_lines(card))
    assert "mountains / plains" in text and "hills / plains" not in text


def test_the_reference_pipeline_goes_through_the_public_call(tiny_pipeline):
    reference = synthetic_reference(tiles=4, pool=4, resolution=tiny_pipeline.native_size,
                                    meters_per_pixel=tiny_pipeline.meters_per_pixel, workers=1)
    plan = Plan(seeds=2, partitions=10, sheet_rows=1, forms=("landform",), season=False, prompts=(), speed_repeats=1)
    card = run_scorecard(tiny_pipeline, reference, SamplingDefaults("ddim", 1, 7.5), plan).scorecard
    assert card["elevation"] == "relative" and card["settings"]["steps"] == 1
    assert np.isfinite(card["realism"]["distance"]) and card["plan"]["terrains_generated"] == 4 + 1 + 8  # tiles, the sheet row's second seed, 4 prompts x 2


@pytest.fixture
def fake_model_cli(monkeypatch):
    model = PromptBlindModel()
    monkeypatch.setattr("mesa.cli.models.load_chosen_model", lambda args, *rest, **kwargs: model)
    return model


def test_the_command_writes_a_scorecard(fake_model_cli, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("# examples\nA Sentinel-2 image of deserts and dunes\n\nA Sentinel-2 image of tundra\n")
    code = mesa_main(["evaluate", "--reference", "synthetic", "--out", str(tmp_path / "out"), "--tiles", "4",
                      "--pool", "4", "--workers", "1", "--quick", "--prompts", str(prompts), "--partitions", "10"])
    assert code == 0
    card = json.loads((tmp_path / "out" / "scorecard.json").read_text())
    assert list(card["prompts"]) == ["A Sentinel-2 image of deserts and dunes", "A Sentinel-2 image of tundra"]
    assert card["adherence"]["landform"]["full"]["biomes"] == 5 and "season" not in card["adherence"]
    assert (tmp_path / "out" / "sheet_prompts.png").stat().st_size > 0


@pytest.mark.parametrize("arguments, message", [
    (["--seeds", "1"], "--seeds must be at least 2"),
    (["--tiles", "3"], "--tiles must be at least 4"),
    (["--reference", "/no/such/folder"], "must be \"synthetic\" or a Major TOM folder"),
    (["--prompts", "/no/such/file.txt"], "prompts file not found"),
])
def test_the_command_refuses_bad_arguments_in_one_line(fake_model_cli, tmp_path, capsys, arguments, message):
    base = {"--reference": "synthetic", "--out": str(tmp_path / "out")}
    for flag, value in zip(arguments[::2], arguments[1::2]):
        base[flag] = value
    assert mesa_main(["evaluate", *[item for pair in base.items() for item in pair]]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error and error.count("\n") == 1
    assert not fake_model_cli.calls
