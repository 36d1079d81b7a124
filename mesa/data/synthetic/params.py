"""The parameters of one synthetic sample (biome, landform, country, month, relief) and how they are drawn.

Every sample is a pure function of (seed, index): `sample_params` draws from
`np.random.default_rng([seed, index, STREAM_PARAMS])`, the terrain and the caption use their own
streams, so changing one never shifts another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from mesa.prompts import VOCAB_DIR

STREAM_PARAMS, STREAM_TERRAIN, STREAM_CAPTION = 0, 1, 2
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
RELIEF_SPREAD = 0.25
"""Log-normal sigma of a sample's relief around its landform's typical relief_m."""
OTHER_LANDFORM_SHARE = 0.4
"""Share of a biome's samples drawn with a landform outside its typical ones (uniformly among them).

The app composes any biome with any landform, and a model only learns to keep "mountains" rough
and "plains" flat for a biome it has seen with both, so every biome x landform pair occurs. The
typical landforms keep the rest (60 %), so a prompt naming only the biome still gets its usual
relief."""

N, S = "north", "south"


@dataclass(frozen=True)
class BiomeSetting:
    """Where a biome occurs in the synthetic world.

    Attributes:
        countries: (country, hemisphere) pairs a caption may name.
        landforms: the landforms (names of assets/vocab/landforms.json) where the biome is typical;
            it is drawn with these for 1 - OTHER_LANDFORM_SHARE of its samples, with any other
            landform for the rest.
        min_base_m: lowest base elevation, metres (montane biomes sit high: their plains are
            high plains, as the Altiplano's).
    """

    countries: tuple[tuple[str, str], ...]
    landforms: tuple[str, ...]
    min_base_m: float = -1e9


BIOME_SETTINGS: dict[int, BiomeSetting] = {
    1: BiomeSetting((("Brazil", S), ("Indonesia", S), ("Peru", S), ("Colombia", N), ("Malaysia", N)),
                    ("plains", "hills", "low mountains", "mountains", "valleys", "volcanoes")),
    2: BiomeSetting((("India", N), ("Mexico", N), ("Bolivia", S), ("Madagascar", S)),
                    ("plains", "hills", "tablelands", "low mountains")),
    3: BiomeSetting((("Mexico", N), ("Guatemala", N), ("Honduras", N)),
                    ("hills", "low mountains", "mountains", "valleys", "volcanoes"), min_base_m=900.0),
    4: BiomeSetting((("Germany", N), ("France", N), ("United States", N), ("China", N), ("Chile", S), ("New Zealand", S)),
                    ("plains", "hills", "low mountains", "valleys")),
    5: BiomeSetting((("United States", N), ("Canada", N), ("Austria", N), ("Switzerland", N), ("Chile", S)),
                    ("hills", "low mountains", "mountains", "high mountains", "valleys")),
    6: BiomeSetting((("Canada", N), ("Russia", N), ("Finland", N), ("Sweden", N), ("Norway", N)),
                    ("plains", "hills", "low mountains")),
    7: BiomeSetting((("Tanzania", S), ("Zambia", S), ("Brazil", S), ("Australia", S), ("Nigeria", N)),
                    ("plains", "hills", "tablelands", "plateaus")),
    8: BiomeSetting((("Kazakhstan", N), ("Mongolia", N), ("United States", N), ("Argentina", S)),
                    ("plains", "hills", "tablelands", "plateaus")),
    9: BiomeSetting((("Brazil", S), ("Botswana", S), ("South Sudan", N), ("Bangladesh", N)),
                    ("plains", "coastal plains")),
    10: BiomeSetting((("Ethiopia", N), ("Peru", S), ("Bolivia", S), ("China", N)),
                     ("plateaus", "hills", "mountains", "high mountains"), min_base_m=2200.0),
    11: BiomeSetting((("Canada", N), ("Russia", N), ("Norway", N), ("United States", N)),
                     ("plains", "hills", "low mountains", "mountains")),
    12: BiomeSetting((("Spain", N), ("Italy", N), ("Greece", N), ("Turkey", N), ("Australia", S), ("Chile", S), ("South Africa", S)),
                     ("hills", "low mountains", "coastal plains", "valleys")),
    13: BiomeSetting((("Egypt", N), ("Algeria", N), ("Saudi Arabia", N), ("Iran", N), ("United States", N), ("Namibia", S), ("Australia", S)),
                     ("plains", "dunes", "tablelands", "plateaus", "canyons", "mountains", "volcanoes")),
    14: BiomeSetting((("Indonesia", S), ("Brazil", S), ("Bangladesh", N), ("Mexico", N), ("Australia", S)),
                     ("coastal plains",)),
    15: BiomeSetting((("Norway", N), ("Canada", N), ("Nepal", N), ("Pakistan", N), ("Chile", S), ("Argentina", S)),
                     ("mountains", "high mountains"), min_base_m=1500.0),
}  # fmt: skip


@dataclass(frozen=True)
class SyntheticParams:
    """Everything that decides one synthetic sample.

    Attributes:
        seed, index: the sample's identity; the terrain is a pure function of them.
        biome_id: RESOLVE biome id 1..15 (assets/vocab/biomes.json).
        biome_phrase: the caption phrase drawn for the biome.
        landform: landform name (assets/vocab/landforms.json).
        country, hemisphere: caption country and "north" / "south" (flips the seasons).
        month: 1..12.
        relief_m: 98th minus 2nd percentile of the elevation, metres.
        base_m: 2nd percentile of the elevation, metres (negative on coasts: part is sea).
    """

    seed: int
    index: int
    biome_id: int
    biome_phrase: str
    landform: str
    country: str
    hemisphere: str
    month: int
    relief_m: float
    base_m: float

    @property
    def month_name(self) -> str:
        return MONTHS[self.month - 1]

    @property
    def grid_cell(self) -> str:
        return f"synthetic-{self.seed}-{self.index}"


@lru_cache(maxsize=1)
def biome_phrases(vocab_dir: Path = VOCAB_DIR) -> dict[int, tuple[str, ...]]:
    """Biome id -> caption phrases, from assets/vocab/biomes.json."""
    biomes = json.loads((vocab_dir / "biomes.json").read_text(encoding="utf-8"))["biomes"]
    return {b["id"]: tuple(b["phrases"]) for b in biomes}


@lru_cache(maxsize=1)
def landform_relief(vocab_dir: Path = VOCAB_DIR) -> dict[str, tuple[float, float]]:
    """Landform name -> (typical relief_m, typical base_m), from assets/vocab/landforms.json."""
    landforms = json.loads((vocab_dir / "landforms.json").read_text(encoding="utf-8"))["landforms"]
    return {entry["name"]: (float(entry["relief_m"]), float(entry["base_m"])) for entry in landforms}


def draw_landform(setting: BiomeSetting, rng: np.random.Generator) -> str:
    """A landform for a sample of the biome: one of its typical landforms, or with probability
    OTHER_LANDFORM_SHARE one of the others (every name of assets/vocab/landforms.json)."""
    others = [name for name in landform_relief() if name not in setting.landforms]
    if others and rng.random() < OTHER_LANDFORM_SHARE:
        return str(rng.choice(others))
    return str(rng.choice(setting.landforms))


def other_hemisphere_place(params: SyntheticParams) -> SyntheticParams:
    """The same sample placed in a country of its biome in the other hemisphere (its seasons flipped).

    Where the biome occurs in one hemisphere only, another country of that hemisphere (the seasons
    unchanged); where it has one country, the sample itself. The country is picked by the sample's
    index, so the choice is a pure function of the sample.
    """
    countries = BIOME_SETTINGS[params.biome_id].countries
    candidates = [place for place in countries if place[1] != params.hemisphere] or [
        place for place in countries if place[0] != params.country]
    if not candidates:
        return params
    country, hemisphere = candidates[params.index % len(candidates)]
    return replace(params, country=country, hemisphere=hemisphere)


def sample_params(seed: int, index: int) -> SyntheticParams:
    """Draw the parameters of sample `index` of the synthetic set with `seed` (both >= 0)."""
    if seed < 0 or index < 0:
        raise ValueError(f"seed and index must be >= 0, got seed={seed}, index={index}")
    rng = np.random.default_rng([seed, index, STREAM_PARAMS])
    biome_id = int(rng.choice(sorted(BIOME_SETTINGS)))
    setting = BIOME_SETTINGS[biome_id]
    landform = draw_landform(setting, rng)
    country, hemisphere = setting.countries[int(rng.integers(len(setting.countries)))]
    typical_relief_m, typical_base_m = landform_relief()[landform]
    relief_m = typical_relief_m * float(np.exp(rng.normal(0.0, RELIEF_SPREAD)))
    if landform == "coastal plains":
        base_m = -rng.uniform(0.15, 0.6) * relief_m
    else:
        base_m = max(typical_base_m * float(np.exp(rng.normal(0.0, 0.4))), setting.min_base_m)
    return SyntheticParams(
        seed=seed,
        index=index,
        biome_id=biome_id,
        biome_phrase=str(rng.choice(biome_phrases()[biome_id])),
        landform=landform,
        country=country,
        hemisphere=hemisphere,
        month=int(rng.integers(1, 13)),
        relief_m=round(relief_m, 1),
        base_m=round(base_m, 1),
    )
