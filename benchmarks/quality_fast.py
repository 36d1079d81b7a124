"""Does a few-step student keep its teacher's prompt response? Student vs teacher on four-part prompts.

    .venv/bin/python -m benchmarks.quality_fast [--teacher mesa-tiny] [--student mesa-tiny-fast] [--seeds 6]
                                                [--sheet /tmp/fast_sheet.png]

Three settings on the same seeds, in one process: the teacher at its defaults (sampling_defaults.json;
the figures in docs/fast.md were taken when mesa-tiny's were DPM++ 50 steps, guidance 7.5: 100 UNet
evaluations), the teacher cut to the student's steps (the naive way to go fast, still with guidance:
2 evaluations per step) and the student at its defaults (lcm, guidance folded in: 1 evaluation per
step). Per setting, over --seeds seeds of each four-part
prompt (the app's "A Sentinel-2 image of {biome} and {landform} in {country} in {month}"):

- relief (98th - 2nd percentile of elevation_m) of mountains vs plains, the ratio (adherence);
- greenness of rainforest vs desert, snow cover of January vs July tundra (differences);
- shading correlation of the colour image with its own hillshade, and with another seed's (a null);
- elevation RMSE against the teacher on the same seed, metres (how closely it follows the teacher);
- UNet evaluations and seconds per terrain (batched seeds, this machine's threads).
--sheet writes a contact sheet: rows are prompt x setting, columns seeds.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time

import numpy as np
import torch
from PIL import Image

from mesa.pipeline.pipeline import SamplingDefaults, TerrainPipeline
from mesa.preview import contact_sheet
from mesa.prompts import PromptParts, build_prompt
from recipes.mesa_tiny.quality import greenness, relief_m, shading_correlation, snow_cover

PROMPTS = {
    "mountains": build_prompt(PromptParts("conifer forests", "mountains", "Switzerland", "July")),
    "plains": build_prompt(PromptParts("conifer forests", "plains", "Switzerland", "July")),
    "rainforest": build_prompt(PromptParts("tropical rainforests", "hills", "Brazil", "March")),
    "desert": build_prompt(PromptParts("deserts", "hills", "Egypt", "March")),
    "tundra_january": build_prompt(PromptParts("tundra", "plains", "Canada", "January")),
    "tundra_july": build_prompt(PromptParts("tundra", "plains", "Canada", "July")),
}


def count_evaluations(pipe: TerrainPipeline, calls: list[int]):
    """A forward pre-hook on the UNet that appends each call's batch size to `calls` (its handle)."""
    return pipe.unet.register_forward_pre_hook(lambda module, inputs: calls.append(inputs[0].shape[0]))


def measure(pipe: TerrainPipeline, settings: SamplingDefaults, seeds: list[int], reference: dict | None) -> dict:
    """Figures of one setting (see the module docstring) and its terrains by prompt."""
    calls = []
    hook = count_evaluations(pipe, calls)
    terrains, seconds = {}, 0.0
    for name, prompt in PROMPTS.items():
        started = time.perf_counter()
        terrains[name] = pipe(prompt, seeds=seeds, steps=settings.steps, guidance=settings.guidance,
                              sampler=settings.sampler)
        seconds += time.perf_counter() - started
    hook.remove()
    count = len(PROMPTS) * len(seeds)
    mean = lambda metric, name: float(np.mean([metric(t) for t in terrains[name]]))  # noqa: E731
    everything = [t for group in terrains.values() for t in group]
    figures = {
        "relief_mountains_m": mean(relief_m, "mountains"),
        "relief_plains_m": mean(relief_m, "plains"),
        "greenness_rainforest_minus_desert": mean(greenness, "rainforest") - mean(greenness, "desert"),
        "snow_january_minus_july": mean(snow_cover, "tundra_january") - mean(snow_cover, "tundra_july"),
        "shading_correlation": float(np.mean([shading_correlation(t) for t in everything])),
        "shading_correlation_other_seed": float(np.mean(
            [shading_correlation(t, everything[(i + 1) % len(everything)].elevation_m) for i, t in enumerate(everything)])),
        "unet_evaluations_per_terrain": sum(calls) / count,
        "seconds_per_terrain": seconds / count,
    }
    figures["relief_ratio"] = figures["relief_mountains_m"] / max(figures["relief_plains_m"], 1.0)
    if reference is not None:
        figures["elevation_rmse_vs_teacher_m"] = float(np.mean([
            np.sqrt(np.mean((t.elevation_m - r.elevation_m) ** 2))
            for name in PROMPTS for t, r in zip(terrains[name], reference[name])]))
    return {"figures": figures, "terrains": terrains}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teacher", default="mesa-tiny")
    parser.add_argument("--student", default="mesa-tiny-fast")
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--sheet", help="write a contact sheet PNG here")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    teacher, student = TerrainPipeline.from_pretrained(args.teacher), TerrainPipeline.from_pretrained(args.student)
    seeds = list(range(100, 100 + args.seeds))
    fast = student.defaults
    settings = {
        f"teacher {teacher.defaults.sampler} {teacher.defaults.steps}": (teacher, teacher.defaults),
        f"teacher {teacher.defaults.sampler} {fast.steps}": (teacher, SamplingDefaults(
            teacher.defaults.sampler, fast.steps, teacher.defaults.guidance)),
        f"student {fast.sampler} {fast.steps}": (student, fast),
    }
    results, reference = {}, None
    for label, (pipe, chosen) in settings.items():
        results[label] = measure(pipe, chosen, seeds, reference)
        reference = reference or results[label]["terrains"]
    keys = list(next(iter(results.values()))["figures"]) + ["elevation_rmse_vs_teacher_m"]
    print(f"{len(seeds)} seeds per prompt, {torch.get_num_threads()} threads; prompts:")
    for name, prompt in PROMPTS.items():
        print(f"  {name}: {prompt}")
    print(f"{'figure':36}" + "".join(f"{label:>22}" for label in results))
    for key in keys:
        row = [results[label]["figures"].get(key) for label in results]
        print(f"{key:36}" + "".join(f"{'-':>22}" if v is None else f"{v:>22.4f}" for v in row))
    if args.sheet:
        cells = []
        for name in PROMPTS:
            for label, result in results.items():
                for terrain in result["terrains"][name]:
                    cells.append(dataclasses.replace(terrain, settings=dataclasses.replace(
                        terrain.settings, prompt=f"{label}: {name}")))
        Image.fromarray(contact_sheet(cells, tile_px=96)).save(args.sheet)
        print(f"contact sheet: {args.sheet}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
