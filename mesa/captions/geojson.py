"""Point-in-polygon lookups over a GeoJSON FeatureCollection, in pure numpy.

Polygons and MultiPolygons in lon/lat degrees; holes are honoured (even-odd rule over all rings
of a polygon). Each feature keeps its bounding box so a lookup tests only the features whose box
contains the point.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mesa.errors import UserError


@dataclass(frozen=True)
class PolygonFeature:
    """One feature: its properties and its polygons.

    Attributes:
        properties: the GeoJSON properties.
        polygons: list of polygons, each a list of (N, 2) float64 rings of (lon, lat) degrees.
        bbox: (min_lon, min_lat, max_lon, max_lat) degrees.
    """

    properties: dict
    polygons: list[list[np.ndarray]]
    bbox: tuple[float, float, float, float]


def ring_contains(ring: np.ndarray, lon: float, lat: float) -> bool:
    """Even-odd ray casting: does the horizontal ray from (lon, lat) cross the (N, 2) ring an odd number of times?"""
    x0, y0 = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
    straddles = (y0 > lat) != (y1 > lat)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing_x = x0 + (lat - y0) * (x1 - x0) / (y1 - y0)
    return bool(np.count_nonzero(straddles & (lon < crossing_x)) % 2)


def polygon_contains(rings: list[np.ndarray], lon: float, lat: float) -> bool:
    """A polygon (outer ring then holes) contains the point when an odd number of its rings do."""
    return sum(ring_contains(ring, lon, lat) for ring in rings) % 2 == 1


def _polygons_of(geometry: dict) -> list[list[np.ndarray]]:
    kind = geometry.get("type") if geometry else None
    if kind == "Polygon":
        coordinates = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        coordinates = geometry["coordinates"]
    else:
        return []
    return [[np.asarray(ring, dtype=np.float64)[:, :2] for ring in polygon if len(ring) >= 3]
            for polygon in coordinates]


def load_features(path: Path) -> list[PolygonFeature]:
    """Read the Polygon/MultiPolygon features of a GeoJSON FeatureCollection (others are ignored);
    any unreadable, non-UTF-8, non-JSON or malformed file is one UserError naming it."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"cannot read GeoJSON {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise UserError(f"GeoJSON {path} is not UTF-8 text (byte {error.start}); GeoJSON must be UTF-8") from None
    except json.JSONDecodeError as error:
        raise UserError(f"GeoJSON {path} is not JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        kind = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise UserError(f"{path} is not a GeoJSON FeatureCollection (type is {kind!r})")
    if not isinstance(document.get("features", []), list):
        raise UserError(f"{path}: 'features' must be a list")
    features = []
    for index, feature in enumerate(document.get("features", [])):
        try:
            features += _feature_of(feature)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            raise UserError(f"{path}: feature {index} is not a valid GeoJSON feature ({type(error).__name__}: "
                            f"{error})") from None
    return features


def _feature_of(feature: dict) -> list[PolygonFeature]:
    """The feature as a one-item list, or empty when it has no polygon."""
    polygons = [p for p in _polygons_of(feature.get("geometry")) if p]
    if not polygons:
        return []
    points = np.concatenate([ring for polygon in polygons for ring in polygon])
    if not np.isfinite(points).all():
        raise ValueError("coordinates must be finite numbers")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise TypeError("properties must be a JSON object")
    bbox = (*points.min(axis=0).tolist(), *points.max(axis=0).tolist())
    return [PolygonFeature(properties, polygons, tuple(bbox))]


def features_at(features: list[PolygonFeature], lat_deg: float, lon_deg: float) -> list[PolygonFeature]:
    """The features whose polygons contain the point, in file order."""
    hits = []
    for feature in features:
        min_lon, min_lat, max_lon, max_lat = feature.bbox
        if not (min_lon <= lon_deg <= max_lon and min_lat <= lat_deg <= max_lat):
            continue
        if any(polygon_contains(rings, lon_deg, lat_deg) for rings in feature.polygons):
            hits.append(feature)
    return hits
