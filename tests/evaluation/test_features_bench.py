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
