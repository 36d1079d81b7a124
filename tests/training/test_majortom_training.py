"""Major TOM through the trainer: a Hub-layout dataset written by the data tests' writer, captions
with a user-supplied RESOLVE ecoregion file, a short run that exports a loadable model."""

from __future__ import annotations

import json

from mesa.pipeline import TerrainPipeline
from mesa.training.sources import build_source
from mesa.training.train import train
from tests.data.conftest import write_dataset

SQUARE_AROUND_BERN = [[[7.0, 46.0], [9.0, 46.0], [9.0, 47.0], [7.0, 47.0], [7.0, 46.0]]]


def write_ecoregions(path):
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": SQUARE_AROUND_BERN},
               "properties": {"ECO_NAME": "Alps conifer and mixed forests", "BIOME_NUM": 5,
                              "BIOME_NAME": "Temperate Conifer Forests"}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    return path


def test_majortom_run_with_ecoregion_captions_exports_a_model(tiny_config, tmp_path):
    dirs = write_dataset(tmp_path / "majortom")
    config = tiny_config(data="majortom", s2l2a=str(dirs["s2l2a"]), dem=str(dirs["dem"]), s2l1c=str(dirs["s2l1c"]),
                         ecoregions=str(write_ecoregions(tmp_path / "resolve.geojson")), max_steps=2,
                         checkpoint_every=2)
    dataset = build_source(config, seed=config.seed, split="train")
    captions = [sample.caption for sample in dataset]
    assert captions and all("Switzerland" in c or "forests" in c or "August" in c or "plains" in c for c in captions)
    assert dataset.stats.skipped_corrupt >= 0 and dataset.stats.yielded == len(captions)
    result = train(config)
    pipe = TerrainPipeline.from_pretrained(result.model_dir)
    [terrain] = pipe("conifer forests in Switzerland", seeds=[0], steps=2, height=32, width=32)
    assert terrain.elevation_m.shape == (32, 32)


def test_full_caption_names_the_ecoregion_from_the_file(tmp_path):
    from datetime import datetime

    from mesa.captions.builder import CaptionBuilder

    builder = CaptionBuilder.from_files(write_ecoregions(tmp_path / "resolve.geojson"), augment=False)
    caption = builder.caption(46.55, 8.0, datetime(2021, 8, 14), None, None, 10.0, None)
    assert caption.startswith("A Sentinel-2 image of ") and "Switzerland" in caption and "August" in caption
    assert "Alps conifer and mixed forests" in caption  # unaugmented: the ecoregion's own name
