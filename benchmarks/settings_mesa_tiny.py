"""Which sampling settings suit a model? Realism, borders, coupling and prompt response per setting.

    .venv/bin/python -m benchmarks.settings_mesa_tiny [--model mesa-tiny] [--tiles 32]
                     [--settings dpm++:50:7.5 dpm++:25:4 dpm++:25:2.5 dpm++:25:2 unipc:20:1.5:16]

For each SAMPLER:STEPS:GUIDANCE[:OVERSCAN] (overscan: pixels sampled beyond each edge and cropped,
default 0), in one process, on the same seeds, with the scorecard's own
measures (`mesa.evaluation`), so the figures read like a `python -m mesa evaluate` run at a
fraction of its cost:
- realism distance and noise floor against --tiles held-out synthetic tiles (one terrain per
  tile's caption, seed = tile number), and the elevation / image groups;
- border ring step and corner spikes; shading correlation of the image with its own hillshade;
- relief of "mountains" / "plains" with four-part prompts for all 15 biomes (2 seeds each): how
  many reach 3x, and the median ratio;
- aridity and snow cover of the deserts and tropical rainforests among those terrains;
- seconds per terrain (one call per prompt, this machine's threads).
mesa-tiny's guidance (sampling_defaults.json) was chosen from this table (docs/mesa_tiny.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import asdict

import numpy as np

from mesa.evaluation.adherence import RELIEF_RATIO_TARGET
from mesa.evaluation.borders import border_artefacts
from mesa.evaluation.coupling import coupling
from mesa.evaluation.elevation_statistics import relief_m
from mesa.evaluation.image_statistics import aridity, snow_cover
from mesa.evaluation.prompt_cases import landform_cases
from mesa.evaluation.references import synthetic_reference
from mesa.evaluation.scorecard import realism_section
from mesa.pipeline.pipeline import SamplingDefaults, TerrainPipeline

DEFAULT_SETTINGS = ("dpm++:50:7.5", "dpm++:25:7.5", "dpm++:25:4", "dpm++:25:2.5", "dpm++:25:2")
SEEDS = (0, 1)
PARTITIONS = 8  # random halvings of the realism protocol (the scorecard default is more; this is a sweep)


def parse_setting(text: str) -> SamplingDefaults:
    try:
        sampler, steps, guidance, *overscan = text.split(":")
        if len(overscan) > 1:
            raise ValueError(text)
        return SamplingDefaults(sampler, int(steps), float(guidance), int(overscan[0]) if overscan else 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SAMPLER:STEPS:GUIDANCE[:OVERSCAN] (e.g. dpm++:25:2 or "
                                         f"unipc:20:1.5:16), got {text!r}") from None


def measure(pipe: TerrainPipeline, settings: SamplingDefaults, reference) -> dict:
    """The figures of one setting (see the module docstring)."""
    def run(prompt: str, seeds) -> list:
        return pipe(prompt, seeds=list(seeds), steps=settings.steps, guidance=settings.guidance,
                    sampler=settings.sampler, overscan=settings.overscan)

    started, made = time.perf_counter(), 0
    generated = [run(tile.prompt, [number])[0] for number, tile in enumerate(reference.terrains)]
    made += len(generated)
    reliefs: dict[int, dict[str, float]] = {}
    colour: dict[str, list] = {}
    for case in landform_cases(("full",)):
        if case.parts.landform not in ("plains", "mountains"):
            continue
        terrains = run(case.prompt, SEEDS)
        made += len(terrains)
        reliefs.setdefault(case.biome_id, {})[case.parts.landform] = float(np.median([relief_m(t.elevation_m)
                                                                                     for t in terrains]))
        colour.setdefault(case.parts.biome, []).extend((aridity(t.rgb), snow_cover(t.rgb)) for t in terrains)
    seconds = (time.perf_counter() - started) / made
    ratios = [r["mountains"] / max(r["plains"], 1.0) for r in reliefs.values()]
    realism = realism_section(generated, reference.terrains, PARTITIONS)
    borders = border_artefacts(generated)
    desert, rainforest = np.mean(colour["deserts"], axis=0), np.mean(colour["tropical rainforests"], axis=0)
    return {
        **asdict(settings),
        "realism_distance": realism["distance"], "noise_floor": realism["noise_floor"], "ratio": realism["ratio"],
        "elevation_group_ratio": realism["groups"]["elevation"]["distance"] / realism["groups"]["elevation"]["noise_floor"],
        "image_group_ratio": realism["groups"]["image"]["distance"] / realism["groups"]["image"]["noise_floor"],
        "ring_step_abs_m": borders.ring_step_abs_m, "corner_spike_share": borders.corner_spike_share,
        "shading": coupling(generated).shading,
        "biomes_mountains_3x_plains": int(sum(ratio >= RELIEF_RATIO_TARGET for ratio in ratios)),
        "median_mountains_to_plains": float(np.median(ratios)),
        "mean_relief_m": float(np.mean([relief_m(t.elevation_m) for t in generated])),
        "aridity_deserts_minus_rainforests": float(desert[0] - rainforest[0]),
        "snow_cover_deserts": float(desert[1]),
        "seconds_per_terrain": seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mesa-tiny", help="bundled name or MESA-layout folder")
    parser.add_argument("--tiles", type=int, default=32, help="held-out synthetic reference tiles (>= 4)")
    parser.add_argument("--settings", nargs="+", type=parse_setting, default=[parse_setting(s) for s in DEFAULT_SETTINGS],
                        metavar="SAMPLER:STEPS:GUIDANCE")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args()
    if args.tiles < 4:
        parser.error("--tiles must be at least 4")
    logging.disable(logging.WARNING)
    pipe = TerrainPipeline.from_pretrained(args.model)
    reference = synthetic_reference(args.tiles, 4, pipe.native_size, pipe.meters_per_pixel, 0, 1)
    reference_borders = border_artefacts(reference.terrains)
    print(f"reference ({args.tiles} held-out tiles): ring step {reference_borders.ring_step_abs_m:.1f} m, corner spikes "
          f"{reference_borders.corner_spike_share:.0%}, shading {coupling(reference.terrains).shading:.2f}, "
          f"mean relief {np.mean([relief_m(t.elevation_m) for t in reference.terrains]):.0f} m")
    rows = []
    columns = ("sampler", "steps", "guidance", "overscan", "ratio", "ring_step_abs_m", "corner_spike_share", "shading",
               "biomes_mountains_3x_plains", "median_mountains_to_plains", "mean_relief_m",
               "aridity_deserts_minus_rainforests", "snow_cover_deserts", "seconds_per_terrain")
    print(" | ".join(columns))
    for settings in args.settings:
        row = measure(pipe, settings, reference)
        rows.append(row)
        print(" | ".join(f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c]) for c in columns), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
