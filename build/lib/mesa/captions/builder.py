"""Captions from a cell's coordinates, date and DEM (MESA section 3.1.2), with training augmentation.

Facts: country (reverse_geocoder, offline), month (timestamp), ecoregion and biome (RESOLVE
GeoJSON, when given), landform (relief classification of the DEM; a regional name when a
regional file is given). Full caption: "A Sentinel-2 image of {ecoregion} and {landform} in
{country} in {month}". Augmentation (training, with an rng): the ecoregion is anonymised to one
of its biome's phrases with probability 1/2, the landform alternates between the local class and
the regional name with probability 1/2 when both exist, then mesa.prompts.drop_random_parts
drops descriptors (at least one survives).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np

from mesa.captions.countries import country_at
from mesa.captions.ecoregions import EcoregionAtlas
from mesa.captions.landform import RegionalLandforms, classify_landform
from mesa.errors import UserError
from mesa.prompts import PromptParts, build_prompt, drop_random_parts, load_vocabulary

_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})")


@dataclass(frozen=True)
class CaptionFacts:
    """Everything known about a place and time, before choosing what the caption says.

    Attributes:
        country: common English country name, or None (e.g. open sea far from any place).
        month: English month name.
        ecoregion: RESOLVE ecoregion name, or None without an ecoregions file.
        biome_phrases: the ecoregion's biome phrases ([0] preferred), empty without one.
        landform: class from the DEM (plains ... high mountains), or None without a DEM.
        regional_landform: named region (e.g. "the Alps"), or None.
    """

    country: str | None
    month: str
    ecoregion: str | None = None
    biome_phrases: tuple[str, ...] = ()
    landform: str | None = None
    regional_landform: str | None = None


def month_of(when: str | date | datetime) -> str:
    """English month name of a date, a datetime, or a string such as "2021-08-14" or "20210814T101031"."""
    if isinstance(when, (date, datetime)):
        month = when.month
    else:
        match = _DATE.match(str(when).strip())
        if match is None or not 1 <= int(match.group(2)) <= 12:
            raise UserError(f"cannot read a date from {when!r}: accepted forms are YYYY-MM-DD and YYYYMMDD[Thhmmss]")
        month = int(match.group(2))
    return load_vocabulary().months[month - 1]


class CaptionBuilder:
    """Builds captions; the optional atlases are loaded once by the caller.

    Args:
        ecoregions: RESOLVE ecoregion polygons, or None to leave the biome out.
        regional_landforms: named landform regions, or None.
        augment: apply the training augmentation when `caption` gets an rng.
        min_dropped, max_dropped: how many descriptors augmentation drops (see drop_random_parts).
    """

    def __init__(self, ecoregions: EcoregionAtlas | None = None, regional_landforms: RegionalLandforms | None = None,
                 augment: bool = True, min_dropped: int = 0, max_dropped: int = 3) -> None:
        self.ecoregions, self.regional_landforms = ecoregions, regional_landforms
        self.augment, self.min_dropped, self.max_dropped = augment, min_dropped, max_dropped

    @classmethod
    def from_files(cls, ecoregions_path: Path | None = None, regional_landforms_path: Path | None = None,
                   augment: bool = True) -> CaptionBuilder:
        """A builder reading a RESOLVE GeoJSON and a regional landform GeoJSON when paths are given."""
        atlas = EcoregionAtlas.from_geojson(ecoregions_path) if ecoregions_path else None
        regions = RegionalLandforms.from_geojson(regional_landforms_path) if regional_landforms_path else None
        return cls(atlas, regions, augment)

    def describe(self, lat_deg: float, lon_deg: float, when: str | date | datetime,
                 elevation_m: np.ndarray | None = None, valid: np.ndarray | None = None,
                 meters_per_pixel: float = 10.0) -> CaptionFacts:
        """The facts for a point (degrees) and date, and the landform of an optional (H, W) DEM in metres."""
        ecoregion = self.ecoregions.at(lat_deg, lon_deg) if self.ecoregions else None
        landform = None
        if elevation_m is not None:
            mask = np.isfinite(elevation_m) if valid is None else valid
            landform = classify_landform(elevation_m, mask, meters_per_pixel)
        return CaptionFacts(
            country=country_at(lat_deg, lon_deg),
            month=month_of(when),
            ecoregion=ecoregion.name if ecoregion else None,
            biome_phrases=ecoregion.biome_phrases if ecoregion else (),
            landform=landform,
            regional_landform=self.regional_landforms.at(lat_deg, lon_deg) if self.regional_landforms else None,
        )

    def choose_parts(self, facts: CaptionFacts, rng: np.random.Generator | None = None) -> PromptParts:
        """The caption parts: the full description without rng (or augment off), else augmented."""
        if rng is None or not self.augment:
            return PromptParts(facts.ecoregion, facts.landform or facts.regional_landform, facts.country, facts.month)
        biome = facts.ecoregion
        if facts.biome_phrases and (biome is None or rng.random() < 0.5):
            biome = str(rng.choice(facts.biome_phrases))
        landform = facts.landform or facts.regional_landform
        if facts.landform and facts.regional_landform and rng.random() < 0.5:
            landform = facts.regional_landform
        parts = PromptParts(biome, landform, facts.country, facts.month)
        return drop_random_parts(parts, rng, self.max_dropped, self.min_dropped)

    def caption(self, lat_deg: float, lon_deg: float, when: str | date | datetime,
                elevation_m: np.ndarray | None = None, valid: np.ndarray | None = None,
                meters_per_pixel: float = 10.0, rng: np.random.Generator | None = None) -> str:
        """The caption string (augmented when an rng is given and augmentation is on)."""
        facts = self.describe(lat_deg, lon_deg, when, elevation_m, valid, meters_per_pixel)
        return build_prompt(self.choose_parts(facts, rng))
