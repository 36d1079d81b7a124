"""Prepared synthetic tiles: identical to the synthetic dataset, captions re-drawn per position."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.data.synthetic import SyntheticTerrainDataset
from mesa.data.synthetic.prepared import PreparedTiles, prepare_tiles


@pytest.fixture(scope="module")
def tiles_dir(tmp_path_factory):
    return prepare_tiles(tmp_path_factory.mktemp("tiles"), count=3, seed=5, resolution=32, workers=1)


def test_tiles_match_the_synthetic_dataset(tiles_dir):
    tiles, dataset = PreparedTiles(tiles_dir, seed=5), SyntheticTerrainDataset(resolution=32, length=3, seed=5)
    for index in range(3):
        expected = dataset[index]
        sample = tiles.sample_at(index)
        np.testing.assert_array_equal(sample.elevation_m, expected.elevation_m)
        np.testing.assert_allclose(sample.rgb, expected.rgb, atol=1e-3)  # stored as float16
        assert sample.meters_per_pixel == expected.meters_per_pixel
        assert sample.rgb.dtype == np.float32 and sample.valid_mask.all()


def test_positions_wrap_and_redraw_captions(tiles_dir):
    tiles = PreparedTiles(tiles_dir, seed=5)
    assert len(tiles) == 3
    np.testing.assert_array_equal(tiles.sample_at(1).elevation_m, tiles.sample_at(4).elevation_m)
    captions = {tiles.sample_at(1 + 3 * epoch).caption for epoch in range(12)}
    assert len(captions) > 1
    assert all(caption.startswith("A Sentinel-2 image") for caption in captions)
    assert tiles.sample_at(7).caption == PreparedTiles(tiles_dir, seed=5).sample_at(7).caption


def test_crops_are_seeded_windows(tiles_dir):
    tiles = PreparedTiles(tiles_dir, seed=5, crop=16)
    sample = tiles.sample_at(2)
    assert sample.elevation_m.shape == (16, 16) and sample.rgb.shape == (16, 16, 3)
    np.testing.assert_array_equal(sample.elevation_m, tiles.sample_at(2).elevation_m)
    with pytest.raises(ValueError, match="crop"):
        PreparedTiles(tiles_dir, crop=64)


def test_prepare_skips_a_finished_folder(tiles_dir):
    stamp = (tiles_dir / "rgb.npy").stat().st_mtime_ns
    prepare_tiles(tiles_dir, count=3, seed=5, resolution=32, workers=1)
    assert (tiles_dir / "rgb.npy").stat().st_mtime_ns == stamp
