"""SyntheticTerrainDataset: determinism, TerrainSample structure, captions, parameters."""

import re
from dataclasses import replace
from itertools import combinations

import numpy as np
import pytest

from mesa.data.sample import TerrainSample
from mesa.data.synthetic import SyntheticTerrainDataset
from mesa.cli import main as mesa_main
from mesa.data.synthetic.captions import caption_parts, make_caption
from mesa.data.synthetic.params import MONTHS, biome_phrases, landform_relief
from mesa.prompts import PromptParts, build_prompt

CAPTION = re.compile(r"^A Sentinel-2 image( of [a-z -]+?( and [a-z -]+)?)?( in [A-Z][A-Za-z ]+)?( in [A-Z][a-z]+)?$")


def _subset_prompts(parts: PromptParts) -> set[str]:
    names = parts.present()
    return {
        build_prompt(replace(parts, **{name: None for name in names if name not in kept}))
        for k in range(1, len(names) + 1)
        for kept in combinations(names, k)
    }


def test_samples_are_deterministic_per_seed_and_index():
    a, b = SyntheticTerrainDataset(64, 10, seed=5), SyntheticTerrainDataset(64, 10, seed=5)
    for index in (0, 7):
        x, y = a[index], b[index]
        np.testing.assert_array_equal(x.rgb, y.rgb)
        np.testing.assert_array_equal(x.elevation_m, y.elevation_m)
        assert x.caption == y.caption and x.grid_cell == y.grid_cell
    other = SyntheticTerrainDataset(64, 10, seed=6)[0]
    assert not np.array_equal(other.elevation_m, a[0].elevation_m)
    assert a.sample_params(3) == b.sample_params(3) != a.sample_params(4)


def test_samples_are_terrain_samples_with_documented_shapes_and_ranges():
    dataset = SyntheticTerrainDataset(resolution=64, length=6, seed=0)
    assert len(dataset) == 6
    assert dataset.meters_per_pixel == pytest.approx(7680 / 64)
    for sample in dataset:
        assert isinstance(sample, TerrainSample)
        assert sample.rgb.shape == (64, 64, 3) and sample.rgb.dtype == np.float32
        assert 0.0 <= sample.rgb.min() and sample.rgb.max() <= 1.0
        assert sample.elevation_m.shape == (64, 64) and sample.elevation_m.dtype == np.float32
        assert np.all(np.isfinite(sample.elevation_m)) and -500 < sample.elevation_m.min() < sample.elevation_m.max() < 9000
        assert sample.valid_mask.dtype == bool and sample.valid_mask.all()
        assert sample.meters_per_pixel == pytest.approx(120.0)
        assert sample.grid_cell.startswith("synthetic-0-")


def test_iter_samples_resumes_where_asked():
    dataset = SyntheticTerrainDataset(64, 4, seed=1)
    resumed = list(dataset.iter_samples(start=2))
    assert [s.grid_cell for s in resumed] == [dataset[2].grid_cell, dataset[3].grid_cell]
    np.testing.assert_array_equal(resumed[0].rgb, dataset[2].rgb)
    assert list(dataset.iter_samples(start=4)) == []


def test_bad_arguments_and_indices_are_refused():
    with pytest.raises(ValueError, match="resolution"):
        SyntheticTerrainDataset(resolution=8)
    with pytest.raises(ValueError, match="length"):
        SyntheticTerrainDataset(length=0)
    with pytest.raises(ValueError, match="seed"):
        SyntheticTerrainDataset(seed=-1)
    with pytest.raises(ValueError, match="meters_per_pixel"):
        SyntheticTerrainDataset(meters_per_pixel=0.0)
    dataset = SyntheticTerrainDataset(64, 3)
    with pytest.raises(IndexError):
        dataset[3]
    with pytest.raises(IndexError):
        list(dataset.iter_samples(start=4))


def test_custom_ground_sampling_distance_is_kept():
    sample = SyntheticTerrainDataset(64, 1, meters_per_pixel=30.0)[0]
    assert sample.meters_per_pixel == 30.0


def test_params_cover_the_vocabularies():
    dataset = SyntheticTerrainDataset(64, 400, seed=0)
    params = [dataset.sample_params(i) for i in range(400)]
    assert {p.biome_id for p in params} == set(biome_phrases())
    assert {p.landform for p in params} == set(landform_relief())
    assert {p.month for p in params} == set(range(1, 13))
    assert {p.hemisphere for p in params} == {"north", "south"}
    for p in params:
        assert p.biome_phrase in biome_phrases()[p.biome_id] and p.month_name in MONTHS and p.relief_m > 0


def test_captions_follow_the_prompt_grammar_and_drop_parts():
    dataset = SyntheticTerrainDataset(64, 60, seed=0)
    dropped = 0
    for index in range(60):
        params = dataset.sample_params(index)
        full = make_caption(params, augment=False)
        assert full == build_prompt(caption_parts(params)) and CAPTION.match(full)
        augmented = make_caption(params, augment=True)
        assert CAPTION.match(augmented), augmented
        assert augmented in _subset_prompts(caption_parts(params))
        dropped += augmented != full
    assert 20 < dropped < 60
    assert SyntheticTerrainDataset(64, 1, augment_captions=False)[0].caption == make_caption(dataset.sample_params(0), False)


def test_preview_writer_writes_a_contact_sheet(tmp_path):
    assert mesa_main(["synthetic", "--out", str(tmp_path), "--n", "2", "--resolution", "32"]) == 0
    assert (tmp_path / "contact_sheet.png").stat().st_size > 0
    assert (tmp_path / "0001_rgb.png").exists() and (tmp_path / "0001.txt").read_text().startswith("A Sentinel-2 image")
