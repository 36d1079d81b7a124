"""Does a terrain model respond to prompts? Figures measured over several seeds per prompt.

Pure metrics on `Terrain` arrays (rgb (H, W, 3) uint8, elevation_m (H, W) float32 metres) and the
measurements behind benchmarks/quality_mesa_tiny.py and tests/tiny/:

    relief      98th minus 2nd percentile of elevation_m, metres
    greenness   mean excess green (2G - R - B) / (R + G + B) of the colour image
    snow cover  share of pixels that are bright and grey (min channel > 0.6, spread < 0.15)
    shading     Pearson correlation of image brightness with the hillshade of elevation_m under
                the synthetic data's sun (azimuth 135 deg, altitude 45 deg): a brightness that
                follows the slope towards the sun, i.e. the elevation gradient
    diversity   RMS difference of elevation_m between two seeds of one prompt, metres
"""

from __future__ import annotations

import itertools
import time

import numpy as np

from mesa.geometry.shading import SUN_ALTITUDE_DEG, SUN_AZIMUTH_DEG, hillshade
from mesa.pipeline.pipeline import SamplingDefaults
from mesa.prompts import PromptParts, build_prompt
from mesa.terrain import Terrain

PROMPTS = {
    "mountains": build_prompt(PromptParts(landform="mountains")),
    "plains": build_prompt(PromptParts(landform="plains")),
    "forest": build_prompt(PromptParts(biome="tropical rainforests")),
    "desert": build_prompt(PromptParts(biome="deserts")),
    "tundra_january": build_prompt(PromptParts(biome="tundra", month="January")),
    "tundra_july": build_prompt(PromptParts(biome="tundra", month="July")),
}
SAMPLERS = ("ddim", "dpm++", "unipc")
STEP_COUNTS = (10, 20, 25, 50)
REFERENCE = ("ddim", 200)


def relief_m(terrain: Terrain) -> float:
    """98th minus 2nd percentile of the elevation, metres."""
    low, high = np.percentile(terrain.elevation_m, [2, 98])
    return float(high - low)


def greenness(terrain: Terrain) -> float:
    """Mean excess-green index (2G - R - B) / (R + G + B), in [-1, 2]; vegetation is positive."""
    rgb = terrain.rgb.astype(np.float32) / 255.0
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    return float(np.mean((2 * green - red - blue) / (red + green + blue + 1e-3)))


def snow_cover(terrain: Terrain) -> float:
    """Share of pixels that look like snow or ice: bright in every channel and nearly grey."""
    rgb = terrain.rgb.astype(np.float32) / 255.0
    bright, grey = rgb.min(axis=-1) > 0.6, (rgb.max(axis=-1) - rgb.min(axis=-1)) < 0.15
    return float(np.mean(bright & grey))


def shading_correlation(terrain: Terrain, elevation_m: np.ndarray | None = None) -> float:
    """Correlation of image brightness with the sun-lit hillshade of `elevation_m` (default: the
    terrain's own; pass another terrain's for a null baseline). 0 for a flat or uniform tile."""
    elevation_m = terrain.elevation_m if elevation_m is None else elevation_m
    light = hillshade(elevation_m, terrain.meters_per_pixel, SUN_AZIMUTH_DEG, SUN_ALTITUDE_DEG).ravel()
    brightness = terrain.rgb.astype(np.float32).mean(axis=-1).ravel()
    if light.std() < 1e-6 or brightness.std() < 1e-6:
        return 0.0
    return float(np.corrcoef(light, brightness)[0, 1])


def seed_difference_m(first: Terrain, second: Terrain) -> float:
    """RMS difference of two terrains' elevation, metres."""
    return float(np.sqrt(np.mean((first.elevation_m - second.elevation_m) ** 2)))


def generate(pipeline, prompt: str, seeds: list[int], settings: SamplingDefaults) -> list[Terrain]:
    """One terrain per seed, all seeds in one batch."""
    return pipeline(prompt, seeds=seeds, steps=settings.steps, guidance=settings.guidance, sampler=settings.sampler,
                    overscan=settings.overscan)


def prompt_figures(pipeline, seeds: list[int], settings: SamplingDefaults) -> dict[str, dict[str, float]]:
    """Per prompt of PROMPTS: mean relief, greenness, snow cover, shading correlation (own and
    shuffled), and the smallest and mean elevation difference between two seeds."""
    figures = {}
    for name, prompt in PROMPTS.items():
        terrains = generate(pipeline, prompt, seeds, settings)
        shuffled = [shading_correlation(t, terrains[(i + 1) % len(terrains)].elevation_m) for i, t in enumerate(terrains)]
        differences = [seed_difference_m(a, b) for a, b in itertools.combinations(terrains, 2)]
        figures[name] = {
            "relief_m": float(np.mean([relief_m(t) for t in terrains])),
            "greenness": float(np.mean([greenness(t) for t in terrains])),
            "snow_cover": float(np.mean([snow_cover(t) for t in terrains])),
            "shading_correlation": float(np.mean([shading_correlation(t) for t in terrains])),
            "shading_correlation_shuffled": float(np.mean(shuffled)),
            "min_seed_difference_m": float(np.min(differences)),
            "mean_seed_difference_m": float(np.mean(differences)),
        }
    return figures


def relations(figures: dict[str, dict[str, float]]) -> dict[str, float]:
    """The headline ratios and differences the README and tests quote."""
    return {
        "relief_ratio_mountains_to_plains": figures["mountains"]["relief_m"] / max(figures["plains"]["relief_m"], 1.0),
        "greenness_forest_minus_desert": figures["forest"]["greenness"] - figures["desert"]["greenness"],
        "snow_january_minus_july_tundra": figures["tundra_january"]["snow_cover"] - figures["tundra_july"]["snow_cover"],
        "shading_correlation_mountains": figures["mountains"]["shading_correlation"],
        "shading_correlation_mountains_shuffled": figures["mountains"]["shading_correlation_shuffled"],
        "min_seed_difference_over_relief": min(
            f["min_seed_difference_m"] / max(f["relief_m"], 1.0) for f in figures.values()),
    }


def steps_table(pipeline, prompts: list[str], seeds: list[int], guidance: float, overscan: int = 0) -> list[dict]:
    """Each sampler of SAMPLERS at each of STEP_COUNTS against a 200-step DDIM reference on the
    same seeds (all at `guidance` and `overscan`): RMS error of elevation_m (metres) and of the
    colour (0..1), seconds per terrain."""
    references = {prompt: generate(pipeline, prompt, seeds, SamplingDefaults(*REFERENCE, guidance, overscan))
                  for prompt in prompts}
    rows = []
    for sampler, steps in itertools.product(SAMPLERS, STEP_COUNTS):
        elevation_errors, colour_errors, started = [], [], time.perf_counter()
        for prompt in prompts:
            settings = SamplingDefaults(sampler, steps, guidance, overscan)
            for terrain, reference in zip(generate(pipeline, prompt, seeds, settings), references[prompt]):
                elevation_errors.append(seed_difference_m(terrain, reference))
                difference = (terrain.rgb.astype(np.float32) - reference.rgb.astype(np.float32)) / 255.0
                colour_errors.append(float(np.sqrt(np.mean(difference ** 2))))
        seconds = (time.perf_counter() - started) / (len(prompts) * len(seeds))
        rows.append({"sampler": sampler, "steps": steps, "elevation_rmse_m": float(np.mean(elevation_errors)),
                     "rgb_rmse": float(np.mean(colour_errors)), "seconds_per_terrain_batched": seconds})
    return rows


def choose_default(rows: list[dict], elevation_tolerance_m: float, rgb_tolerance: float) -> dict:
    """The fewest-steps row within both tolerances of the 200-step reference (ties: lower
    elevation error); the most accurate row if none is."""
    good = [row for row in rows if row["elevation_rmse_m"] <= elevation_tolerance_m and row["rgb_rmse"] <= rgb_tolerance]
    if good:
        return min(good, key=lambda row: (row["steps"], row["elevation_rmse_m"]))
    return min(rows, key=lambda row: row["elevation_rmse_m"])


def seconds_per_terrain(pipeline, settings: SamplingDefaults, repeats: int = 3) -> float:
    """Median wall-clock seconds of one terrain (one seed, text to decoded arrays)."""
    times = []
    for repeat in range(repeats):
        started = time.perf_counter()
        generate(pipeline, PROMPTS["mountains"], [repeat], settings)
        times.append(time.perf_counter() - started)
    return float(np.median(times))
