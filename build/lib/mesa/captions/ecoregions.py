"""Biome and ecoregion of a point from a user-supplied RESOLVE Ecoregions 2017 GeoJSON.

Accepted: a FeatureCollection whose features carry ECO_NAME, BIOME_NAME and BIOME_NUM
(the RESOLVE attribute names). BIOME_NUM 1..14 are the RESOLVE biomes; the "Rock and Ice"
ecoregion (BIOME_NAME "N/A" in the RESOLVE file) maps to the vocabulary's biome 15.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mesa.captions.geojson import PolygonFeature, features_at, load_features
from mesa.errors import UserError
from mesa.prompts import VOCAB_DIR

ROCK_AND_ICE_ID = 15
REQUIRED_PROPERTIES = ("ECO_NAME", "BIOME_NAME", "BIOME_NUM")


@dataclass(frozen=True)
class Ecoregion:
    """An ecoregion and its biome.

    Attributes:
        name: RESOLVE ECO_NAME, e.g. "Alps conifer and mixed forests".
        biome_id: vocabulary biome id 1..15 (assets/vocab/biomes.json).
        biome_phrases: the biome's caption phrases; [0] is preferred.
    """

    name: str
    biome_id: int
    biome_phrases: tuple[str, ...]


@lru_cache(maxsize=1)
def biome_phrases_by_id(vocab_dir: Path = VOCAB_DIR) -> dict[int, tuple[str, ...]]:
    """Vocabulary biome id -> its caption phrases."""
    biomes = json.loads((vocab_dir / "biomes.json").read_text(encoding="utf-8"))["biomes"]
    return {int(b["id"]): tuple(b["phrases"]) for b in biomes}


def biome_id_of(properties: dict) -> int | None:
    """Vocabulary biome id of a RESOLVE feature, or None for an unknown biome."""
    if str(properties.get("ECO_NAME", "")).strip().lower() == "rock and ice":
        return ROCK_AND_ICE_ID
    try:
        number = int(float(properties.get("BIOME_NUM")))
    except (TypeError, ValueError):
        return None
    return number if number in biome_phrases_by_id() else None


class EcoregionAtlas:
    """RESOLVE ecoregion polygons loaded once; `at(lat, lon)` answers lookups."""

    def __init__(self, features: list[PolygonFeature]) -> None:
        self.features = features

    @classmethod
    def from_geojson(cls, path: Path) -> EcoregionAtlas:
        """Load a RESOLVE-style GeoJSON; raises UserError if its features lack the RESOLVE properties."""
        features = load_features(path)
        if not features:
            raise UserError(f"{path} has no Polygon or MultiPolygon features")
        missing = [p for p in REQUIRED_PROPERTIES if p not in features[0].properties]
        if missing:
            raise UserError(f"{path} is not a RESOLVE Ecoregions file: features lack {missing} "
                            f"(accepted properties: {', '.join(REQUIRED_PROPERTIES)})")
        return cls(features)

    def at(self, lat_deg: float, lon_deg: float) -> Ecoregion | None:
        """The first ecoregion containing the point with a known biome, or None (e.g. at sea)."""
        for feature in features_at(self.features, lat_deg, lon_deg):
            biome_id = biome_id_of(feature.properties)
            if biome_id is not None:
                return Ecoregion(str(feature.properties["ECO_NAME"]), biome_id, biome_phrases_by_id()[biome_id])
        return None
