"""Held-out split of the synthetic world: the SHA-256 rule on grid cells, for the dataset and
for prepared tiles; training ("train", the default) never meets a "val" tile."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mesa.data.split import is_held_out
from mesa.data.synthetic import SyntheticTerrainDataset
from mesa.data.synthetic.dataset import grid_cell_of
from mesa.data.synthetic.params import sample_params
from mesa.data.synthetic.prepared import PreparedTiles, prepare_tiles

SEED = 5  # world tiles 2, 4 and 34 of seed 5 are held out (the first of 40)


def test_splits_partition_the_world_by_the_sha256_rule():
    train = SyntheticTerrainDataset(32, 37, seed=SEED)
    val = SyntheticTerrainDataset(32, 3, seed=SEED, split="val")
    every = SyntheticTerrainDataset(32, 40, seed=SEED, split="all")
    assert train.split == "train"
    assert [val.world_index(i) for i in range(3)] == [2, 4, 34]
    train_tiles = [train.world_index(i) for i in range(37)]
    assert sorted(train_tiles + [2, 4, 34]) == [every.world_index(i) for i in range(40)] == list(range(40))
    for dataset in (train, val):
        for index in range(len(dataset)):
            cell = dataset.sample_params(index).grid_cell
            assert is_held_out(cell) == (dataset.split == "val")


def test_a_split_sample_is_its_world_tile():
    val = SyntheticTerrainDataset(32, 2, seed=SEED, split="val")
    every = SyntheticTerrainDataset(32, 5, seed=SEED, split="all")
    np.testing.assert_array_equal(val[1].elevation_m, every[4].elevation_m)
    assert val[1].grid_cell == every[4].grid_cell == "synthetic-5-4"
    assert val.terrain(1).seed == 4
    assert grid_cell_of(SEED, 34) == sample_params(SEED, 34).grid_cell


def test_about_a_tenth_of_a_long_world_is_held_out():
    val = SyntheticTerrainDataset(32, 100, seed=0, split="val")
    assert 0.07 < 100 / (val.world_index(99) + 1) < 0.13


def test_bad_split_arguments_are_refused():
    with pytest.raises(ValueError, match="split"):
        SyntheticTerrainDataset(32, 3, split="test")
    with pytest.raises(ValueError, match="held_out_fraction"):
        SyntheticTerrainDataset(32, 3, split="val", held_out_fraction=0.0)


@pytest.fixture(scope="module")
def all_tiles(tmp_path_factory):
    return prepare_tiles(tmp_path_factory.mktemp("all"), count=6, seed=SEED, resolution=32, workers=1, split="all")


def test_prepared_tiles_read_only_their_split(all_tiles):
    train, val = PreparedTiles(all_tiles, seed=1), PreparedTiles(all_tiles, seed=1, split="val")
    assert len(train) == 4 and len(val) == 2
    assert [train.sample_at(p).grid_cell for p in range(4)] == [f"synthetic-5-{k}" for k in (0, 1, 3, 5)]
    assert {val.sample_at(p).grid_cell for p in range(4)} == {"synthetic-5-2", "synthetic-5-4"}
    expected = SyntheticTerrainDataset(32, 2, seed=SEED, split="val")[1]
    np.testing.assert_array_equal(val.sample_at(1).elevation_m, expected.elevation_m)


def test_preparing_the_train_split_holds_no_held_out_tile(tmp_path):
    directory = prepare_tiles(tmp_path / "train", count=4, seed=SEED, resolution=32, workers=1)
    info = json.loads((directory / "tiles.json").read_text())
    assert info["split"] == "train" and info["grid_cells"] == [f"synthetic-5-{k}" for k in (0, 1, 3, 5)]
    with pytest.raises(ValueError, match="no tile of the 'val' split"):
        PreparedTiles(directory, split="val")


def test_tiles_prepared_without_grid_cells_are_refused(all_tiles, tmp_path):
    info = json.loads((all_tiles / "tiles.json").read_text())
    del info["grid_cells"]
    (tmp_path / "tiles.json").write_text(json.dumps(info))
    with pytest.raises(ValueError, match="prepare it again"):
        PreparedTiles(tmp_path)
