"""RESOLVE-style GeoJSON lookups: polygons with holes, multipolygons, biome ids."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mesa.captions.ecoregions import EcoregionAtlas
from mesa.captions.geojson import polygon_contains, ring_contains
from mesa.errors import UserError

ALPS = [[[5.0, 44.0], [16.0, 44.0], [16.0, 48.5], [5.0, 48.5], [5.0, 44.0]],
        [[7.9, 46.5], [8.1, 46.5], [8.1, 46.6], [7.9, 46.6], [7.9, 46.5]]]  # a hole: the glacier
GLACIER = [[[[7.9, 46.5], [8.1, 46.5], [8.1, 46.6], [7.9, 46.6], [7.9, 46.5]]],
           [[[100.0, 30.0], [101.0, 30.0], [101.0, 31.0], [100.0, 30.0]]]]


def write_resolve(path):
    features = [
        {"type": "Feature", "properties": {"ECO_NAME": "Alps conifer and mixed forests", "BIOME_NAME":
         "Temperate Broadleaf & Mixed Forests", "BIOME_NUM": 4.0}, "geometry": {"type": "Polygon", "coordinates": ALPS}},
        {"type": "Feature", "properties": {"ECO_NAME": "Rock and Ice", "BIOME_NAME": "N/A", "BIOME_NUM": 0.0},
         "geometry": {"type": "MultiPolygon", "coordinates": GLACIER}},
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_lookup_with_hole_and_multipolygon(tmp_path):
    atlas = EcoregionAtlas.from_geojson(write_resolve(tmp_path / "resolve.geojson"))
    forest = atlas.at(46.0, 7.0)
    assert forest.name == "Alps conifer and mixed forests" and forest.biome_id == 4
    assert forest.biome_phrases[0] == "broadleaf forests"
    ice = atlas.at(46.55, 8.0)
    assert ice.name == "Rock and Ice" and ice.biome_id == 15 and "glaciers" in ice.biome_phrases
    assert atlas.at(30.2, 100.8).biome_id == 15
    assert atlas.at(0.0, 0.0) is None


def test_ring_contains_edges_of_a_triangle():
    triangle = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    assert ring_contains(triangle, 1.0, 1.0) and not ring_contains(triangle, 3.0, 3.0)
    assert not polygon_contains([triangle, triangle], 1.0, 1.0)


def test_files_without_resolve_properties_are_refused(tmp_path):
    path = tmp_path / "other.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Polygon", "coordinates": ALPS}}]}))
    with pytest.raises(UserError, match="ECO_NAME"):
        EcoregionAtlas.from_geojson(path)
    path.write_text("{not json")
    with pytest.raises(UserError, match="is not JSON"):
        EcoregionAtlas.from_geojson(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe{}", "is not UTF-8 text"),
        (b"[1, 2]", "is not a GeoJSON FeatureCollection .type is 'list'"),
        (b'{"type": "FeatureCollection", "features": 3}', "'features' must be a list"),
        (b'{"type": "FeatureCollection", "features": [{"geometry": {"type": "Polygon", "coordinates": 5}}]}',
         "feature 0 is not a valid GeoJSON feature"),
        (b'{"type": "FeatureCollection", "features": [{"geometry": {"type": "Polygon", "coordinates": '
         b'[[["a", 1], [2, 2], [3, 1]]]}}]}', "feature 0 is not a valid GeoJSON feature"),
        (b'{"type": "FeatureCollection", "features": [{"geometry": {"type": "Polygon", "coordinates": '
         b'[[[NaN, 1], [2, 2], [3, 1]]]}}]}', "coordinates must be finite"),
        (b'{"type": "FeatureCollection", "features": [{"properties": [1], "geometry": {"type": "Polygon", '
         b'"coordinates": [[[0, 1], [2, 2], [3, 1]]]}}]}', "properties must be a JSON object"),
        (b'{"type": "FeatureCollection", "features": ["feature"]}', "feature 0 is not a valid GeoJSON feature"),
    ],
)
def test_malformed_geojson_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "eco.geojson"
    path.write_bytes(content)
    with pytest.raises(UserError, match=message) as refused:
        EcoregionAtlas.from_geojson(path)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)
