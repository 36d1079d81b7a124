"""A finished world's masks and material files per engine tile: neighbours share their edges, every
tile's weights sum to 255, the files sit beside the heightmap tiles and are listed in the tile set's
sidecar; `export_world` erodes the mosaic once and exports the eroded terrain everywhere."""

import json

import imageio.v3 as iio
import numpy as np
import pytest

from mesa.finishing import MATERIAL_LAYERS, FinishOptions, finish_terrain
from mesa.world.engine_tiles import write_engine_tiles
from tests.finishing.exr_reader import read_single_channel_exr

TILE_PX, COLUMNS, ROWS, MPP = 32, 3, 2, 30.0


@pytest.fixture(scope="module")
def finished():
    """The finished (64, 96) mosaic: hydraulic erosion, slope and flow masks, material weights."""
    rows, columns = np.mgrid[0:ROWS * TILE_PX, 0:COLUMNS * TILE_PX].astype(np.float64)
    elevation = 600 + 250 * np.sin(rows / 9.0) * np.cos(columns / 13.0) + 2.0 * columns
    rgb = np.stack([60 + elevation / 8, 90 + elevation / 10, 50 + elevation / 12], axis=-1).astype(np.uint8)
    options = FinishOptions(erosion="hydraulic", erosion_strength=0.2, masks=("slope", "flow"), materials=True)
    return finish_terrain(elevation, MPP, rgb, options)


def layer_stack(folder, x, y):
    return np.stack([iio.imread(folder / f"world_layer_{name}_x{x}_y{y}.png") for name in MATERIAL_LAYERS])


def test_unreal_tiles_share_the_edges_of_their_layers_and_masks(finished, tmp_path):
    tile_set = write_engine_tiles(finished.elevation_m, MPP, COLUMNS, ROWS, "unreal", tmp_path, finished=finished)
    stacks = {(t.x, t.y): layer_stack(tmp_path, t.x, t.y) for t in tile_set.tiles}
    for (x, y), stack in stacks.items():
        assert stack.shape == (6, 127, 127) and stack.dtype == np.uint8
        np.testing.assert_array_equal(stack.astype(np.int64).sum(axis=0), 255)
        if (x + 1, y) in stacks:
            np.testing.assert_array_equal(stack[:, :, -1], stacks[(x + 1, y)][:, :, 0])
        if (x, y + 1) in stacks:
            np.testing.assert_array_equal(stack[:, -1, :], stacks[(x, y + 1)][:, 0, :])
    slope = {xy: iio.imread(tmp_path / f"world_mask_slope_x{xy[0]}_y{xy[1]}.png") for xy in stacks}
    np.testing.assert_array_equal(slope[(0, 0)][:, -1], slope[(1, 0)][:, 0])
    document = json.loads((tmp_path / "unreal_tiles.json").read_text())
    listed = {entry["path"] for entries in document["finishing"]["tiles"].values() for entry in entries}
    written = {p.name for p in tmp_path.iterdir()} - {t.file for t in tile_set.tiles} - {"unreal_tiles.json"}
    assert listed == written and len(written) == COLUMNS * ROWS * (6 + 2)
    assert document["finishing"]["layers"]["order"] == list(MATERIAL_LAYERS)
    assert {f.path.name for f in tile_set.finishing_files} == written


def test_unity_tiles_get_splats_at_their_alphamap_size(finished, tmp_path):
    tile_set = write_engine_tiles(finished.elevation_m, MPP, COLUMNS, ROWS, "unity", tmp_path, finished=finished)
    size = tile_set.tiles[0].samples[0]
    for tile in tile_set.tiles:
        splats = [iio.imread(tmp_path / f"world_splat_{k}_x{tile.x}_y{tile.y}.png") for k in (0, 1)]
        assert all(s.shape == (size - 1, size - 1, 4) for s in splats)
        np.testing.assert_array_equal(sum(s.astype(np.int64).sum(axis=2) for s in splats), 255)


def test_terrain3d_regions_get_one_control_map_each(finished, tmp_path):
    tile_set = write_engine_tiles(finished.elevation_m, MPP, COLUMNS, ROWS, "godot", tmp_path, finished=finished)
    for tile in tile_set.tiles:
        channel, control = read_single_channel_exr(tmp_path / f"world_control_x{tile.x}_y{tile.y}.exr")
        assert channel == "R" and control.shape == tile.samples
        assert set(np.unique(control >> 27)) <= set(range(len(MATERIAL_LAYERS)))


def test_export_world_erodes_once_and_exports_the_eroded_terrain_everywhere(hills_world, tmp_path):
    from mesa.world.export import export_world

    world = hills_world
    result = finish_terrain(world.elevation_m, world.meters_per_pixel, world.rgb,
                            FinishOptions(erosion="thermal", masks=("slope",), materials=True))
    out = tmp_path / "world"
    export_world(world, out, "tif", "unreal", tile_meshes=False, lod_triangles=None, finished=result)
    np.testing.assert_array_equal(iio.imread(out / "mosaic" / "world_height.tif"), result.elevation_m)
    np.testing.assert_array_equal(np.load(out / "elevation.npy"), world.elevation_m)  # saved as generated
    assert (out / "mosaic" / "world_mask_slope.png").is_file() and (out / "mosaic" / "world_splat_1.png").is_file()
    assert (out / "unreal" / "world_layer_rock_x1_y0.png").is_file()
    document = json.loads((out / "world.json").read_text())
    assert document["finishing"]["erosion"]["kind"] == "thermal"
    listed = {entry["path"] for entry in document["files"]}
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert on_disk == listed
