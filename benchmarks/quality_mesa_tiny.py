"""Quality of the bundled mesa-tiny model: prompt response, shading, diversity, steps, speed.

    .venv/bin/python -m benchmarks.quality_mesa_tiny [--model mesa-tiny] [--seeds 8] [--guidance G] [--overscan PX]
                                                     [--write]

1. Steps table: DDIM, DPM++ and UniPC at 10/20/25/50 steps against a 200-step DDIM reference on
   the same seeds (RMS error of elevation_m and colour), at --guidance (default: the model's
   sampling_defaults.json; its value is chosen with the scorecard, `python -m mesa evaluate
   --guidance`, see docs/mesa_tiny.md) and --overscan (default: the model's); the default sampler and steps are the fewest steps within
   tolerance (elevation error under 2% of the mountains' relief, colour error under 0.03).
2. At the default settings, over --seeds seeds per prompt: relief of "mountains" vs "plains",
   greenness of forest vs desert, snow cover of January vs July tundra, shading correlation
   (and a shuffled-elevation null), smallest difference between two seeds.
3. Seconds per terrain at the default settings (one seed, this machine's threads).
With --write, the figures go to <model>/quality.json and <model>/sampling_defaults.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import asdict
from pathlib import Path

import torch


from mesa.pipeline.pipeline import TerrainPipeline
from mesa.pipeline.pipeline import SamplingDefaults
from recipes.mesa_tiny.quality import (PROMPTS, choose_default, prompt_figures, relations, seconds_per_terrain,
                               steps_table)

RGB_TOLERANCE = 0.03
ELEVATION_TOLERANCE_OF_RELIEF = 0.02


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="mesa-tiny", help="bundled name or MESA-layout folder")
    parser.add_argument("--seeds", type=int, default=8, help="seeds per prompt (at least 6)")
    parser.add_argument("--table-seeds", type=int, default=6, help="seeds per prompt in the steps table")
    parser.add_argument("--guidance", type=float, default=None,
                        help="guidance scale of every setting (default: the model's sampling_defaults.json)")
    parser.add_argument("--overscan", type=int, default=None,
                        help="pixels sampled beyond each edge and cropped, every setting (default: the model's)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (the README's figures are CPU)")
    parser.add_argument("--write", action="store_true", help="write quality.json beside the model")
    args = parser.parse_args()
    if args.seeds < 6:
        parser.error("--seeds must be at least 6")
    logging.disable(logging.WARNING)
    pipeline = TerrainPipeline.from_pretrained(args.model, device=args.device)
    guidance = pipeline.defaults.guidance if args.guidance is None else args.guidance
    if not guidance >= 1.0:
        parser.error(f"--guidance must be at least 1 (1: no guidance), got {guidance}")
    overscan = pipeline.defaults.overscan if args.overscan is None else args.overscan
    started = time.perf_counter()

    table_prompts = [PROMPTS["mountains"], PROMPTS["forest"]]
    rows = steps_table(pipeline, table_prompts, list(range(args.table_seeds)), guidance, overscan)
    probe = prompt_figures(pipeline, list(range(6)), SamplingDefaults("ddim", 50, guidance, overscan))
    tolerance_m = ELEVATION_TOLERANCE_OF_RELIEF * probe["mountains"]["relief_m"]
    default = choose_default(rows, tolerance_m, RGB_TOLERANCE)
    settings = SamplingDefaults(default["sampler"], default["steps"], guidance, overscan)
    print(f"{'sampler':8} {'steps':>5} {'elev RMSE m':>11} {'rgb RMSE':>9} {'s/terrain':>9}   (vs 200-step DDIM)")
    for row in rows:
        mark = "  <- default" if row is default else ""
        print(f"{row['sampler']:8} {row['steps']:>5} {row['elevation_rmse_m']:>11.1f} {row['rgb_rmse']:>9.4f} "
              f"{row['seconds_per_terrain_batched']:>9.3f}{mark}")
    print(f"tolerance: elevation {tolerance_m:.1f} m (2% of the mountains' relief), colour {RGB_TOLERANCE}")

    seeds = list(range(100, 100 + args.seeds))
    figures = prompt_figures(pipeline, seeds, settings)
    headline = relations(figures)
    seconds = seconds_per_terrain(pipeline, settings)
    print(f"\nper prompt, {args.seeds} seeds, {settings}:")
    for name, values in figures.items():
        print(f"  {name:15} " + "  ".join(f"{key}={value:.3f}" for key, value in values.items()))
    print("\nrelations:")
    for name, value in headline.items():
        print(f"  {name}: {value:.3f}")
    print(f"seconds per terrain ({torch.get_num_threads()} threads): {seconds:.2f}")
    print(f"(benchmark took {time.perf_counter() - started:.0f} s)")

    if args.write:
        result = {"model": args.model, "seeds": args.seeds, "settings": asdict(settings), "prompts": PROMPTS,
                  "figures": {**{k: round(v, 4) for k, v in headline.items()},
                              "seconds_per_terrain": round(seconds, 3), "threads": torch.get_num_threads()},
                  "per_prompt": figures, "steps_table": rows,
                  "steps_table_tolerance": {"elevation_m": tolerance_m, "rgb": RGB_TOLERANCE}}
        model_dir = pipeline.components.model_dir
        (model_dir / "quality.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        (model_dir / "sampling_defaults.json").write_text(json.dumps(asdict(settings), indent=2) + "\n",
                                                          encoding="utf-8")
        print(f"wrote {Path(model_dir) / 'quality.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
