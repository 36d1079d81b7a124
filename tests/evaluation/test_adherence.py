"""Adherence: the synthetic world itself follows every composed prompt; a prompt-blind model fails
every check; the cases name each biome where the synthetic world places it."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.data.synthetic.params import BIOME_SETTINGS
from mesa.evaluation.adherence import (
    MEASURES,
    adherence,
    eta_squared,
    measure_prompts,
    reference_spread,
    spread,
)
from mesa.evaluation.prompt_cases import (
    BARE_BIOMES,
    FORM_LANDFORMS,
    LANDFORM_ORDER,
    biome_places,
    landform_cases,
    season_cases,
)
from tests.evaluation.conftest import PromptBlindModel, SyntheticWorldModel

BIOMES = (1, 13, 15)  # tropical rainforests, deserts, rock and ice
SEEDS = (0, 1)


def run_cases(model, cases):
    return measure_prompts({case.prompt: model(case.prompt, seeds=SEEDS) for case in cases})


@pytest.fixture(scope="module")
def cases():
    return landform_cases(("full", "landform"), BIOMES) + season_cases()


@pytest.fixture(scope="module")
def scales(synthetic_reference_set):
    return reference_spread(synthetic_reference_set.terrains)


def test_the_synthetic_world_follows_composed_prompts(cases, scales):
    result = adherence(cases, run_cases(SyntheticWorldModel(), cases), scales)
    full = result["landform"]["full"]
    assert full["biomes"] == 3 and full["biomes_with_ratio_at_least_target"] == 3
    assert full["biomes_with_full_ordering"] == 3
    assert full["biomes_with_hills_at_least_target"] == 3 and min(full["ratio_hills_to_plains"].values()) >= 3
    assert result["landform"]["landform"]["biomes_with_ratio_at_least_target"] == 1
    assert all(result["checks"].values()), result["checks"]
    assert result["biome"]["contrasts"]["greenness"]["high"] == "tropical rainforests"
    assert result["season"]["snow_january_minus_july"]["north"] > 0 > result["season"]["snow_january_minus_july"]["south"]


def test_a_prompt_blind_model_fails_every_check(cases, scales):
    result = adherence(cases, run_cases(PromptBlindModel(), cases), scales)
    full = result["landform"]["full"]
    assert full["ratio_min"] == full["ratio_max"] == pytest.approx(1.0)
    assert full["biomes_with_ratio_at_least_target"] == 0 and full["biomes_with_full_ordering"] == 0
    assert full["biomes_with_hills_at_least_target"] == 0
    assert result["checks"] and not any(result["checks"].values()), result["checks"]
    for name in MEASURES[1:]:
        assert result["biome"]["eta_squared"][name]["eta_squared"] == pytest.approx(0.0, abs=1e-12)


def test_season_greenness_is_judged_where_there_is_vegetation(scales):
    """Rock and ice has no vegetation: its summer - winter greenness (noise about zero) is reported per
    place but does not count towards the season's greenness effect; its snow does."""
    season = season_cases()
    measured = run_cases(SyntheticWorldModel(), season)
    bare = [c for c in season if c.biome_id in BARE_BIOMES]
    assert bare and {c.parts.biome for c in bare} == {"rock and ice"}
    for case in bare:  # rock and ice in winter greener than in summer: no effect on the judged greenness
        measured[case.prompt][:, MEASURES.index("greenness")] = (-1.0 if case.parts.month == {
            "north": "July", "south": "January"}[case.hemisphere] else 1.0)
    result = adherence(season, measured, scales)["season"]
    assert result["greenness_summer_minus_winter"]["count"] == 2 * 2 * len(SEEDS)  # two vegetated biomes
    assert result["greenness_summer_minus_winter"]["holds"]
    assert result["per_place"]["rock and ice in Norway"]["greenness_summer_minus_winter"] == pytest.approx(-2.0)
    assert result["snow_winter_minus_summer"]["count"] == 3 * 2 * len(SEEDS)


def test_spread_and_eta_squared_known_answers():
    values = spread(np.array([0.1, 0.2, -0.1, 0.2]), reference_sd=0.4)
    assert values["mean"] == pytest.approx(0.1) and values["share_positive"] == 0.75
    assert values["mean_in_reference_sd"] == pytest.approx(0.25) and values["holds"]
    assert not spread(np.array([1e-4, 2e-4]), reference_sd=0.1)["holds"]  # consistent but invisible
    separated = eta_squared([np.array([0.0, 0.0]), np.array([1.0, 1.0])])
    assert separated == {"eta_squared": 1.0, "chance": pytest.approx(1 / 3)}


def test_cases_use_the_synthetic_worlds_places():
    places = biome_places()
    assert len(places) == 15
    for place in places:
        assert (place.country, place.hemisphere) in BIOME_SETTINGS[place.biome_id].countries
        assert place.summer_month == ("July" if place.hemisphere == "north" else "January")
    cases = landform_cases()
    assert len(cases) == 15 * 4 + 15 * 2 + 4
    full = [c for c in cases if c.form == "full"]
    assert all(len(c.parts.present()) == 4 for c in full)
    assert full[0].prompt == "A Sentinel-2 image of tropical rainforests and plains in Brazil in January"
    assert [c.parts.landform for c in cases if c.form == "landform"] == list(LANDFORM_ORDER)
    assert {c.parts.landform for c in cases if c.form == "biome_landform"} == set(FORM_LANDFORMS["biome_landform"])
    season = season_cases()
    assert len(season) == 12 and {c.hemisphere for c in season} == {"north", "south"}
    with pytest.raises(ValueError, match="unknown form"):
        landform_cases(("everything",))
    with pytest.raises(ValueError, match="unknown biome"):
        biome_places((99,))
