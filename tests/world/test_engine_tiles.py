"""Engine tile sets: neighbouring tiles share their edges exactly (max difference 0), one height range."""

import json

import numpy as np
import pytest
from PIL import Image

from mesa.errors import UserError
from mesa.world.engine_tiles import write_engine_tiles
from tests.finishing.exr_reader import read_single_channel_exr

TILE_PX, COLUMNS, ROWS, MPP = 64, 3, 2, 10.0


@pytest.fixture(scope="module")
def mosaic():
    """(128, 192) smooth elevation in metres, -50..1450 m."""
    rows, columns = np.mgrid[0:ROWS * TILE_PX, 0:COLUMNS * TILE_PX]
    elevation = 700 * np.sin(rows / 17.0) * np.cos(columns / 23.0) + 3.0 * columns
    return (-50 + 1500 * (elevation - elevation.min()) / np.ptp(elevation)).astype(np.float32)


def read_u16(path, size):
    if path.suffix == ".png":
        return np.asarray(Image.open(path)).astype(np.int64)
    return np.frombuffer(path.read_bytes(), dtype="<u2").reshape(size, size).astype(np.int64)


def read_exr(path):
    name, words = read_single_channel_exr(path)
    assert name == "R"
    return words.view(np.float32)


def tiles_by_position(tile_set):
    return {(t.x, t.y): t for t in tile_set.tiles}


@pytest.mark.parametrize("engine, size, suffix", [("unreal", 127, ".png"), ("unity", 65, ".r16")])
def test_shared_edges_match_exactly(mosaic, tmp_path, engine, size, suffix):
    tile_set = write_engine_tiles(mosaic, MPP, COLUMNS, ROWS, engine, tmp_path / engine)
    tiles = tiles_by_position(tile_set)
    assert len(tiles) == COLUMNS * ROWS and tile_set.global_samples == (ROWS * (size - 1) + 1, COLUMNS * (size - 1) + 1)
    values = {xy: read_u16(tmp_path / engine / t.file, size) for xy, t in tiles.items()}
    assert tiles[(2, 1)].file == f"world_x2_y1{suffix}" and values[(0, 0)].shape == (size, size)
    for (x, y), value in values.items():
        if (x + 1, y) in values:
            assert np.abs(value[:, -1] - values[(x + 1, y)][:, 0]).max() == 0
        if (x, y + 1) in values:
            assert np.abs(value[-1, :] - values[(x, y + 1)][0, :]).max() == 0
    assert min(v.min() for v in values.values()) == 0 and max(v.max() for v in values.values()) == 65535
    assert tile_set.range_m == (pytest.approx(mosaic.min(), abs=2.0), pytest.approx(mosaic.max(), abs=2.0))


def test_every_tile_uses_the_worlds_one_height_range(mosaic, tmp_path):
    tile_set = write_engine_tiles(mosaic, MPP, COLUMNS, ROWS, "unreal", tmp_path)
    low, high = tile_set.range_m
    assert (low, high) == (pytest.approx(-50.0, abs=2.0), pytest.approx(1450.0, abs=2.0))
    tile = tiles_by_position(tile_set)[(1, 0)]
    metres = low + read_u16(tmp_path / tile.file, 127) * (high - low) / 65535
    row, column = tile.first_sample
    corner = mosaic[0, round(column * (COLUMNS * TILE_PX - 1) / (COLUMNS * 126))]
    assert metres[0, 0] == pytest.approx(corner, abs=(high - low) / 65535 + 1.0)
    sidecar = json.loads((tmp_path / "unreal_tiles.json").read_text())
    settings = sidecar["import_settings"]
    assert settings["landscape_resolution"] == "379 x 253" and settings["quads_per_section"] == 63
    assert settings["scale_z_percent"] == pytest.approx((high - low) * 100 / 512)
    assert settings["scale_x_cm"] == pytest.approx((COLUMNS * TILE_PX - 1) * MPP * 100 / (COLUMNS * 126))
    assert sidecar["height_range_m"] == [pytest.approx(low), pytest.approx(high)]


def test_unity_terrains_list_their_neighbours_in_set_neighbors_order(mosaic, tmp_path):
    tile_set = write_engine_tiles(mosaic, MPP, COLUMNS, ROWS, "unity", tmp_path)
    terrains = tile_set.import_settings["terrains"]
    assert terrains["x1_y0"]["neighbors_left_top_right_bottom"] == ["x0_y0", None, "x2_y0", "x1_y1"]
    assert terrains["x0_y1"]["neighbors_left_top_right_bottom"] == [None, "x0_y0", "x1_y1", None]
    width = tile_set.import_settings["terrain_width_m"]
    assert terrains["x1_y0"]["position_m"][0] == pytest.approx(width)
    assert terrains["x1_y0"]["position_m"][2] > terrains["x1_y1"]["position_m"][2]  # row 0 is north (+Z)


def test_godot_regions_tile_the_mosaic_without_shared_samples(mosaic, tmp_path):
    tile_set = write_engine_tiles(mosaic, MPP, COLUMNS, ROWS, "godot", tmp_path)
    assert tile_set.import_settings["region_size"] == 64 and len(tile_set.tiles) == 6
    rebuilt = np.zeros_like(mosaic)
    for tile in tile_set.tiles:
        region = read_exr(tmp_path / tile.file)
        rebuilt[tile.y * 64:(tile.y + 1) * 64, tile.x * 64:(tile.x + 1) * 64] = region
    assert np.array_equal(rebuilt, mosaic)
    regions = tile_set.import_settings["regions"]
    assert regions["world_x2_y1.exr"]["global_position_m"] == [2 * 64 * MPP, 0.0, 64 * MPP]


def test_regions_past_an_odd_sized_mosaic_repeat_its_edge(tmp_path):
    odd = np.arange(96 * 32, dtype=np.float32).reshape(32, 96)
    tile_set = write_engine_tiles(odd, MPP, 3, 1, "godot", tmp_path)
    assert tile_set.import_settings["region_size"] == 64 and tile_set.global_samples == (64, 128)
    last = read_exr(tmp_path / "world_x1_y0.exr")
    assert np.array_equal(last[:32, :32], odd[:, 64:]) and np.array_equal(last[40, :32], odd[-1, 64:])


def test_tile_sizes_must_be_the_engines(mosaic, tmp_path):
    with pytest.raises(UserError, match="unreal tiles must have one of 127, 253"):
        write_engine_tiles(mosaic, MPP, COLUMNS, ROWS, "unreal", tmp_path, tile_samples=100)
    with pytest.raises(UserError, match="engine tiles exist for unreal, unity, godot"):
        write_engine_tiles(mosaic, MPP, COLUMNS, ROWS, "blender", tmp_path)
    assert write_engine_tiles(mosaic, MPP, COLUMNS, ROWS, "unreal", tmp_path, tile_samples=253).tiles[0].samples \
        == (253, 253)
