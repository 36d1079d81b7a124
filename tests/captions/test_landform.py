"""Relief classification of synthetic DEMs and named regions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mesa.captions.landform import RegionalLandforms, classify_landform, relief_stats
from mesa.errors import UserError
from mesa.prompts import VOCAB_DIR

SIZE, METERS_PER_PIXEL = 64, 120.0  # a 7.68 km tile


def terrain(base_m: float, relief_m: float, seed: int = 0) -> np.ndarray:
    """Rolling terrain: base_m + relief_m * a smooth 0..1 surface, plus 1 m noise."""
    y, x = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    surface = 0.5 + 0.25 * np.sin(2 * np.pi * x * 1.5) + 0.25 * np.cos(2 * np.pi * y)
    noise = np.random.default_rng(seed).normal(0, 1.0, (SIZE, SIZE))
    return (base_m + relief_m * surface + noise).astype(np.float32)


@pytest.mark.parametrize("base_m, relief_m, expected", [
    (50, 20, "plains"), (900, 20, "tablelands"), (1200, 150, "tablelands"), (100, 120, "hills"),
    (300, 400, "low mountains"), (1500, 400, "mountains"), (500, 1500, "mountains"),
    (1500, 2500, "high mountains"), (3800, 400, "high mountains"),
])
def test_classes(base_m, relief_m, expected):
    valid = np.ones((SIZE, SIZE), bool)
    assert classify_landform(terrain(base_m, relief_m), valid, METERS_PER_PIXEL) == expected


def test_classes_are_the_classified_vocabulary():
    classified = {e["name"] for e in json.loads((VOCAB_DIR / "landforms.json").read_text())["landforms"] if e["classified"]}
    produced = {classify_landform(terrain(b, r), np.ones((SIZE, SIZE), bool), METERS_PER_PIXEL)
                for b, r in [(50, 20), (900, 20), (100, 120), (300, 400), (500, 1500), (1500, 2500)]}
    assert produced == classified


def test_invalid_pixels_are_ignored_and_mostly_invalid_tiles_unclassified():
    dem = terrain(50, 20)
    dem[:8] = 8000.0
    valid = np.ones_like(dem, bool)
    valid[:8] = False
    assert classify_landform(dem, valid, METERS_PER_PIXEL) == "plains"
    assert classify_landform(dem, np.zeros_like(valid), METERS_PER_PIXEL) is None
    stats = relief_stats(terrain(0, 384), np.ones_like(valid), METERS_PER_PIXEL)
    assert stats.roughness_per_mille == pytest.approx(1000 * stats.relief_m / 3840)


def test_regional_names(tmp_path):
    path = tmp_path / "regions.geojson"
    square = [[[5.0, 44.0], [16.0, 44.0], [16.0, 48.5], [5.0, 48.5], [5.0, 44.0]]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "the Alps"}, "geometry": {"type": "Polygon", "coordinates": square}}]}))
    regions = RegionalLandforms.from_geojson(path)
    assert regions.at(46.55, 8.0) == "the Alps" and regions.at(40.0, 8.0) is None
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": square}}]}))
    with pytest.raises(UserError, match="no name"):
        RegionalLandforms.from_geojson(path)
