"""What a model's colour prior does to the season and the biome colours, against the same model without it.

    .venv/bin/python -m benchmarks.colour_prior_mesa_tiny [--model mesa-tiny] [--seeds 8] [--from-timestep 850 500]

The scorecard's season cases (broadleaf forests, conifer forests and rock and ice, each in a northern
and a southern country, in January and July) and its biome contrasts for tropical rainforests, deserts
and rock and ice (four-part prompts, four landforms), at the model's defaults, on `--seeds` seeds, in
one process: first the model with its colour prior disabled (the baseline), then with it, once per
`--from-timestep` (where steering stops; the prior's own when not given). Prints per run the season
snow (winter - summer) and greenness (summer - winter, vegetated biomes), the aridity, greenness and
snow contrasts (mean, share of positive pairs, mean in reference standard deviations of 16 held-out
tiles) and per place, and each effect's difference from the baseline.

mesa-tiny v2.4, 8 seeds (docs/mesa_tiny.md, v2.4): without the prior snow / greenness +0.000 /
+0.000; with it +0.126 (92 %) / +0.141 (every pair); aridity +0.060 (72 %). mesa-tiny-fast with its
teacher's prior: +0.088 (75 %) / +0.149.
"""

from __future__ import annotations

import argparse
import time

from mesa.evaluation.references import synthetic_reference
from mesa.evaluation.scorecard import Plan, run_scorecard
from mesa.pipeline import TerrainPipeline

BIOMES = (1, 13, 15)  # the contrasts' tropical rainforests, deserts, rock and ice
EFFECTS = (("season", "snow_winter_minus_summer"), ("season", "greenness_summer_minus_winter"),
           ("contrast", "aridity"), ("contrast", "greenness"), ("contrast", "snow_cover"))


def measure(pipe: TerrainPipeline, reference, seeds: int) -> dict:
    plan = Plan(seeds=seeds, forms=("full",), biome_ids=BIOMES, season=True, prompts=(), sheet_rows=1,
                speed_repeats=1)
    adherence = run_scorecard(pipe, reference, pipe.defaults, plan).scorecard["adherence"]
    effects = {}
    for kind, name in EFFECTS:
        spread = adherence["season"][name] if kind == "season" else adherence["biome"]["contrasts"][name]
        effects[f"{kind} {name}"] = spread
    return {"effects": effects, "per_place": adherence["season"]["per_place"]}


def report(label: str, figures: dict, baseline: dict | None) -> None:
    print(f"\n{label}")
    for name, spread in figures["effects"].items():
        versus = "" if baseline is None else f"  ({spread['mean'] - baseline['effects'][name]['mean']:+.3f} vs no prior)"
        print(f"  {name:42s} {spread['mean']:+.3f} on {100 * spread['share_positive']:3.0f} % of "
              f"{spread['count']} pairs, {spread['mean_in_reference_sd']:.2f} sd, holds {spread['holds']}{versus}")
    for place, values in figures["per_place"].items():
        print(f"    {place:34s} snow {values['snow_winter_minus_summer']:+.3f}  "
              f"greenness {values['greenness_summer_minus_winter']:+.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.colour_prior_mesa_tiny", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mesa-tiny")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--from-timestep", type=int, nargs="*", default=[])
    args = parser.parse_args(argv)
    pipe = TerrainPipeline.from_pretrained(args.model)
    prior = pipe.components.colour_prior
    if prior is None:
        parser.error(f"{args.model} has no colour prior (colour_prior/)")
    reference = synthetic_reference(16, 16, pipe.native_size, pipe.meters_per_pixel, 12345, 1)
    started = time.perf_counter()
    pipe.components.colour_prior = None
    baseline = measure(pipe, reference, args.seeds)
    pipe.components.colour_prior = prior
    report(f"{args.model} without its colour prior", baseline, None)
    own = prior.from_timestep
    for from_timestep in args.from_timestep or [own]:
        prior.from_timestep = from_timestep
        report(f"{args.model} with its colour prior, steered at t >= {from_timestep}",
               measure(pipe, reference, args.seeds), baseline)
    prior.from_timestep = own
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
