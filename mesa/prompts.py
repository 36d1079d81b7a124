"""MESA-style prompts: "A Sentinel-2 image of {biome} and {landform} in {country} in {month}".

Every part is optional: training drops parts at random, so the model accepts any subset.
The vocabularies are data in `assets/vocab/`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from mesa.resources import asset_path

VOCAB_DIR = asset_path("vocab")
PREFIX = "A Sentinel-2 image"


@dataclass(frozen=True)
class PromptParts:
    """The four descriptors of a caption; None (or "") leaves a part out."""

    biome: str | None = None
    landform: str | None = None
    country: str | None = None
    month: str | None = None

    def present(self) -> list[str]:
        """Names of the parts that are set."""
        return [f.name for f in fields(self) if getattr(self, f.name)]


def build_prompt(parts: PromptParts, prefix: bool = True) -> str:
    """Assemble a caption from any subset of parts.

    >>> build_prompt(PromptParts("montane forests", "mountains", "Mexico", "August"))
    'A Sentinel-2 image of montane forests and mountains in Mexico in August'
    >>> build_prompt(PromptParts(landform="hills", month="May"), prefix=False)
    'hills in May'
    """
    subject = " and ".join(p for p in (parts.biome, parts.landform) if p)
    places = "".join(f" in {p}" for p in (parts.country, parts.month) if p)
    if prefix:
        return f"{PREFIX}{' of ' + subject if subject else ''}{places}"
    return (subject + places).strip().removeprefix("in ") if subject or places else ""


def drop_random_parts(parts: PromptParts, rng: np.random.Generator, max_dropped: int = 3,
                      min_dropped: int = 0) -> PromptParts:
    """Training augmentation: drop none, or one to `max_dropped` of the present parts at random.

    The number dropped is uniform over min(min_dropped, present - 1)..min(max_dropped, present - 1),
    so at least one descriptor always survives. `min_dropped=1` gives the paper's "drop one, two
    or three descriptors".
    """
    present = parts.present()
    if len(present) <= 1:
        return parts
    most = min(max_dropped, len(present) - 1)
    n_drop = int(rng.integers(min(min_dropped, most), most + 1))
    dropped = rng.choice(present, size=n_drop, replace=False) if n_drop else []
    return replace(parts, **{name: None for name in dropped})


@dataclass(frozen=True)
class Vocabulary:
    """Dropdown and caption vocabularies (sorted lists of phrases)."""

    biomes: list[str]
    landforms: list[str]
    countries: list[str]
    months: list[str]


@lru_cache(maxsize=1)
def load_vocabulary(vocab_dir: Path = VOCAB_DIR) -> Vocabulary:
    """Read the bundled vocabularies from `assets/vocab/`."""

    def read(name: str) -> dict:
        return json.loads((vocab_dir / f"{name}.json").read_text(encoding="utf-8"))

    biomes = sorted({phrase for b in read("biomes")["biomes"] for phrase in b["phrases"]})
    landforms = [entry["name"] for entry in read("landforms")["landforms"]]
    countries = sorted(read("countries")["countries"])
    return Vocabulary(biomes, landforms, countries, read("months")["months"])
