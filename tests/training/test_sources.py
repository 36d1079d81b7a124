"""The named data sources: every config name is registered, each builds a TerrainSource, prepared
tiles are read whole or as crops, and what is not a TerrainSource is refused in one line."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.data.sample import TerrainSource
from mesa.data.synthetic import SyntheticTerrainDataset
from mesa.data.synthetic.prepared import prepare_tiles
from mesa.errors import UserError
from mesa.training.config import DATA_SOURCES, DataConfig, TrainConfig, build_config
from mesa.training.sources import SOURCES, build_source, check_source
from mesa.training.train import train
from tests.training.conftest import ListSource


def test_every_config_name_is_registered_and_major_tom_is_the_default():
    assert tuple(SOURCES) == DATA_SOURCES
    assert DataConfig().data == "majortom" and TrainConfig().data == "majortom"


def test_synthetic_source_reads_tile_p_mod_length():
    source = build_source(DataConfig(data="synthetic", resolution=32, synthetic_length=3), seed=1)
    assert isinstance(source, SyntheticTerrainDataset) and isinstance(source, TerrainSource)
    again = source.sample_at(4)
    assert again.caption == source[1].caption and np.array_equal(again.elevation_m, source[1].elevation_m)
    assert again.meters_per_pixel == source.meters_per_pixel == 240.0


@pytest.fixture(scope="module")
def tiles(tmp_path_factory):
    return prepare_tiles(tmp_path_factory.mktemp("tiles"), count=2, seed=0, resolution=32, workers=1)


def test_prepared_tiles_whole_or_cropped(tiles):
    whole = build_source(DataConfig(data="prepared", data_dir=str(tiles), resolution=32), seed=0)
    assert isinstance(whole, TerrainSource) and whole.sample_at(3).rgb.shape == (32, 32, 3)
    cropped = build_source(DataConfig(data="prepared", data_dir=str(tiles), resolution=16), seed=0)
    assert cropped.sample_at(3).elevation_m.shape == (16, 16)
    with pytest.raises(UserError, match="smaller than --resolution 64"):
        build_source(DataConfig(data="prepared", data_dir=str(tiles), resolution=64), seed=0)


def test_missing_or_broken_prepared_tiles_are_one_line_errors(tmp_path):
    with pytest.raises(UserError, match="does not hold usable prepared tiles"):
        build_source(DataConfig(data="prepared", data_dir=str(tmp_path / "nowhere"), resolution=32), seed=0)
    (tmp_path / "tiles.json").write_text("{not json")
    with pytest.raises(UserError, match="does not hold usable prepared tiles") as error:
        build_source(DataConfig(data="prepared", data_dir=str(tmp_path), resolution=32), seed=0)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("values, message", [
    ({"pretrained": "a", "data": "prepared"}, "--data prepared needs --data-dir"),
    ({"pretrained": "a", "data_dir": "x"}, "--data prepared needs --data-dir"),
])
def test_data_dir_goes_with_prepared_only(values, message):
    with pytest.raises(UserError, match=message):
        build_config(TrainConfig, values, {})


class MapStyle:
    """A map-style dataset without the protocol's sample_at."""

    meters_per_pixel = 10.0

    def __len__(self) -> int:
        return 1


def test_what_is_not_a_terrain_source_is_refused(tiny_config):
    assert check_source(ListSource()) is not None
    with pytest.raises(UserError, match="MapStyle lacks sample_at"):
        check_source(MapStyle())
    with pytest.raises(UserError, match="needs sample_at"):
        train(tiny_config(max_steps=1), dataset=MapStyle())
