"""Landform of a tile: a relief-roughness classification of its own DEM, or a regional name.

Classification, in the spirit of Meybeck et al. (2001, "A new typology for mountains and other
relief classes", Mountain Research and Development 21(1)): relief roughness
    r = 1000 * relief_m / (tile side / 2)        (per mille)
with relief_m = 99th - 1st percentile of the valid elevations (robust to spikes), together with
the tile's median and 99th-percentile elevation. Meybeck works on 30' cells; our thresholds are
set for the 7.68 km training crop (a 10.68 km Major TOM cell reads alike):

    r < 10 ‰    (relief < ~40 m)      plains if median < 500 m, else tablelands
    r < 50 ‰    (relief < ~190 m)     hills if median < 500 m, else tablelands
    r < 150 ‰   (relief < ~580 m)     low mountains if top < 1500 m, mountains if top < 3500 m,
                                      else high mountains
    r >= 150 ‰  (relief >= ~580 m)    mountains if top < 2500 m, else high mountains

These are the `classified: true` classes of assets/vocab/landforms.json. A regional file (a
GeoJSON FeatureCollection whose features carry a `name`, e.g. "the Alps") gives named landforms.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mesa.captions.geojson import PolygonFeature, features_at, load_features
from mesa.errors import UserError

FLAT_PER_MILLE = 10.0
HILLY_PER_MILLE = 50.0
MOUNTAIN_PER_MILLE = 150.0
LOWLAND_MEDIAN_M = 500.0
MIN_VALID_FRACTION = 0.05
NAME_PROPERTIES = ("name", "NAME", "Name")


@dataclass(frozen=True)
class ReliefStats:
    """Relief statistics of a tile.

    Attributes:
        relief_m: 99th - 1st percentile of valid elevation, metres.
        roughness_per_mille: 1000 * relief_m / half the tile side.
        median_m, top_m: median and 99th-percentile elevation, metres.
    """

    relief_m: float
    roughness_per_mille: float
    median_m: float
    top_m: float


def relief_stats(elevation_m: np.ndarray, valid: np.ndarray, meters_per_pixel: float) -> ReliefStats | None:
    """Relief of an (H, W) elevation tile over its valid pixels; None if under 5 % are valid."""
    if valid.shape != elevation_m.shape:
        raise ValueError(f"valid mask shape {valid.shape} differs from elevation shape {elevation_m.shape}")
    if valid.mean() < MIN_VALID_FRACTION:
        return None
    low, median, top = np.percentile(elevation_m[valid], [1.0, 50.0, 99.0])
    half_side_m = 0.5 * max(elevation_m.shape) * meters_per_pixel
    relief = float(top - low)
    return ReliefStats(relief, 1000.0 * relief / half_side_m, float(median), float(top))


def classify_relief(stats: ReliefStats) -> str:
    """The landform class of the thresholds in this module's docstring."""
    r = stats.roughness_per_mille
    if r < HILLY_PER_MILLE:
        if stats.median_m >= LOWLAND_MEDIAN_M:
            return "tablelands"
        return "plains" if r < FLAT_PER_MILLE else "hills"
    if r < MOUNTAIN_PER_MILLE:
        return "low mountains" if stats.top_m < 1500 else "mountains" if stats.top_m < 3500 else "high mountains"
    return "mountains" if stats.top_m < 2500 else "high mountains"


def classify_landform(elevation_m: np.ndarray, valid: np.ndarray, meters_per_pixel: float) -> str | None:
    """Landform class of an (H, W) elevation tile (metres), or None when too little of it is valid."""
    stats = relief_stats(elevation_m, valid, meters_per_pixel)
    return None if stats is None else classify_relief(stats)


class RegionalLandforms:
    """Named landform regions (e.g. "the Alps", "the Andes") from a GeoJSON with a `name` property."""

    def __init__(self, features: list[PolygonFeature]) -> None:
        self.features = features

    @classmethod
    def from_geojson(cls, path: Path) -> RegionalLandforms:
        """Load the regions; raises UserError when a feature has no name property."""
        features = load_features(path)
        for feature in features:
            if not any(feature.properties.get(key) for key in NAME_PROPERTIES):
                raise UserError(f"{path}: a feature has no name (accepted properties: {', '.join(NAME_PROPERTIES)})")
        return cls(features)

    def at(self, lat_deg: float, lon_deg: float) -> str | None:
        """Name of the first region containing the point, or None."""
        for feature in features_at(self.features, lat_deg, lon_deg):
            return next(str(feature.properties[k]) for k in NAME_PROPERTIES if feature.properties.get(k))
        return None
