"""Worlds benchmark on the bundled mesa-tiny (128 px tiles at 60 m/px): seams, cost against area, and how
far the decode tiles of a fused world disagree before and after the per-window level fit.

    OMP_NUM_THREADS=2 .venv/bin/python -m benchmarks.bench_world                       # everything
    OMP_NUM_THREADS=2 .venv/bin/python -m benchmarks.bench_world --section seams --seeds 3

Sections:
  seams      seam score (mean |difference| across tile borders / within an eighth of a tile of them;
             1.0 = invisible, `mesa.world.seams`) of elevation and colour for 2 x 2 worlds fused at 0.5
             overlap, against naively placed independent tiles (overlap 0: the same cells, the same
             noise, one window each) in the same run, and a control on lines that are neither tile
             borders nor window edges (what the statistic reads with no seam at all); a painted
             landform map; extensions (a terrain grown east, a world grown south) at their boundary.
  scaling    wall and process CPU seconds and peak memory for 1 x 1 ... 4 x 4 worlds, each in a fresh
             subprocess on --threads threads, per km^2 and as a ratio to the 1 x 1 world, beside the
             same cells as independent tiles and the memory estimate `plan_world` checks.
  agreement  each window of a fused world decoded on its own: RMS disagreement of neighbouring
             windows in their overlaps (metres), before and after the per-window level fit, and the
             fitted offsets.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np
import torch

PROMPTS = (
    "A Sentinel-2 image of montane forests and mountains in Mexico in August",
    "A Sentinel-2 image of temperate grasslands and hills in Argentina in January",
)
LANDFORM_MAP = [["A Sentinel-2 image of temperate grasslands and plains in Argentina in January",
                 "A Sentinel-2 image of tundra and mountains in Canada in July"]]
STEPS = 20
SAMPLER = "unipc"

PROBE = r"""
import json, resource, sys, time, torch
threads, columns, steps, sampler = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(threads)
from mesa.pipeline import TerrainPipeline
from mesa.world import generate_world, plan_world
pipe = TerrainPipeline.from_pretrained("mesa-tiny")
prompt = "A Sentinel-2 image of montane forests and mountains in Mexico in August"
generate_world(pipe, prompt, 0, tiles=(1, 1), steps=2, sampler=sampler)  # warm up
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
figures = {}
for overlap in (0.5, 0.0):
    base = peak(); wall, cpu = time.perf_counter(), time.process_time()
    world = generate_world(pipe, prompt, 7, tiles=(columns, columns), overlap=overlap, steps=steps, sampler=sampler)
    figures[str(overlap)] = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                             "peak_growth_bytes": peak() - base, "peak_bytes": peak(),
                             "windows": len(world.layout.windows),
                             "area_km2": world.area_km2}
figures["estimate_bytes"] = plan_world(pipe, prompt, 7, tiles=(columns, columns), steps=steps,
                                       sampler=sampler).estimate_bytes
print(json.dumps(figures))
"""


def load():
    from mesa.pipeline import TerrainPipeline

    return TerrainPipeline.from_pretrained("mesa-tiny")


def control_lines(size: int, tile_px: int) -> list[int]:
    """Lines a quarter tile off every window edge (window edges lie every half tile)."""
    return list(range(tile_px // 4, size - 1, tile_px // 2))


def scores(world) -> dict:
    from mesa.world.seams import BAND_FRACTION, seam_score, tile_seam_scores

    tile = world.tile_px
    borders = tile_seam_scores(world.rgb, world.elevation_m, tile)
    height, width = world.elevation_m.shape
    band = tile // BAND_FRACTION
    columns, rows = control_lines(width, tile), control_lines(height, tile)
    return {"elevation": borders.elevation, "colour": borders.colour,
            "control_elevation": seam_score(world.elevation_m, columns, rows, band),
            "control_colour": seam_score(world.rgb, columns, rows, band)}


def mean_scores(rows: list[dict]) -> dict:
    return {key: float(np.mean([row[key] for row in rows])) for key in rows[0]}


def bench_seams(pipe, seeds: int, tiles: int) -> dict:
    from mesa.world import extend_world, generate_world
    from mesa.world.seams import BAND_FRACTION, seam_score

    fused, naive = [], []
    for prompt in PROMPTS:
        for seed in range(seeds):
            for overlap, rows in ((0.5, fused), (0.0, naive)):
                world = generate_world(pipe, prompt, seed, tiles=(tiles, tiles), overlap=overlap, steps=STEPS,
                                       sampler=SAMPLER)
                rows.append(scores(world))
    figures = {"fused": mean_scores(fused), "naive": mean_scores(naive), "worlds": len(fused)}
    painted = [scores(generate_world(pipe, LANDFORM_MAP, 0, tiles=(2, 1), overlap=overlap, steps=STEPS,
                                     sampler=SAMPLER)) for overlap in (0.5, 0.0)]
    figures["landform_map"] = {"fused": painted[0], "naive": painted[1]}
    extensions = []
    for seed in range(seeds):
        terrain = pipe(PROMPTS[0], seeds=[seed], steps=STEPS, sampler=SAMPLER)[0]
        grown = extend_world(pipe, terrain, "east")
        band = grown.tile_px // BAND_FRACTION
        row = {"terrain_east_elevation": seam_score(grown.elevation_m, [grown.tile_px], band_px=band),
               "terrain_east_colour": seam_score(grown.rgb, [grown.tile_px], band_px=band)}
        grown = extend_world(pipe, grown, "south")
        row["world_south_elevation"] = seam_score(grown.elevation_m, [], [grown.tile_px], band_px=band)
        row["world_south_colour"] = seam_score(grown.rgb, [], [grown.tile_px], band_px=band)
        other = pipe(PROMPTS[0], seeds=[seed + 100], steps=STEPS, sampler=SAMPLER)[0]
        row["independent_east_elevation"] = seam_score(np.concatenate([terrain.elevation_m, other.elevation_m], 1),
                                                       [terrain.dem.shape[1]], band_px=band)
        row["independent_east_colour"] = seam_score(np.concatenate([terrain.rgb, other.rgb], 1),
                                                    [terrain.dem.shape[1]], band_px=band)
        extensions.append(row)
    figures["extensions"] = mean_scores(extensions)
    return figures


def bench_scaling(threads: int, sizes: tuple[int, ...]) -> dict:
    figures = {}
    for columns in sizes:
        output = subprocess.run([sys.executable, "-c", PROBE, str(threads), str(columns), str(STEPS), SAMPLER],
                                check=True, capture_output=True, text=True).stdout
        figures[f"{columns}x{columns}"] = json.loads(output.strip().splitlines()[-1])
        print(f"  {columns}x{columns}: {figures[f'{columns}x{columns}']}", flush=True)
    return figures


def bench_agreement(pipe, tiles: int) -> dict:
    """Decode every window of a fused world on its own: how far neighbours disagree in their
    overlaps (metres RMS), before and after the level fit the world applies (`mesa.world.levels`)."""
    from mesa.world import generate_world
    from mesa.world.levels import _pair_gaps, fit_window_offsets

    world = generate_world(pipe, PROMPTS[0], 0, tiles=(tiles, tiles), steps=STEPS, sampler=SAMPLER)
    relief_m = world.scales[0].relief_m
    layout, factor = world.layout, world.layout.vae_scale_factor
    latents = torch.from_numpy(world.latents)[None]
    dems = [pipe.decode(latents[:, :, w.latent_slices()[0], w.latent_slices()[1]])[1][0].mean(axis=-1)
            for w in layout.windows]
    offsets = fit_window_offsets(dems, layout.windows, layout.stride, factor)
    levelled = [d + o for d, o in zip(dems, offsets)]

    def pair_rms_m(values) -> float:
        squares = []
        for k, l, _, _ in _pair_gaps(values, layout.windows, layout.stride, factor):
            first, second = layout.windows[k], layout.windows[l]
            top, left = max(first.row, second.row) * factor, max(first.column, second.column) * factor
            bottom = min(first.row + first.size, second.row + second.size) * factor
            right = min(first.column + first.size, second.column + second.size) * factor
            a = values[k][top - first.row * factor:bottom - first.row * factor,
                          left - first.column * factor:right - first.column * factor]
            b = values[l][top - second.row * factor:bottom - second.row * factor,
                          left - second.column * factor:right - second.column * factor]
            squares.append(np.mean((a - b) ** 2))
        return float(np.sqrt(np.mean(squares)) * relief_m)

    return {"windows": len(dems), "pair_rms_m_decoded_alone": pair_rms_m(dems),
            "pair_rms_m_levelled": pair_rms_m(levelled),
            "offsets_m_max": float(np.abs(offsets).max() * relief_m),
            "offsets_m_mean_abs": float(np.abs(offsets).mean() * relief_m),
            "mean_pixel_step_m": float(np.abs(np.diff(world.elevation_m, axis=1)).mean()),
            "elevation_p98_minus_p2_m": float(np.subtract(*np.percentile(world.elevation_m, [98, 2])))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=("seams", "scaling", "agreement", "all"), default="all")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tiles", type=int, default=2, help="columns = rows of the seam worlds")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sizes", default="1,2,3,4")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = {"steps": STEPS, "sampler": SAMPLER, "threads": args.threads}
    start = time.perf_counter()
    if args.section in ("seams", "all"):
        results["seams"] = bench_seams(load(), args.seeds, args.tiles)
        print(json.dumps(results["seams"], indent=1), flush=True)
    if args.section in ("agreement", "all"):
        results["agreement"] = bench_agreement(load(), args.tiles)
        print(json.dumps(results["agreement"], indent=1), flush=True)
    if args.section in ("scaling", "all"):
        results["scaling"] = bench_scaling(args.threads, tuple(int(s) for s in args.sizes.split(",")))
        print_scaling(results["scaling"])
    print(json.dumps(results))
    print(f"benchmark took {time.perf_counter() - start:.0f} s")
    return 0


def print_scaling(scaling: dict) -> None:
    first = next(iter(scaling.values()))["0.5"]
    base = first["cpu_s"] / first["area_km2"]
    print("grid  km2    windows  wall s  cpu s  cpu s/km2  ratio to 1x1  independent cpu s  peak MB  estimate MB")
    for name, row in scaling.items():
        fused, naive = row["0.5"], row["0.0"]
        per_km2 = fused["cpu_s"] / fused["area_km2"]
        print(f"{name:<5} {fused['area_km2']:<6.1f} {fused['windows']:<8} {fused['wall_s']:<7.1f} "
              f"{fused['cpu_s']:<6.1f} {per_km2:<10.3f} {per_km2 / base:<13.2f} {naive['cpu_s']:<18.1f} "
              f"{fused['peak_growth_bytes'] / 2**20:<8.0f} {row['estimate_bytes'] / 2**20:.0f}")


if __name__ == "__main__":
    sys.exit(main())
