"""benchmarks/features_mesa_tiny.py: the water, snow-line and ridge readings it compares sets by."""

import numpy as np

from benchmarks.features_mesa_tiny import summarise, tile_features

SIZE, METRES = 64, 60.0


def hillside_with_a_lake_and_snow(snow_on_top: bool = True) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(SIZE, dtype=np.float64)[:, None].repeat(SIZE, axis=1)
    elevation = np.where(rows < 48, (48 - rows) * 20.0, 0.0)  # a slope down to a flat shore (rows 48-63)
    rgb = np.zeros((SIZE, SIZE, 3), np.uint8)
    rgb[:] = (70, 110, 50)  # grass
    rgb[48:] = (25, 45, 60)  # dark, bluish, flat: water
    snowy = slice(0, 12) if snow_on_top else slice(36, 48)
    rgb[snowy] = (235, 240, 250)
    return rgb, elevation


def test_a_lake_on_the_flat_and_snow_above_a_line_are_read():
    rgb, elevation = hillside_with_a_lake_and_snow()
    features = tile_features(rgb, elevation, METRES)
    assert 0.15 < features["water_share"] < 0.35  # the 16 shore rows of 64
    assert 0.1 < features["snow_share"] < 0.3
    assert features["snow_percentile"] > 80  # snow at the top of the tile


def test_snow_low_down_reads_as_no_snow_line():
    rgb, elevation = hillside_with_a_lake_and_snow(snow_on_top=False)
    assert tile_features(rgb, elevation, METRES)["snow_percentile"] < 60


def test_sets_are_split_by_relief_and_sharper_ridges_read_higher():
    rgb, elevation = hillside_with_a_lake_and_snow()
    ridged = elevation.copy()
    ridged[:, ::8] += 300.0  # sharp ridges every 8 px
    plain = tile_features(rgb, elevation, METRES)
    sharp = tile_features(rgb, ridged, METRES)
    assert sharp["laplacian_p99"] > 5 * plain["laplacian_p99"]
    summary = summarise([plain, sharp])
    assert summary["tiles flat / rough"] == "0 / 2" and summary["water tiles, rough"] == 1.0


class _LosslessVae:
    """A stand-in pipeline whose latents are the pixels themselves (what a perfect VAE gives back)."""

    model_id = "lossless"

    def __init__(self, min_m=-100.0, max_m=8100.0):
        from types import SimpleNamespace

        self.checkpoint_elevation = SimpleNamespace(min_m=min_m, max_m=max_m)

    def encode(self, rgb, dem):
        import torch

        assert rgb.dtype == np.float32 and rgb.max() <= 1.0  # colour in [0, 1], as the VAE reads it
        assert dem.min() >= 0.0 and dem.max() <= 1.0  # the checkpoint's normalisation, not the tile's
        return torch.from_numpy(np.concatenate([rgb, np.repeat(dem[..., None], 3, axis=-1)], axis=-1))

    def decode(self, latents):
        pixels = latents.numpy()
        return pixels[..., :3], pixels[..., 3:]


def test_a_lossless_round_trip_gives_the_tile_back_in_metres_and_8_bit_colour():
    from benchmarks.features_mesa_tiny import round_trip

    rgb, elevation = hillside_with_a_lake_and_snow()
    colour, metres = round_trip(_LosslessVae(), rgb, elevation)
    assert colour.dtype == np.uint8
    np.testing.assert_array_equal(colour, rgb)
    np.testing.assert_allclose(metres, elevation, atol=0.01)
    assert tile_features(colour, metres, METRES)["water_share"] == tile_features(rgb, elevation, METRES)["water_share"]


def test_a_rim_at_the_edges_does_not_read_as_ridges():
    """What a tile decoded on its own has: a raised ring two pixels in and a spike at each corner."""
    from benchmarks.features_mesa_tiny import RIDGE_MARGIN_PX

    size = 128
    rows, columns = np.mgrid[:size, :size]
    elevation = 500.0 + 2.0 * rows  # an even slope, no ridge anywhere
    rimmed = elevation.copy()
    ring = (np.minimum(np.minimum(rows, columns), np.minimum(size - 1 - rows, size - 1 - columns)) == 2)
    rimmed[ring] += 150.0
    rimmed[:2, :2] += 400.0
    rgb = np.full((size, size, 3), (70, 110, 50), np.uint8)
    assert RIDGE_MARGIN_PX > 3
    plain, with_rim = tile_features(rgb, elevation, METRES), tile_features(rgb, rimmed, METRES)
    assert with_rim["laplacian_p99"] == plain["laplacian_p99"]
    assert with_rim["slope_p90_deg"] == plain["slope_p90_deg"]
