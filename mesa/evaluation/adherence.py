"""Prompt adherence: the effect of changing one prompt part with the others (and the seed) fixed.

Measures per generated terrain: relief_m (98th - 2nd percentile, metres), greenness, aridity and
snow_cover (image_statistics.py). Every effect is paired: the same seed under two prompts that
differ in one part, so the seed's own variation cancels; each is reported with its spread over
seeds and biomes.

    landform   per biome: relief of plains, hills, mountains, high mountains; the ratio
               relief(mountains) / relief(plains) and how many biomes reach RELIEF_RATIO_TARGET;
               relief(hills) / relief(plains) and how many reach HILLS_RATIO_TARGET (reported, not a check);
               how many keep the whole ordering plains < hills < mountains < high mountains
    biome      at fixed landform, country-of-the-biome and midsummer: greenness of tropical
               rainforests minus deserts, aridity of deserts minus tropical rainforests, snow of
               rock and ice minus tropical rainforests; and the share of each measure's variance
               that the biome explains (eta squared) beside its chance level
    season     snow in local winter minus local summer and greenness in summer minus winter (not
               on rock and ice, which has no vegetation), in a northern and a southern country
               (January is winter in one and summer in the other)

An effect "holds" when at least HOLDS_SHARE of its paired differences are positive and its mean
is at least MIN_EFFECT_SD standard deviations of that measure over the reference tiles (a
consistent but invisible difference, such as +0.0003 of greenness from a random text encoder,
does not count); a prompt-blind model has no positive difference and fails every check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mesa.evaluation.elevation_statistics import relief_m
from mesa.evaluation.image_statistics import aridity, greenness, snow_cover
from mesa.evaluation.prompt_cases import (
    BARE_BIOMES,
    FORM_LANDFORMS,
    LANDFORM_ORDER,
    WINTER_MONTH,
    PromptCase,
)
from mesa.terrain import Terrain

MEASURES = ("relief_m", "greenness", "aridity", "snow_cover")
RELIEF_RATIO_TARGET = 3.0
HILLS_RATIO_TARGET = 3.0  # relief(hills) / relief(plains): the held-out synthetic tiles give 4.5-5 (252-295 m against 56-58 m)
BIOMES_TARGET = 12
HOLDS_SHARE = 0.75
MIN_EFFECT_SD = 0.25
RAINFOREST, DESERT, ROCK_AND_ICE = 1, 13, 15
CONTRASTS = (("greenness", RAINFOREST, DESERT), ("aridity", DESERT, RAINFOREST), ("snow_cover", ROCK_AND_ICE, RAINFOREST))

Measured = Mapping[str, np.ndarray]
"""prompt -> (seeds, len(MEASURES)) float64, the same seeds in the same order for every prompt."""


def measure(terrain: Terrain) -> np.ndarray:
    """(len(MEASURES),) float64 measures of one terrain."""
    return np.array([relief_m(terrain.elevation_m), greenness(terrain.rgb), aridity(terrain.rgb),
                     snow_cover(terrain.rgb)])


def measure_prompts(terrains_by_prompt: Mapping[str, Sequence[Terrain]]) -> dict[str, np.ndarray]:
    """prompt -> (seeds, len(MEASURES)) measures."""
    return {prompt: np.stack([measure(t) for t in terrains]) for prompt, terrains in terrains_by_prompt.items()}


def spread(values: np.ndarray, reference_sd: float | None = None) -> dict:
    """Mean, standard deviation, min, max and share > 0 of paired differences; with the measure's
    reference standard deviation, the mean in those units and whether the effect holds (above)."""
    values = np.asarray(values, np.float64).ravel()
    share = float(np.mean(values > 0))
    result = {"mean": float(values.mean()), "std": float(values.std()), "min": float(values.min()),
              "max": float(values.max()), "share_positive": share, "count": int(values.size)}
    if reference_sd is not None:
        standardised = float(values.mean()) / max(reference_sd, 1e-9)
        result["mean_in_reference_sd"] = standardised
        result["holds"] = bool(share >= HOLDS_SHARE and standardised >= MIN_EFFECT_SD)
    return result


def reference_spread(terrains: Sequence[Terrain]) -> dict[str, float]:
    """Standard deviation of each measure over reference tiles (the unit effects are judged in)."""
    values = np.stack([measure(t) for t in terrains])
    return {name: float(values[:, k].std(ddof=1)) if len(values) > 1 else 0.0 for k, name in enumerate(MEASURES)}


def _column(measured: Measured, case: PromptCase, name: str) -> np.ndarray:
    return measured[case.prompt][:, MEASURES.index(name)]


def landform_effect(cases: Sequence[PromptCase], measured: Measured, form: str) -> dict:
    """Relief by landform per biome for one form, mountains/plains ratios and orderings."""
    landforms = FORM_LANDFORMS[form]
    groups: dict[str, dict[str, np.ndarray]] = {}
    for case in cases:
        if case.kind == "landform" and case.form == form:
            label = case.parts.biome or "(no biome)"
            groups.setdefault(label, {})[case.parts.landform] = _column(measured, case, "relief_m")
    if not groups:
        raise ValueError(f"no landform cases of form {form!r} were measured")
    relief, ratios, log_ratios, ordered = {}, {}, [], 0
    for label, by_landform in groups.items():
        relief[label] = {landform: float(by_landform[landform].mean()) for landform in landforms}
        ratios[label] = relief[label]["mountains"] / max(relief[label]["plains"], 1.0)
        log_ratios.append(np.log(np.maximum(by_landform["mountains"], 1.0) / np.maximum(by_landform["plains"], 1.0)))
        ordered += bool(np.all(np.diff([relief[label][landform] for landform in landforms]) > 0))
    values = np.array(list(ratios.values()))
    result = {
        "example_prompt": next(c.prompt for c in cases if c.kind == "landform" and c.form == form),
        "relief_m": relief,
        "ratio_mountains_to_plains": ratios,
        "ratio_min": float(values.min()), "ratio_median": float(np.median(values)), "ratio_max": float(values.max()),
        "biomes": len(groups),
        "biomes_with_ratio_at_least_target": int(np.sum(values >= RELIEF_RATIO_TARGET)),
        "log_ratio_per_seed": spread(np.concatenate(log_ratios)),
    }
    if "hills" in landforms:  # a landform the mountains / plains ratio does not see
        hills = {label: relief[label]["hills"] / max(relief[label]["plains"], 1.0) for label in relief}
        result["ratio_hills_to_plains"] = hills
        result["biomes_with_hills_at_least_target"] = int(sum(value >= HILLS_RATIO_TARGET for value in hills.values()))
    if landforms == LANDFORM_ORDER:
        result["biomes_with_full_ordering"] = ordered
    return result


def biome_effect(cases: Sequence[PromptCase], measured: Measured, scales: Mapping[str, float]) -> dict:
    """Biome contrasts at fixed landform and seed, eta squared of each measure, per-biome means (full form)."""
    full = [c for c in cases if c.kind == "landform" and c.form == "full"]
    phrase = {c.biome_id: c.parts.biome for c in full}
    by_key = {(c.biome_id, c.parts.landform): c for c in full}
    landforms = FORM_LANDFORMS["full"]
    contrasts = {}
    for name, high, low in CONTRASTS:
        if high in phrase and low in phrase:
            differences = np.concatenate([_column(measured, by_key[(high, lf)], name)
                                          - _column(measured, by_key[(low, lf)], name) for lf in landforms])
            contrasts[name] = {"high": phrase[high], "low": phrase[low], **spread(differences, scales[name])}
    biome_ids = sorted(phrase)
    by_biome = {name: [np.concatenate([_column(measured, by_key[(b, lf)], name) for lf in landforms])
                       for b in biome_ids] for name in MEASURES}
    return {
        "contrasts": contrasts,
        "eta_squared": {name: eta_squared(by_biome[name]) for name in MEASURES[1:]},
        "per_biome": {phrase[b]: {name: float(by_biome[name][k].mean()) for name in MEASURES}
                      for k, b in enumerate(biome_ids)},
    }


def eta_squared(groups: Sequence[np.ndarray]) -> dict[str, float]:
    """Share of the variance of the pooled values explained by the group means, with its chance
    level under no effect ((groups - 1) / (values - 1))."""
    pooled = np.concatenate(groups)
    total = float(np.sum((pooled - pooled.mean()) ** 2))
    between = float(sum(len(g) * (g.mean() - pooled.mean()) ** 2 for g in groups))
    return {"eta_squared": between / total if total > 0 else 0.0,
            "chance": (len(groups) - 1) / max(len(pooled) - 1, 1)}


def season_effect(cases: Sequence[PromptCase], measured: Measured, scales: Mapping[str, float]) -> dict:
    """Snow (winter - summer) and greenness (summer - winter, vegetated biomes) per biome and hemisphere,
    paired by seed; per place both."""
    season = [c for c in cases if c.kind == "season"]
    if not season:
        raise ValueError("no season cases were measured")
    snow, green, per_place, january_snow = [], [], {}, {"north": [], "south": []}
    for winter in (c for c in season if c.parts.month == WINTER_MONTH[c.hemisphere]):
        summer = next(c for c in season if c.biome_id == winter.biome_id and c.hemisphere == winter.hemisphere
                      and c is not winter)
        snow_difference = _column(measured, winter, "snow_cover") - _column(measured, summer, "snow_cover")
        green_difference = _column(measured, summer, "greenness") - _column(measured, winter, "greenness")
        snow.append(snow_difference)
        if winter.biome_id not in BARE_BIOMES:
            green.append(green_difference)
        january_snow[winter.hemisphere].append(snow_difference if winter.parts.month == "January" else -snow_difference)
        per_place[f"{winter.parts.biome} in {winter.parts.country}"] = {
            "snow_winter_minus_summer": float(snow_difference.mean()),
            "greenness_summer_minus_winter": float(green_difference.mean())}
    return {"snow_winter_minus_summer": spread(np.concatenate(snow), scales["snow_cover"]),
            "greenness_summer_minus_winter": spread(np.concatenate(green), scales["greenness"]),
            "snow_january_minus_july": {side: float(np.concatenate(v).mean()) for side, v in january_snow.items() if v},
            "per_place": per_place}


def adherence(cases: Sequence[PromptCase], measured: Measured, scales: Mapping[str, float]) -> dict:
    """Every effect whose cases were measured, and the checks (the issue's targets for mesa-tiny v2).

    `scales`: each measure's standard deviation over the reference tiles (`reference_spread`)."""
    forms = [form for form in FORM_LANDFORMS if any(c.kind == "landform" and c.form == form for c in cases)]
    result: dict = {"landform": {form: landform_effect(cases, measured, form) for form in forms}}
    if "full" in forms:
        result["biome"] = biome_effect(cases, measured, scales)
    if any(c.kind == "season" for c in cases):
        result["season"] = season_effect(cases, measured, scales)
    result["reference_sd"] = dict(scales)
    result["checks"] = checks(result)
    return result


def checks(result: Mapping) -> dict[str, bool]:
    """Pass/fail of each target that the measured effects allow."""
    out = {}
    full = result["landform"].get("full")
    if full:
        needed = min(BIOMES_TARGET, full["biomes"])
        out[f"relief_mountains_{RELIEF_RATIO_TARGET:g}x_plains_in_{needed}_of_{full['biomes']}_biomes"] = (
            full["biomes_with_ratio_at_least_target"] >= needed)
    for name, values in result.get("biome", {}).get("contrasts", {}).items():
        out[f"biome_{name}_effect_holds"] = values["holds"]
    season = result.get("season")
    if season:
        out["season_snow_effect_holds"] = season["snow_winter_minus_summer"]["holds"]
        out["season_greenness_effect_holds"] = season["greenness_summer_minus_winter"]["holds"]
    return out
