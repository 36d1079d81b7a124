"""Fixed inputs for the scorecard's tests: analytic surfaces, tiny fake models with known
behaviour (prompt-blind, following the prompt through the synthetic world, returning the
reference itself) and a small held-out synthetic reference."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.data.synthetic.generate import generate_tile
from mesa.data.synthetic.params import (
    BIOME_SETTINGS,
    MONTHS,
    SyntheticParams,
    biome_phrases,
    landform_relief,
)
from mesa.geometry.shading import SUN_ALTITUDE_DEG, SUN_AZIMUTH_DEG, hillshade
from mesa.pipeline.pipeline import SamplingDefaults
from mesa.terrain import GenerationSettings, Terrain

SIZE = 32
METERS_PER_PIXEL = 7680.0 / SIZE


def make_terrain(rgb: np.ndarray, elevation_m: np.ndarray, prompt: str = "test", seed: int = 0,
                 meters_per_pixel: float = METERS_PER_PIXEL) -> Terrain:
    """A Terrain from arrays (rgb float in [0, 1] or uint8; elevation in metres)."""
    elevation_m = np.asarray(elevation_m, np.float32)
    if rgb.dtype != np.uint8:
        rgb = np.rint(np.clip(rgb, 0, 1) * 255).astype(np.uint8)
    low, span = float(elevation_m.min()), float(np.ptp(elevation_m))
    dem = ((elevation_m - low) / span if span > 0 else np.zeros_like(elevation_m)).astype(np.float32)
    settings = GenerationSettings(prompt, height=elevation_m.shape[0], width=elevation_m.shape[1])
    return Terrain(rgb, dem, elevation_m, meters_per_pixel, seed, settings)


def shaded_terrain(elevation_m: np.ndarray, prompt: str = "test", seed: int = 0) -> Terrain:
    """A terrain whose image is exactly its hillshade under the data's sun (grey)."""
    light = hillshade(elevation_m, METERS_PER_PIXEL, SUN_AZIMUTH_DEG, SUN_ALTITUDE_DEG)
    return make_terrain(np.repeat(light[..., None], 3, axis=-1), elevation_m, prompt, seed)


class FakeModel:
    """The pipeline's call signature over `make(prompt, seed) -> Terrain`; counts its calls."""

    model_id = "fake"
    native_size = SIZE
    meters_per_pixel = METERS_PER_PIXEL
    defaults = SamplingDefaults("ddim", 1, 1.0)

    def __init__(self):
        self.calls = []

    def __call__(self, prompt, seeds=(0,), steps=None, guidance=None, sampler=None, overscan=None):
        self.calls.append((prompt, tuple(seeds)))
        return [self.make(prompt, int(seed)) for seed in seeds]

    def make(self, prompt: str, seed: int) -> Terrain:
        raise NotImplementedError


class PromptBlindModel(FakeModel):
    """Ignores the prompt: a seeded random rough surface with a fixed colour ramp."""

    model_id = "prompt-blind"

    def make(self, prompt, seed):
        rng = np.random.default_rng(seed)
        elevation = np.cumsum(np.cumsum(rng.normal(size=(SIZE, SIZE)), 0), 1) * 5.0 + 300.0
        rgb = np.stack([np.full((SIZE, SIZE), 0.3), 0.3 + 0.2 * (elevation - elevation.min()) / np.ptp(elevation),
                        np.full((SIZE, SIZE), 0.2)], axis=-1)
        return make_terrain(rgb, elevation, prompt, seed)


PHRASE_BIOME = {phrase: biome_id for biome_id, phrases in biome_phrases().items() for phrase in phrases}
COUNTRY_HEMISPHERE = {country: side for setting in BIOME_SETTINGS.values() for country, side in setting.countries}


def parse_prompt(prompt: str) -> dict:
    """Biome phrase, landform, country and month of a prompt built by mesa.prompts.build_prompt
    from the vocabularies the tests use."""
    text = prompt.removeprefix("A Sentinel-2 image")
    places = text.split(" in ")
    subject, places = places[0].removeprefix(" of "), places[1:]
    found = {"biome": None, "landform": None, "country": None, "month": None}
    for phrase in sorted(PHRASE_BIOME, key=len, reverse=True):
        if subject.startswith(phrase):
            found["biome"], subject = phrase, subject[len(phrase):].removeprefix(" and ")
            break
    found["landform"] = subject or None
    for place in places:
        found["month" if place in MONTHS else "country"] = place
    return found


class SyntheticWorldModel(FakeModel):
    """Follows the prompt perfectly: the synthetic world's own tile for the named biome, landform,
    country and month (missing parts: temperate broadleaf forests, hills, Germany, July)."""

    model_id = "synthetic-world"

    def make(self, prompt, seed):
        parts = parse_prompt(prompt)
        biome_id = PHRASE_BIOME.get(parts["biome"], 4)
        landform = parts["landform"] if parts["landform"] in landform_relief() else "hills"
        country = parts["country"] or "Germany"
        relief_m, base_m = landform_relief()[landform]
        params = SyntheticParams(seed=seed, index=0, biome_id=biome_id, biome_phrase=parts["biome"] or "",
                                 landform=landform, country=country, hemisphere=COUNTRY_HEMISPHERE.get(country, "north"),
                                 month=MONTHS.index(parts["month"] or "July") + 1,
                                 relief_m=relief_m, base_m=max(base_m, BIOME_SETTINGS[biome_id].min_base_m))
        tile = generate_tile(params, SIZE, METERS_PER_PIXEL)
        return make_terrain(tile.rgb, tile.elevation_m, prompt, seed)


class ReferenceCopyModel(FakeModel):
    """Returns the reference tile whose caption is the prompt (seed i: the i-th such tile), else a
    reference tile chosen by the seed: a model exactly as good as the held-out data."""

    model_id = "reference-copy"

    def __init__(self, reference_terrains):
        super().__init__()
        self.reference = list(reference_terrains)

    def make(self, prompt, seed):
        tile = self.reference[seed % len(self.reference)]
        if tile.prompt != prompt:
            tile = next((t for t in self.reference if t.prompt == prompt), tile)
        return make_terrain(tile.rgb, tile.elevation_m, prompt, seed)


@pytest.fixture(scope="session")
def synthetic_reference_set():
    """8 held-out synthetic tiles of 32 px (7.68 km) and a pool of 12 training tiles."""
    from mesa.evaluation.references import synthetic_reference

    return synthetic_reference(tiles=8, pool=12, resolution=SIZE, meters_per_pixel=METERS_PER_PIXEL, seed=0,
                               workers=1)
