"""Spatial control benchmark on the bundled mesa-tiny model: texture, guide and repaint figures.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.bench_control [--section texture|guide|repaint|all]
        [--tiles 6] [--seeds 2] [--ablation]

Inputs are what users bring: held-out synthetic tiles (`SyntheticTerrainDataset(128, ..., seed=0)`,
indices past the 2,000 mesa-tiny trained on, in held-out grid cells of `mesa.data.split`) as their
heightmaps, with their four-part captions as prompts; procedurally drawn sketches; terrains
mesa-tiny generated from four-part prompts. Every figure is printed next to a baseline from the
same run.

  texture   returned elevation == input (bit for bit); shading correlation of the new image with
            the input's hillshade under the data's sun (recipes' `shading_correlation`, as the
            README's r = 0.26 of free generation), against: the tile's own image, the same image
            against another tile's hillshade (null), and free generation with the same prompt and
            seed scored on its own elevation. --ablation adds hold only / + relief guidance /
            + relit restart.
  guide     low-pass correlation with the guide at strengths 0 (baseline), 0.25, 0.5, 0.75, 1 for
            coarse heightmaps (a tile's elevation shrunk to 16 x 16) and sketches; ridge and
            valley IoU against the sketch's lines; seed difference (RMS of the two seeds'
            elevation, share of the relief).
  repaint   max change outside the mask (rgb, elevation), border ratio (gradient on the mask's
            border / elsewhere) for elevation and colour, against a naive paste of a fresh
            terrain without holding or feathering.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import torch

from mesa.control import (
    follow_guide,
    guide_from_heightmap,
    guide_from_sketch,
    repaint,
    texture_heightmap,
)
from mesa.control.measures import (
    border_ratio,
    line_iou,
    lowpass_correlation,
    max_change_outside,
)
from mesa.data.split import is_held_out
from mesa.data.synthetic import SyntheticTerrainDataset
from mesa.pipeline import TerrainPipeline
from recipes.mesa_tiny.quality import shading_correlation

TRAINED_TILES = 2000  # recipes/mesa_tiny/configs/recipe.json "tiles"
STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)
REPAINT_PROMPTS = (
    ("A Sentinel-2 image of montane forests and mountains in Mexico in August",
     "A Sentinel-2 image of deserts and canyons in Mexico in August"),
    ("A Sentinel-2 image of temperate grasslands and plains in Argentina in January",
     "A Sentinel-2 image of temperate grasslands and hills in Argentina in January"),
    ("A Sentinel-2 image of tundra and hills in Canada in July",
     "A Sentinel-2 image of tundra and hills in Canada in July"),
    ("A Sentinel-2 image of deserts and dunes in Egypt in March",
     "A Sentinel-2 image of deserts and mountains in Egypt in March"),
)
SKETCH_PROMPT = "A Sentinel-2 image of temperate broadleaf forests and mountains in France in June"


def held_out_tiles(count: int) -> tuple[SyntheticTerrainDataset, list[int]]:
    """A dataset and `count` indices mesa-tiny never saw (past its tiles, held-out cells)."""
    dataset = SyntheticTerrainDataset(128, TRAINED_TILES + 5000, seed=0, split="all")
    indices = [i for i in range(TRAINED_TILES, len(dataset)) if is_held_out(dataset.sample_params(i).grid_cell)]
    return dataset, indices[:count]


def bench_texture(pipe: TerrainPipeline, tiles: int, ablation: bool) -> None:
    dataset, indices = held_out_tiles(tiles)
    variants = {"default (hold + relief guidance 3 + relit restart 0.7)": {}}
    if ablation:
        variants.update({"hold only": {"relief_guidance": 0.0, "relit_strength": None},
                         "hold + relief guidance 3": {"relit_strength": None},
                         "hold + relit restart 0.7": {"relief_guidance": 0.0}})
    print("\n## Texture a heightmap (mesa-tiny, default sampler and steps, seed 1)")
    print("| tile | prompt | relief m | variant | elevation returned exactly | shading r | null r | tile's own "
          "image r | free generation r | s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    scores: dict[str, list[float]] = {name: [] for name in variants}
    baselines = {"null": [], "data": [], "free": []}
    for position, index in enumerate(indices):
        tile = dataset.terrain(index)
        other = dataset.terrain(indices[(position + 1) % len(indices)])
        free = pipe(tile.prompt, seeds=[1])[0]
        baselines["data"].append(shading_correlation(tile))
        baselines["free"].append(shading_correlation(free))
        for name, options in variants.items():
            started = time.perf_counter()
            result = texture_heightmap(pipe, tile.elevation_m, tile.meters_per_pixel, tile.prompt, [1], **options)[0]
            seconds = time.perf_counter() - started
            exact = result.elevation_m.tobytes() == tile.elevation_m.tobytes()
            score, null = shading_correlation(result, tile.elevation_m), shading_correlation(result, other.elevation_m)
            scores[name].append(score)
            if name == next(iter(variants)):
                baselines["null"].append(null)
            print(f"| {index} | {tile.prompt.removeprefix('A Sentinel-2 image of ')} | {np.ptp(tile.elevation_m):.0f} "
                  f"| {name} | {exact} | {score:.3f} | {null:.3f} | {baselines['data'][-1]:.3f} | "
                  f"{baselines['free'][-1]:.3f} | {seconds:.1f} |", flush=True)
    print("\nmean shading correlation over the tiles:")
    for name, values in scores.items():
        print(f"  {name}: {np.mean(values):.3f}")
    print(f"  null (image vs another tile's hillshade): {np.mean(baselines['null']):.3f}")
    print(f"  the tiles' own images: {np.mean(baselines['data']):.3f}")
    print(f"  free generation, same prompts and seed, on its own elevation: {np.mean(baselines['free']):.3f}")


def draw_sketch(index: int, size: int = 128) -> np.ndarray:
    """An RGB sketch: a grey slope, one red ridge and one blue valley along smooth curves."""
    rng = np.random.default_rng(index)
    rows, columns = np.mgrid[0:size, 0:size] / (size - 1)
    angle = rng.uniform(0, 2 * np.pi)
    slope = 0.5 + 0.25 * (np.cos(angle) * (columns - 0.5) + np.sin(angle) * (rows - 0.5))
    sketch = np.repeat(np.round(slope * 255).astype(np.uint8)[..., None], 3, -1)
    t = np.linspace(0.1, 0.9, 400)
    for colour, centre in (((255, 0, 0), rng.uniform(0.25, 0.4)), ((0, 0, 255), rng.uniform(0.6, 0.75))):
        wave = centre + 0.08 * np.sin(2 * np.pi * (t * rng.uniform(0.6, 1.4) + rng.uniform(0, 1)))
        points = np.stack([wave, t], -1) if index % 2 else np.stack([t, wave], -1)
        for row, column in np.round(points * (size - 1)).astype(int):
            sketch[max(row - 1, 0):row + 2, max(column - 1, 0):column + 2] = colour
    return sketch


def bench_guide(pipe: TerrainPipeline, tiles: int, seeds: int) -> None:
    dataset, indices = held_out_tiles(tiles)
    guides = []
    for index in indices:
        tile = dataset.terrain(index)
        coarse = tile.elevation_m[4::8, 4::8]  # 16 x 16: a blockout
        guides.append((f"tile {index} at 16 px", guide_from_heightmap(coarse), tile.prompt))
    for index in range(tiles):
        guides.append((f"sketch {index}", guide_from_sketch(draw_sketch(index)), SKETCH_PROMPT))
    seed_list = list(range(1, seeds + 1))
    print(f"\n## Follow a guide (mesa-tiny, default sampler and steps, seeds {seed_list})")
    print("| guide | strength | low-pass r | ridge IoU | valley IoU | seed difference / relief | s per terrain |")
    print("|---|---|---|---|---|---|---|")
    table: dict[tuple[str, float], list[list[float]]] = {}
    for name, guide, prompt in guides:
        reference = np.asarray(guide.heights01, np.float64)
        for strength in STRENGTHS:
            started = time.perf_counter()
            results = follow_guide(pipe, guide, strength, prompt, seed_list)
            seconds = (time.perf_counter() - started) / len(results)
            fitted = reference if reference.shape == results[0].dem.shape else \
                _fit(reference, results[0].dem.shape)
            correlation = np.mean([lowpass_correlation(r.elevation_m, fitted) for r in results])
            ridge = valley = float("nan")
            if guide.source == "sketch":
                ridge = np.mean([line_iou(r.elevation_m, guide.ridges, "ridge") for r in results])
                valley = np.mean([line_iou(r.elevation_m, guide.valleys, "valley") for r in results])
            difference = np.sqrt(np.mean((results[0].elevation_m - results[-1].elevation_m) ** 2))
            relative = difference / max(np.ptp(results[0].elevation_m), 1e-6)
            kind = "sketch" if guide.source == "sketch" else "heightmap"
            table.setdefault((kind, strength), []).append([correlation, ridge, valley, relative])
            print(f"| {name} | {strength} | {correlation:.3f} | {ridge:.3f} | {valley:.3f} | {relative:.3f} | "
                  f"{seconds:.1f} |", flush=True)
    print("\nmeans per kind and strength (low-pass r, ridge IoU, valley IoU, seed difference / relief):")
    for (kind, strength), rows in table.items():
        values = np.nanmean(np.array(rows, dtype=np.float64), axis=0) if kind == "sketch" else \
            np.mean(np.array(rows, dtype=np.float64), axis=0)
        print(f"  {kind:9} {strength:4}: " + "  ".join(f"{v:.3f}" for v in values))


def _fit(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from mesa.control.grid import resample_field

    return resample_field(values, *shape)


def disc_mask(size: int, centre: tuple[float, float], radius: float) -> np.ndarray:
    rows, columns = np.mgrid[0:size, 0:size]
    return (rows - centre[0]) ** 2 + (columns - centre[1]) ** 2 <= radius**2


def bench_repaint(pipe: TerrainPipeline) -> None:
    size = pipe.native_size
    masks = {"disc r=24": disc_mask(size, (0.5 * size, 0.45 * size), 24),
             "strip 40 px at the east edge": np.pad(np.ones((size, 40), bool), ((0, 0), (size - 40, 0)))}
    print("\n## Repaint a region (mesa-tiny, default sampler and steps; original seed 7, new seed 11)")
    print("| prompt -> new prompt | mask | max change outside (rgb, m) | border ratio elevation | border ratio "
          "colour | naive paste: elevation, colour | mean change inside m | s |")
    print("|---|---|---|---|---|---|---|---|")
    ratios, naive_ratios = [], []
    for prompt, new_prompt in REPAINT_PROMPTS:
        original = pipe(prompt, seeds=[7])[0]
        fresh = pipe(new_prompt, seeds=[11])[0]
        for name, mask in masks.items():
            started = time.perf_counter()
            result = repaint(pipe, original, mask, new_prompt, [11])[0]
            seconds = time.perf_counter() - started
            outside = (max_change_outside(original.rgb, result.rgb, mask),
                       max_change_outside(original.elevation_m, result.elevation_m, mask))
            pasted_m = np.where(mask, fresh.elevation_m, original.elevation_m)
            pasted_rgb = np.where(mask[..., None], fresh.rgb, original.rgb)
            ours = (border_ratio(result.elevation_m, mask), border_ratio(result.rgb, mask))
            naive = (border_ratio(pasted_m, mask), border_ratio(pasted_rgb, mask))
            ratios.append(ours)
            naive_ratios.append(naive)
            inside = float(np.abs(result.elevation_m - original.elevation_m)[mask].mean())
            print(f"| {prompt.removeprefix('A Sentinel-2 image of ')} -> "
                  f"{new_prompt.removeprefix('A Sentinel-2 image of ')} | {name} | {outside[0]:g}, {outside[1]:g} | "
                  f"{ours[0]:.2f} | {ours[1]:.2f} | {naive[0]:.2f}, {naive[1]:.2f} | {inside:.0f} | {seconds:.1f} |",
                  flush=True)
    print(f"\nborder ratio, mean (max): elevation {np.mean([r[0] for r in ratios]):.2f} "
          f"({max(r[0] for r in ratios):.2f}), colour {np.mean([r[1] for r in ratios]):.2f} "
          f"({max(r[1] for r in ratios):.2f}); naive paste: elevation {np.mean([r[0] for r in naive_ratios]):.2f}, "
          f"colour {np.mean([r[1] for r in naive_ratios]):.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", default="all", choices=("texture", "guide", "repaint", "all"))
    parser.add_argument("--tiles", type=int, default=6, help="held-out tiles (texture), guides of each kind (guide)")
    parser.add_argument("--seeds", type=int, default=2, help="seeds per guide and strength")
    parser.add_argument("--ablation", action="store_true", help="texture: also each part of the method alone")
    parser.add_argument("--model", default="mesa-tiny")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    pipe = TerrainPipeline.from_pretrained(args.model)
    print(f"model {args.model}, {torch.get_num_threads()} CPU thread(s), defaults {pipe.defaults}")
    started = time.perf_counter()
    if args.section in ("texture", "all"):
        bench_texture(pipe, args.tiles, args.ablation)
    if args.section in ("guide", "all"):
        bench_guide(pipe, max(1, args.tiles // 2), args.seeds)
    if args.section in ("repaint", "all"):
        bench_repaint(pipe)
    print(f"\n(benchmark took {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
