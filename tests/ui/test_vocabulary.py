"""Dropdown vocabularies from a model's prompts.csv, or the bundled lists."""

from mesa.prompts import load_vocabulary
from ui.vocabulary import NONE_CHOICE, dropdown_vocabulary, parse_caption, part_or_none, with_none

LANDFORMS = {"mountains", "high mountains", "hills"}
MONTHS = {"August", "May"}


def test_parse_caption_splits_parts():
    assert parse_caption("A Sentinel-2 image of montane forests and mountains in Mexico in August", LANDFORMS,
                         MONTHS) == {"biome": "montane forests", "landform": "mountains", "country": "Mexico",
                                     "month": "August"}
    assert parse_caption("A Sentinel-2 image of rock and ice and high mountains in Nepal", LANDFORMS, MONTHS) == {
        "biome": "rock and ice", "landform": "high mountains", "country": "Nepal"}
    assert parse_caption("A Sentinel-2 image in May", LANDFORMS, MONTHS) == {"month": "May"}
    assert parse_caption("A Sentinel-2 image of hills", LANDFORMS, MONTHS) == {"landform": "hills"}


def test_prompts_csv_drives_the_dropdowns(tmp_path):
    (tmp_path / "prompts.csv").write_text(
        "id,prompt\n1,A Sentinel-2 image of taiga and hills in Finland in May\n"
        '2,"A Sentinel-2 image of deserts and plains in Bosnia and Herzegovina in August"\n')
    vocabulary, source = dropdown_vocabulary(tmp_path)
    assert vocabulary.biomes == ["deserts", "taiga"]
    assert vocabulary.landforms == ["hills", "plains"]
    assert vocabulary.countries == ["Bosnia and Herzegovina", "Finland"]
    assert vocabulary.months == ["May", "August"]
    assert "2 training captions" in source


def test_without_prompts_csv_the_bundled_lists_are_used(tmp_path):
    vocabulary, source = dropdown_vocabulary(tmp_path)
    assert vocabulary == load_vocabulary() and source == "bundled vocabulary"
    assert dropdown_vocabulary(None)[0] == load_vocabulary()


def test_none_choice_round_trip():
    assert with_none(["a"]) == [NONE_CHOICE, "a"]
    assert part_or_none(NONE_CHOICE) is None and part_or_none("") is None and part_or_none("a") == "a"
