"""MajorTomDataset over the tiny Hub-layout fixture: pairing, co-registration, skips, resume."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from mesa.captions.builder import CaptionBuilder
from mesa.data.majortom import MajorTomDataset
from mesa.data.raster import mask_to_latent
from mesa.data.sample import TerrainSample
from mesa.prompts import PREFIX


def dataset(dirs, **kwargs) -> MajorTomDataset:
    options = dict(s2l1c=dirs.get("s2l1c"), resolution=64, split="all", seed=3, crop="random",
                   caption_builder=CaptionBuilder())
    options.update(kwargs)
    return MajorTomDataset(dirs["s2l2a"], dirs["dem"], **options)


def bright_spot_centre(rgb: np.ndarray) -> tuple[int, int]:
    """Centre of the saturated (white) pixels of an (H, W, 3) image."""
    rows, cols = np.nonzero(rgb.sum(-1) > 2.9)
    return int(round(rows.mean())), int(round(cols.mean()))


def collect(data: MajorTomDataset) -> list[TerrainSample]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return list(data)


def test_pairs_only_cells_with_both_modalities(majortom_dirs):
    data = dataset(majortom_dirs)
    assert [p.grid_cell for p in data.pairs] == ["0U_0R", "0U_1R", "0U_2R", "0U_3R", "0U_4R"]
    assert data.pairs[0].l1c is not None and data.pairs[2].l1c is None


def test_samples_have_the_contract_shapes_and_a_caption(majortom_dirs):
    samples = collect(dataset(majortom_dirs))
    assert len(samples) == 3
    for sample in samples:
        assert sample.rgb.shape == (64, 64, 3) and sample.rgb.dtype == np.float32
        assert 0.0 <= sample.rgb.min() and sample.rgb.max() <= 1.0
        assert sample.elevation_m.shape == (64, 64) and sample.elevation_m.dtype == np.float32
        assert sample.valid_mask.dtype == bool and sample.valid_mask.any()
        assert sample.caption.startswith(PREFIX) and sample.meters_per_pixel == 10.0


def test_corrupt_and_empty_cells_are_skipped_counted_and_warned(majortom_dirs):
    data = dataset(majortom_dirs)
    with pytest.warns(RuntimeWarning, match="0U_4R"):
        samples = list(data)
    assert {s.grid_cell for s in samples} == {"0U_0R", "0U_1R", "0U_2R"}
    assert (data.stats.yielded, data.stats.skipped_no_valid, data.stats.skipped_corrupt) == (3, 1, 1)
    assert "1 with no valid pixel and 1 corrupt" in data.stats.summary()


def test_feature_is_co_registered_after_upsampling_and_centre_crop(majortom_dirs):
    data = dataset(majortom_dirs, crop="centre", shuffle=False, s2l1c=None)
    sample = data.sample_at(0)
    assert sample.grid_cell == "0U_0R"
    # centre crop of 64 in 96 starts at 16; the spot covers S2 pixels 30..32 / 60..62.
    spot = (31 - 16, 61 - 16)
    assert np.unravel_index(np.argmax(sample.elevation_m), (64, 64)) == spot
    assert bright_spot_centre(sample.rgb) == spot
    assert sample.elevation_m[spot] == pytest.approx(3000.0, abs=1.0)


def test_random_crops_stay_co_registered(majortom_dirs):
    data = dataset(majortom_dirs, shuffle=False, shadow_correction=False)
    checked = 0
    for position in range(0, 30, 5):
        sample = data.sample_at(position)
        if sample is None or sample.grid_cell != "0U_0R":
            continue
        peak = np.unravel_index(np.argmax(sample.elevation_m), (64, 64))
        if sample.elevation_m[peak] > 2900 and 0 < peak[0] < 63 and 0 < peak[1] < 63:
            assert bright_spot_centre(sample.rgb) == peak
            checked += 1
    assert checked >= 2


def test_masks_follow_clouds_and_nodata(majortom_dirs):
    data = dataset(majortom_dirs, crop="centre", shuffle=False)
    cloudy, holed = data.sample_at(1), data.sample_at(2)
    # cloud over S2 rows 0..47 -> crop rows 0..31 invalid, rows 32.. valid
    assert not cloudy.valid_mask[:32].any() and cloudy.valid_mask[32:].all()
    # DEM nodata over DEM columns 0..9 -> S2 columns up to ~30 invalid (crop columns < ~14)
    assert not holed.valid_mask[:, :13].any() and holed.valid_mask[:, 16:].all()
    latent = mask_to_latent(holed.valid_mask, 8)
    assert latent.shape == (8, 8) and not latent[:, 1].any() and latent[:, 2:].all()


def test_iteration_is_deterministic_and_resumable(majortom_dirs):
    first = dataset(majortom_dirs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        run = list(first.iter_samples(0, 12))
        resumed = list(dataset(majortom_dirs).iter_samples(run[3].position + 1, 12))
    assert [r.position for r in resumed] == [r.position for r in run[4:]]
    for a, b in zip(run[4:], resumed):
        assert a.sample.grid_cell == b.sample.grid_cell and a.sample.caption == b.sample.caption
        np.testing.assert_array_equal(a.sample.rgb, b.sample.rgb)


def test_splits_partition_the_cells(majortom_dirs):
    train = dataset(majortom_dirs, split="train", held_out_fraction=0.5)
    val = dataset(majortom_dirs, split="val", held_out_fraction=0.5)
    assert sorted(p.grid_cell for p in train.pairs + val.pairs) == ["0U_0R", "0U_1R", "0U_2R", "0U_3R", "0U_4R"]
    assert not {p.grid_cell for p in train.pairs} & {p.grid_cell for p in val.pairs}


def test_shadow_correction_keeps_l2a_colour_statistics(majortom_dirs):
    corrected = dataset(majortom_dirs, crop="centre", shuffle=False).sample_at(0)
    plain = dataset(majortom_dirs, crop="centre", shuffle=False, shadow_correction=False).sample_at(0)
    valid = corrected.valid_mask
    quantiles = [5, 25, 50, 75, 95]
    for channel in range(3):
        np.testing.assert_allclose(np.percentile(corrected.rgb[..., channel][valid], quantiles),
                                   np.percentile(plain.rgb[..., channel][valid], quantiles), atol=0.005)
    assert not np.array_equal(corrected.rgb, plain.rgb)


def test_bad_arguments_are_refused(majortom_dirs):
    with pytest.raises(ValueError, match="multiple of 8"):
        dataset(majortom_dirs, resolution=60)
    with pytest.raises(ValueError, match="crop mode"):
        dataset(majortom_dirs, crop="middle")


def test_true_major_tom_sizes(tmp_path, write_majortom):
    dirs = write_majortom(tmp_path, s2_size=1068, dem_size=356, with_l1c=False)
    data = MajorTomDataset(dirs["s2l2a"], dirs["dem"], resolution=768, split="all", crop="centre", shuffle=False,
                           caption_builder=CaptionBuilder(augment=False))
    sample = data.sample_at(0)
    assert sample.rgb.shape == (768, 768, 3) and sample.elevation_m.shape == (768, 768)
    assert sample.valid_mask.all()
    # spot at S2 30..32 / 60..62 lies outside the centre window starting at 150: a plain 1000 m tile
    assert abs(float(np.median(sample.elevation_m)) - 1000.0) < 5.0
