"""Prompt parts, grammar of every subset, random dropping, vocabularies."""

from __future__ import annotations

import itertools
import re

import numpy as np

from mesa.prompts import PREFIX, PromptParts, build_prompt, drop_random_parts, load_vocabulary

FULL = PromptParts("montane forests", "mountains", "Mexico", "August")
NAMES = ("biome", "landform", "country", "month")
GRAMMAR = re.compile(r"^A Sentinel-2 image( of [^ ].*?( and [^ ].*?)?)?( in [A-Z][^ ]*( [^ ]+)*?)?( in [A-Z][a-z]+)?$")


def subsets():
    for size in range(len(NAMES) + 1):
        for chosen in itertools.combinations(NAMES, size):
            yield PromptParts(**{name: getattr(FULL, name) if name in chosen else None for name in NAMES})


def expected(parts: PromptParts) -> str:
    subject = " and ".join(p for p in (parts.biome, parts.landform) if p)
    text = PREFIX + (f" of {subject}" if subject else "")
    return text + "".join(f" in {p}" for p in (parts.country, parts.month) if p)


def test_every_subset_reads_correctly():
    for parts in subsets():
        prompt = build_prompt(parts)
        assert prompt == expected(parts)
        assert GRAMMAR.match(prompt), prompt
        assert "  " not in prompt and not prompt.endswith(" ") and " and in " not in prompt


def test_every_part_is_optional_and_empty_strings_count_as_missing():
    assert build_prompt(PromptParts()) == PREFIX
    assert build_prompt(PromptParts(biome="", landform="hills", country=None, month="")) == f"{PREFIX} of hills"
    assert PromptParts(landform="hills", month="May").present() == ["landform", "month"]
    assert build_prompt(FULL, prefix=False) == "montane forests and mountains in Mexico in August"
    assert build_prompt(PromptParts(country="Chile"), prefix=False) == "Chile"


def test_drop_random_parts_keeps_at_least_one_and_is_deterministic():
    counts = set()
    for seed in range(200):
        dropped = drop_random_parts(FULL, np.random.default_rng(seed))
        assert 1 <= len(dropped.present()) <= 4
        counts.add(4 - len(dropped.present()))
        assert dropped == drop_random_parts(FULL, np.random.default_rng(seed))
        assert GRAMMAR.match(build_prompt(dropped))
    assert counts == {0, 1, 2, 3}
    single = PromptParts(month="May")
    assert drop_random_parts(single, np.random.default_rng(0)) == single


def test_min_dropped_always_drops_one_to_three():
    for seed in range(100):
        kept = drop_random_parts(FULL, np.random.default_rng(seed), min_dropped=1).present()
        assert 1 <= len(kept) <= 3
    two = PromptParts(landform="hills", country="Chile")
    assert len(drop_random_parts(two, np.random.default_rng(0), min_dropped=3).present()) == 1


def test_vocabulary_loads():
    vocab = load_vocabulary()
    assert len(vocab.months) == 12 and vocab.months[7] == "August"
    assert "rock and ice" in vocab.biomes and "tundra" in vocab.biomes
    assert len(vocab.countries) > 150 and {"Switzerland", "Mexico", "South Korea"} <= set(vocab.countries)
    assert {"plains", "tablelands", "hills", "low mountains", "mountains", "high mountains"} <= set(vocab.landforms)


def test_biome_vocabulary_has_resolve_biomes_plus_rock_and_ice():
    import json

    from mesa.prompts import VOCAB_DIR

    biomes = json.loads((VOCAB_DIR / "biomes.json").read_text())["biomes"]
    assert [b["id"] for b in biomes] == list(range(1, 16)) and biomes[-1]["name"] == "Rock and Ice"
