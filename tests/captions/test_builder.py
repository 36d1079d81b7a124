"""Captions from coordinates, dates and DEMs; augmentation keeps the grammar; the caption command."""

from __future__ import annotations

import argparse
import json
import re
from datetime import datetime

import numpy as np
import pytest

from mesa.cli import caption as cli
from mesa.captions.builder import CaptionBuilder, CaptionFacts, month_of
from mesa.data.geotiff import encode_geotiff
from mesa.errors import UserError
from mesa.prompts import build_prompt, load_vocabulary

GRAMMAR = re.compile(r"^A Sentinel-2 image( of [^ ].*?( and [^ ].*?)?)?( in [A-Z].*?)?( in [A-Z][a-z]+)?$")


def alpine_dem() -> np.ndarray:
    y, x = np.mgrid[0:64, 0:64] / 64
    return (1800 + 2200 * (0.5 + 0.5 * np.sin(2 * np.pi * x) * np.cos(np.pi * y))).astype(np.float32)


def test_country_month_and_landform_for_a_known_place():
    builder = CaptionBuilder()
    facts = builder.describe(46.55, 8.0, "2021-08-14", alpine_dem(), None, 120.0)
    assert (facts.country, facts.month, facts.landform) == ("Switzerland", "August", "high mountains")
    assert builder.caption(46.55, 8.0, "20210814T101031", alpine_dem(), None, 120.0) == \
        "A Sentinel-2 image of high mountains in Switzerland in August"


def test_month_formats():
    assert month_of("20210814T101031") == month_of("2021-08-14") == month_of(datetime(2021, 8, 14)) == "August"
    with pytest.raises(UserError, match="YYYY-MM-DD"):
        month_of("14/08/2021")


def test_augmentation_anonymises_alternates_and_keeps_grammar():
    facts = CaptionFacts("Switzerland", "August", "Alps conifer and mixed forests",
                         ("broadleaf forests", "mixed forests"), "high mountains", "the Alps")
    builder = CaptionBuilder(min_dropped=1)
    seen_biomes, seen_landforms = set(), set()
    for seed in range(200):
        parts = builder.choose_parts(facts, np.random.default_rng(seed))
        assert 1 <= len(parts.present()) <= 3
        seen_biomes.add(parts.biome)
        seen_landforms.add(parts.landform)
        assert GRAMMAR.match(build_prompt(parts))
        assert parts == builder.choose_parts(facts, np.random.default_rng(seed))
    assert {"Alps conifer and mixed forests", "broadleaf forests", "mixed forests"} <= seen_biomes
    assert {"high mountains", "the Alps"} <= seen_landforms
    assert builder.choose_parts(facts).biome == "Alps conifer and mixed forests"


def test_all_vocabulary_months_are_reachable():
    assert [month_of(f"2020-{m:02d}-01") for m in range(1, 13)] == load_vocabulary().months


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return cli.run(parser.parse_args(argv))


def test_caption_command_prints_caption_and_parts(tmp_path, capsys):
    dem_path = tmp_path / "dem.tif"
    dem_path.write_bytes(encode_geotiff(alpine_dem()))
    regions = tmp_path / "regions.geojson"
    regions.write_text(json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"name": "the Alps"}, "geometry": {"type": "Polygon",
        "coordinates": [[[5, 44], [16, 44], [16, 48.5], [5, 48.5], [5, 44]]]}}]}))
    assert run_cli(["--lat", "46.55", "--lon", "8.0", "--date", "2021-08-14", "--dem", str(dem_path),
                    "--dem-meters-per-pixel", "120", "--regions", str(regions), "--augment", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "caption: A Sentinel-2 image of high mountains in Switzerland in August"
    assert "country: Switzerland" in out and "month: August" in out and "regional landform: the Alps" in out
    assert sum(line.startswith("augmented: ") for line in out) == 3
    assert cli.__doc__.strip().splitlines()[0].startswith("Print the MESA caption")


def test_caption_command_refuses_bad_input(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        run_cli(["--lat", "46.55", "--lon", "8.0", "--date", "2021-08-14", "--dem", str(tmp_path / "x.tif")])
    with pytest.raises(UserError, match="YYYY-MM-DD"):
        run_cli(["--lat", "46.55", "--lon", "8.0", "--date", "August"])
