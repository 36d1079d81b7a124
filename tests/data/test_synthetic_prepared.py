"""Prepared synthetic tiles: identical to the synthetic dataset, captions re-drawn per position."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from mesa.data.synthetic import SyntheticTerrainDataset
from mesa.data.synthetic.params import BIOME_SETTINGS, MONTHS, other_hemisphere_place, sample_params
from mesa.data.synthetic.prepared import PreparedTiles, prepare_tiles, shift_month


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


def test_season_twins_are_the_same_ground_in_two_months_with_one_caption_draw(tmp_path):
    plain = PreparedTiles(prepare_tiles(tmp_path / "plain", count=4, seed=5, resolution=32, workers=1), seed=5)
    twins = PreparedTiles(prepare_tiles(tmp_path / "twins", count=4, seed=5, resolution=32, workers=1,
                                        month_shifts=(0, 6)), seed=5)
    assert len(twins) == 8 and twins.twins == 2 and plain.twins == 1
    seasonal = 0
    for terrain in range(4):
        first, second = twins.sample_at(2 * terrain), twins.sample_at(2 * terrain + 1)
        np.testing.assert_array_equal(first.elevation_m, plain.sample_at(terrain).elevation_m)
        np.testing.assert_array_equal(first.elevation_m, second.elevation_m)
        np.testing.assert_allclose(first.rgb, plain.sample_at(terrain).rgb, atol=1e-3)
        seasonal += not np.allclose(first.rgb, second.rgb, atol=1e-2)  # the other season's colours
        parts, other = twins.parts[2 * terrain], twins.parts[2 * terrain + 1]
        assert (parts.biome, parts.landform, parts.country) == (other.biome, other.landform, other.country)
        assert (MONTHS.index(other.month) - MONTHS.index(parts.month)) % 12 == 6
    assert seasonal >= 2  # not every biome changes with the seasons (rock and ice, tundra in spring and autumn)
    for position in range(8, 80, 2):  # every epoch: the same parts kept for both twins
        first, second = twins.sample_at(position).caption, twins.sample_at(position + 1).caption
        assert first.split(" in ")[0] == second.split(" in ")[0]
        assert (first == second) == (not any(month in first for month in MONTHS))
    cropped = PreparedTiles(tmp_path / "twins", seed=5, crop=16)
    np.testing.assert_array_equal(cropped.sample_at(6).elevation_m, cropped.sample_at(7).elevation_m)
    with pytest.raises(ValueError, match="month_shifts"):
        prepare_tiles(tmp_path / "bad", count=2, seed=5, resolution=32, month_shifts=(0, 12))


HEMISPHERE = {country: side for setting in BIOME_SETTINGS.values() for country, side in setting.countries}


def test_season_quads_flip_the_season_with_the_hemisphere(tmp_path):
    quads = PreparedTiles(prepare_tiles(tmp_path / "quads", count=6, seed=5, resolution=32, workers=1,
                                        month_shifts=(0, 6), other_hemisphere=True),
                          seed=5, keep_parts=("country", "month"))
    assert len(quads) == 24 and quads.twins == 4
    flipped = 0
    for terrain in range(6):
        own, own_later, other, other_later = (quads.sample_at(4 * terrain + k) for k in range(4))
        parts = quads.parts[4 * terrain: 4 * terrain + 4]
        for sample in (own_later, other, other_later):
            np.testing.assert_array_equal(sample.elevation_m, own.elevation_m)  # the same ground
        assert parts[0].country == parts[1].country and parts[2].country == parts[3].country != parts[0].country
        assert parts[0].month == parts[2].month and parts[1].month == parts[3].month != parts[0].month
        if HEMISPHERE[parts[2].country] != HEMISPHERE[parts[0].country]:  # the other hemisphere: flipped seasons
            flipped += 1
            np.testing.assert_allclose(other_later.rgb, own.rgb, atol=1e-3)
            np.testing.assert_allclose(other.rgb, own_later.rgb, atol=1e-3)
        else:  # a biome of one hemisphere: another country there, the same seasons
            np.testing.assert_allclose(other.rgb, own.rgb, atol=1e-3)
        captions = [sample.caption for sample in (own, own_later, other, other_later)]
        assert len({caption.split(" in ")[0] for caption in captions}) == 1  # one caption draw per terrain
        assert all(parts[k].country in captions[k] and captions[k].endswith(parts[k].month) for k in range(4))
    assert flipped >= 2


def test_other_hemisphere_place_prefers_the_other_hemisphere_then_another_country():
    params = sample_params(5, 0)
    for biome_id, setting in BIOME_SETTINGS.items():
        for country, side in setting.countries:
            placed = other_hemisphere_place(replace(params, biome_id=biome_id, country=country, hemisphere=side))
            sides = {s for _, s in setting.countries}
            assert (placed.hemisphere != side) == (len(sides) == 2)
            assert placed.country != country and (placed.country, placed.hemisphere) in setting.countries
            assert (placed.month, placed.landform, placed.relief_m) == (params.month, params.landform, params.relief_m)


def test_shift_month_wraps_round_the_year():
    assert [shift_month(month, 6) for month in (1, 6, 7, 12)] == [7, 12, 1, 6]
    assert shift_month(3, 0) == 3 and shift_month(1, -1) == 12


def test_kept_parts_are_never_dropped_and_the_others_still_are(tiles_dir):
    tiles = PreparedTiles(tiles_dir, seed=5, keep_parts=("month",))
    captions = [tiles.sample_at(position).caption for position in range(60)]
    assert all(any(caption.endswith(f" in {month}") for month in MONTHS) for caption in captions)
    assert len({caption.count(" in ") + caption.count(" and ") for caption in captions}) > 1  # others dropped
    plain = [PreparedTiles(tiles_dir, seed=5).sample_at(position).caption for position in range(60)]
    assert not all(any(caption.endswith(f" in {month}") for month in MONTHS) for caption in plain)
    with pytest.raises(ValueError, match="unknown part"):
        PreparedTiles(tiles_dir, keep_parts=("season",))
    with pytest.raises(ValueError, match="every part"):
        PreparedTiles(tiles_dir, keep_parts=("biome", "landform", "country", "month"))
