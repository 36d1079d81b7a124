"""The scorecard of a terrain model against a reference set: what `python -m mesa evaluate` runs.

One run plans every (prompt, seed) it needs, generates each once through the model's public call
(generation.py), then measures: realism against the noise floor (realism.py) on terrains
generated from the reference tiles' own captions (tile i with seed i), prompt adherence on
composed prompts (prompt_cases.py, adherence.py) with seeds 0..seeds-1, image-elevation coupling,
diversity, memorisation, border artefacts and speed. The result is a JSON-ready dict plus the
contact sheets (report.py writes them).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from mesa.evaluation.adherence import adherence, measure_prompts, reference_spread
from mesa.evaluation.borders import border_artefacts
from mesa.evaluation.coupling import coupling
from mesa.evaluation.diversity import diversity
from mesa.evaluation.elevation_statistics import relief_m
from mesa.evaluation.generation import (
    Generator,
    Request,
    TerrainModel,
    seconds_per_terrain,
)
from mesa.evaluation.image_statistics import aridity, greenness, snow_cover
from mesa.evaluation.memorisation import descriptors, memorisation
from mesa.evaluation.prompt_cases import (
    FORM_LANDFORMS,
    PromptCase,
    landform_cases,
    season_cases,
)
from mesa.evaluation.realism import (
    DEFAULT_PARTITIONS,
    STATISTICS,
    realism,
    statistics_table,
)
from mesa.evaluation.references import ReferenceSet
from mesa.evaluation.sheets import adherence_sheet, prompts_sheet, reference_sheet
from mesa.limits import check_memory
from mesa.pipeline.pipeline import SamplingDefaults
from mesa.prompts import PromptParts, build_prompt
from mesa.terrain import Terrain

ISSUE_PROMPTS = (
    build_prompt(PromptParts("conifer forests", "mountains", "Canada", "July")),
    build_prompt(PromptParts("conifer forests", "plains", "Canada", "July")),
    build_prompt(PromptParts(landform="mountains")),
    build_prompt(PromptParts(landform="plains")),
    build_prompt(PromptParts("tropical rainforests", "hills", "Brazil", "March")),
    build_prompt(PromptParts("deserts", "hills", "Algeria", "March")),
)
"""The prompts of issue 11's table (the sheet and table of example prompts)."""
SHEET_SEED_STRIDE = 100_000  # extra seeds of reference row i: i + k * stride, beyond any tile number
BYTES_PER_PIXEL = 3 + 4 + 4  # rgb uint8, dem and elevation_m float32 per terrain


@dataclass(frozen=True)
class Plan:
    """What a run measures and with how much.

    Attributes:
        seeds: seeds per adherence prompt and per sheet row (>= 2: spreads and seed-to-seed).
        partitions: random partitions of the realism protocol.
        sheet_rows: reference tiles shown beside their generated terrains.
        forms: prompt forms of the landform effect (prompt_cases.FORM_LANDFORMS).
        biome_ids: biomes of the adherence grid (None: all 15).
        season: measure the month / hemisphere effects.
        prompts: example prompts for their own sheet and table.
        speed_repeats: single-seed generations timed for the speed figure.
    """

    seeds: int = 2
    partitions: int = DEFAULT_PARTITIONS
    sheet_rows: int = 8
    forms: tuple[str, ...] = tuple(FORM_LANDFORMS)
    biome_ids: tuple[int, ...] | None = None
    season: bool = True
    prompts: tuple[str, ...] = ISSUE_PROMPTS
    speed_repeats: int = 3


@dataclass
class ScorecardRun:
    """A finished run: the JSON-ready scorecard and the contact sheets ((H, W, 3) uint8 by name)."""

    scorecard: dict
    sheets: dict[str, np.ndarray] = field(default_factory=dict)


def sheet_seeds(row: int, seeds: int) -> tuple[int, ...]:
    """Seeds of reference row `row` in the sheet: its realism seed first, then `seeds - 1` more."""
    return (row, *(row + k * SHEET_SEED_STRIDE for k in range(1, seeds)))


def check_run_memory(model: TerrainModel, reference: ReferenceSet, terrain_count: int) -> None:
    """Refuse a run whose terrains would not fit in memory (one line, with what to change)."""
    pixels = model.native_size**2
    estimate = (terrain_count + len(reference.terrains)) * pixels * BYTES_PER_PIXEL * 1.5
    check_memory(estimate, f"a scorecard of {terrain_count} terrains of {model.native_size} px",
                 "use fewer --tiles or --seeds")


def plan_requests(reference: ReferenceSet, cases: Sequence[PromptCase], plan: Plan) -> list[Request]:
    """Every (prompt, seeds) a run needs: reference captions (tile i, seed i), the sheet rows' other
    seeds, the adherence cases and the example prompts (seeds 0..seeds-1)."""
    seeds = tuple(range(plan.seeds))
    rows = reference.terrains[:plan.sheet_rows]
    return ([(t.prompt, (i,)) for i, t in enumerate(reference.terrains)]
            + [(t.prompt, sheet_seeds(i, plan.seeds)) for i, t in enumerate(rows)]
            + [(c.prompt, seeds) for c in cases] + [(p, seeds) for p in plan.prompts])


def run_scorecard(model: TerrainModel, reference: ReferenceSet, settings: SamplingDefaults | None = None,
                  plan: Plan = Plan(), log: Callable[[str], None] | None = None) -> ScorecardRun:
    """Generate what `plan` needs with `model` and measure it against `reference`."""
    if plan.seeds < 2:
        raise ValueError(f"the scorecard needs at least 2 seeds per prompt, got {plan.seeds}")
    if not plan.forms and not plan.season and not plan.prompts:
        raise ValueError("the plan measures no prompt: give forms, season or example prompts")
    settings, say, started = settings or model.defaults, log or (lambda line: None), time.perf_counter()
    cases = landform_cases(plan.forms, plan.biome_ids) + (season_cases() if plan.season else [])
    requests = plan_requests(reference, cases, plan)
    planned = len({(prompt, seed) for prompt, request_seeds in requests for seed in request_seeds})
    check_run_memory(model, reference, planned)
    say(f"generating {planned} terrains with {model.model_id} ({settings.sampler}, {settings.steps} steps, "
        f"guidance {settings.guidance}, overscan {settings.overscan} px)")
    generator = Generator(model, settings, say)
    generator.make(requests)
    say("measuring")
    scorecard = measure(model, reference, cases, plan, generator)
    say("timing single terrains")
    speed_prompt = plan.prompts[0] if plan.prompts else reference.terrains[0].prompt
    wall, cpu = seconds_per_terrain(model, settings, speed_prompt, plan.speed_repeats)
    scorecard["speed"] = {
        "seconds_per_terrain": wall, "cpu_seconds_per_terrain": cpu,
        "seconds_per_terrain_batched": generator.seconds_per_terrain(),
        "threads": torch.get_num_threads(), "cpus": os.cpu_count(), "load_average_1min": os.getloadavg()[0],
        "machine": platform.machine()}
    scorecard["run_seconds"] = time.perf_counter() - started
    return ScorecardRun(json_ready(scorecard), make_sheets(reference, cases, plan, generator))


def measure(model: TerrainModel, reference: ReferenceSet, cases: Sequence[PromptCase], plan: Plan,
            generator: Generator) -> dict:
    """Every section of the scorecard but speed, from the terrains the generator made."""
    seeds = tuple(range(plan.seeds))
    generated = [generator.terrains(t.prompt, [i])[0] for i, t in enumerate(reference.terrains)]
    by_prompt = {c.prompt: generator.terrains(c.prompt, seeds) for c in cases}
    examples = {p: generator.terrains(p, seeds) for p in plan.prompts}
    return {
        "model": model.model_id,
        "elevation": elevation_mode(model),
        "reference": reference.description,
        "settings": asdict(generator.settings),
        "plan": {"tiles": len(reference.terrains), "seeds": plan.seeds, "partitions": plan.partitions,
                 "forms": list(plan.forms), "season": plan.season, "terrains_generated": generator.count},
        "realism": realism_section(generated, reference.terrains, plan.partitions),
        "adherence": adherence(cases, measure_prompts(by_prompt), reference_spread(reference.terrains)),
        "coupling": {"generated": asdict(coupling(generated)), "reference": asdict(coupling(reference.terrains))},
        "diversity": asdict(diversity({**by_prompt, **examples}, generated, reference.terrains)),
        "memorisation": asdict(memorisation(descriptors(generated), descriptors(reference.terrains), reference.pool)),
        "borders": {"generated": asdict(border_artefacts(generated)),
                    "reference": asdict(border_artefacts(reference.terrains))},
        "prompts": {prompt: example_figures(terrains) for prompt, terrains in examples.items()},
        "sheet_reference_captions": [t.prompt for t in reference.terrains[:plan.sheet_rows]],
    }


def make_sheets(reference: ReferenceSet, cases: Sequence[PromptCase], plan: Plan,
                generator: Generator) -> dict[str, np.ndarray]:
    """The contact sheets of a run (sheets.py), by file name."""
    seeds = tuple(range(plan.seeds))
    rows = reference.terrains[:plan.sheet_rows]
    sheets = {"sheet_reference.png": reference_sheet(rows, [generator.terrains(t.prompt, sheet_seeds(i, plan.seeds))
                                                            for i, t in enumerate(rows)])}
    if cases:
        sheets["sheet_adherence.png"] = adherence_sheet(cases, {c.prompt: generator.terrains(c.prompt, seeds)
                                                                for c in cases})
    if plan.prompts:
        sheets["sheet_prompts.png"] = prompts_sheet([t for p in plan.prompts for t in generator.terrains(p, seeds)])
    return sheets


def elevation_mode(model: TerrainModel) -> str:
    """How the model's metres are made: "global" (the model's own, elevation.json), or "relative"
    (a 0..1 map scaled by the landform the prompt names: relief ratios then show that table)."""
    declared = getattr(model, "checkpoint_elevation", None)
    if declared is None:
        return "unknown"
    return "global" if declared.min_m is not None else "relative"


def realism_section(generated: Sequence[Terrain], reference: Sequence[Terrain], partitions: int) -> dict:
    """realism.distance, realism.noise_floor, their ratio and spreads, groups and per-statistic terms."""
    result = realism(statistics_table(generated), statistics_table(reference), STATISTICS, partitions)
    return {"distance": result.distance, "noise_floor": result.noise_floor, "ratio": result.ratio,
            "distance_spread": result.distance_spread, "noise_floor_spread": result.noise_floor_spread,
            "set_size": result.set_size, "partitions": result.partitions,
            "groups": {name: {"distance": d, "noise_floor": f} for name, (d, f) in result.groups.items()},
            "terms": {term.statistic: {k: v for k, v in asdict(term).items() if k != "statistic"}
                      for term in result.terms}}


def example_figures(terrains: Sequence[Terrain]) -> dict[str, float]:
    """Means over seeds: relief, mean elevation, greenness, aridity, snow cover."""
    return {"relief_m": float(np.mean([relief_m(t.elevation_m) for t in terrains])),
            "mean_elevation_m": float(np.mean([t.elevation_m.mean() for t in terrains])),
            "greenness": float(np.mean([greenness(t.rgb) for t in terrains])),
            "aridity": float(np.mean([aridity(t.rgb) for t in terrains])),
            "snow_cover": float(np.mean([snow_cover(t.rgb) for t in terrains]))}


def json_ready(value):
    """`value` with numpy scalars as Python numbers and NaN / infinity as None (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    return value
