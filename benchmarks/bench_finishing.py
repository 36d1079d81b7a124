"""Finishing benchmark: erosion time, sediment conservation, drainage before and after erosion, and
agreement of the colour-read material weights with the synthetic generator's own labels.

    OMP_NUM_THREADS=2 .venv/bin/python -m benchmarks.bench_finishing                  # everything
    OMP_NUM_THREADS=2 .venv/bin/python -m benchmarks.bench_finishing --section erosion --threads 2

Sections:
  erosion    hydraulic (100 iterations), thermal (50) and both (interleaved, 100) on a synthetic
             mountain tile at 1009^2 and 2017^2 (the 1009 tile resampled like an engine preset):
             wall and process CPU seconds on `--threads` CPU threads (CPU seconds with one thread are
             the compute itself, whatever else the machine runs) and on the GPU when there is one,
             ms per iteration per megapixel, conservation error |eroded - deposited - carried out| / eroded.
  drainage   closed depressions before and after each erosion kind on mesa-tiny terrains (the
             product's own input, four-part prompts) and on noisy synthetic tiles.
  materials  per-class IoU of the dominant material layer against the generator's labels on
             held-out synthetic tiles (mesa.data.split), next to a baseline in the same run that
             guesses from slope and height alone, as engine auto-materials do.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from mesa.data.split import is_held_out
from mesa.data.synthetic import generate_tile, sample_params
from mesa.data.synthetic.colour import MATERIAL_CLASSES
from mesa.finishing import analyse_water, count_closed_depressions, erode, material_weights
from mesa.geometry.resample import resample_bilinear
from mesa.geometry.shading import slope_deg

PROMPTS = (
    "A Sentinel-2 image of montane forests and mountains in Mexico in August",
    "A Sentinel-2 image of deserts and canyons in Egypt in March",
    "A Sentinel-2 image of tundra and hills in Canada in July",
    "A Sentinel-2 image of temperate grasslands and plains in Argentina in January",
)
MOUNTAIN_INDEX = 2
"""Synthetic sample (seed 0) used for the timings: 'mountains', 1167 m of relief."""


def bench_erosion(threads: int, sizes: tuple[int, ...]) -> None:
    torch.set_num_threads(threads)
    tile = generate_tile(sample_params(0, MOUNTAIN_INDEX), sizes[0])
    base_m, mpp = tile.elevation_m, tile.meters_per_pixel
    erode(base_m[:64, :64], mpp, "hydraulic", strength=0.05)  # warm up torch
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    print(f"\n## Erosion ({threads} CPU threads; GPU: {torch.cuda.get_device_name(0) if len(devices) > 1 else 'none'})")
    print("| size | kind | device | iterations | wall s | CPU s | ms / iteration / Mpx (wall) | eroded m^3 "
          "| max change m | conservation error |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        elevation = base_m if size == sizes[0] else resample_bilinear(base_m, size, size, dtype=np.float32)
        spacing = mpp * (sizes[0] - 1) / (size - 1)
        for kind in ("hydraulic", "thermal", "hydraulic+thermal"):
            for device in devices:
                start, cpu_start = time.perf_counter(), time.process_time()
                result = erode(elevation, spacing, kind, device=device)
                seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
                per = seconds * 1000 / result.iterations / (size * size / 1e6)
                print(f"| {size}^2 | {kind} | {device} | {result.iterations} | {seconds:.2f} | {cpu_seconds:.2f} "
                      f"| {per:.1f} | {result.eroded_m3:.3g} | {result.max_change_m:.1f} "
                      f"| {result.conservation_error:.1e} |")


def _generated_terrains(seeds: tuple[int, ...]) -> list:
    from mesa.pipeline import TerrainPipeline

    pipe = TerrainPipeline.from_pretrained("mesa-tiny")
    return [terrain for prompt in PROMPTS for terrain in pipe(prompt, seeds=list(seeds))]


def bench_drainage(seeds: tuple[int, ...], noisy_tiles: int) -> None:
    cases = [(f"mesa-tiny: {t.prompt.removeprefix('A Sentinel-2 image of ')}, seed {t.seed}", t.elevation_m,
              t.meters_per_pixel)
             for t in _generated_terrains(seeds)]
    rng = np.random.default_rng(0)
    for index in range(noisy_tiles):
        tile = generate_tile(sample_params(0, index), 256)
        noisy = tile.elevation_m + rng.normal(0.0, 1.0, tile.elevation_m.shape).astype(np.float32)
        cases.append((f"synthetic {index} + 1 m noise, 256^2", noisy, tile.meters_per_pixel))
    kinds = ("hydraulic", "thermal", "hydraulic+thermal")
    print("\n## Closed depressions (8-connected groups raised > 1 cm by filling), before -> after")
    print("| terrain | before | " + " | ".join(kinds) + " |")
    print("|---|---|" + "---|" * len(kinds))
    totals = np.zeros(len(kinds) + 1, np.int64)
    for name, elevation, mpp in cases:
        counts = [count_closed_depressions(elevation)]
        counts += [count_closed_depressions(erode(elevation, mpp, kind).elevation_m) for kind in kinds]
        totals += counts
        print(f"| {name} | " + " | ".join(str(c) for c in counts) + " |")
    print("| **total** | " + " | ".join(f"**{c}**" for c in totals) + " |")


def slope_height_baseline(elevation_m: np.ndarray, meters_per_pixel: float) -> np.ndarray:
    """(H, W) class index into MATERIAL_CLASSES from terrain alone: water where the water analysis
    finds standing water, rock above 35 degrees, snow in the top 15 % of the height range, else grass."""
    water = analyse_water(elevation_m, meters_per_pixel, sea_level_m=0.0)
    height = (elevation_m - elevation_m.min()) / max(float(np.ptp(elevation_m)), 1e-6)
    label = np.full(elevation_m.shape, MATERIAL_CLASSES.index("grass"), np.uint8)
    label[height > 0.85] = MATERIAL_CLASSES.index("snow")
    label[slope_deg(elevation_m, meters_per_pixel) > 35.0] = MATERIAL_CLASSES.index("rock")
    label[water.standing] = MATERIAL_CLASSES.index("water")
    return label


def bench_materials(tiles: int, resolution: int) -> None:
    held_out = [i for i in range(50 * tiles) if is_held_out(f"synthetic-0-{i}")][:tiles]
    classes = len(MATERIAL_CLASSES)
    ours = np.zeros((classes, classes), np.int64)
    baseline = np.zeros_like(ours)
    seconds = 0.0
    for index in held_out:
        tile = generate_tile(sample_params(0, index), resolution)
        rgb = np.rint(tile.rgb * 255.0).astype(np.uint8)
        start = time.perf_counter()
        weights = material_weights(rgb, tile.elevation_m, tile.meters_per_pixel)
        seconds += time.perf_counter() - start
        to_class = np.array([MATERIAL_CLASSES.index(name) for name in weights.layers])
        ours += _confusion(tile.materials, to_class[weights.dominant()], classes)
        baseline += _confusion(tile.materials, slope_height_baseline(tile.elevation_m, tile.meters_per_pixel), classes)
    print(f"\n## Material IoU on {len(held_out)} held-out synthetic tiles ({resolution}^2, seed 0)")
    print(f"material_weights: {seconds / len(held_out) * 1000:.0f} ms per tile")
    print("| class | pixels | IoU (colour + terrain) | IoU (slope + height baseline) |")
    print("|---|---|---|---|")
    for k, name in enumerate(MATERIAL_CLASSES):
        print(f"| {name} | {ours[k].sum() / ours.sum():.1%} | {_iou(ours)[k]:.3f} | {_iou(baseline)[k]:.3f} |")
    print(f"| **mean** | | **{_iou(ours).mean():.3f}** | **{_iou(baseline).mean():.3f}** |")
    print(f"| pixel accuracy | | {np.trace(ours) / ours.sum():.3f} | {np.trace(baseline) / baseline.sum():.3f} |")


def _confusion(truth: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    return np.bincount(truth.ravel() * classes + predicted.ravel(), minlength=classes**2).reshape(classes, classes)


def _iou(confusion: np.ndarray) -> np.ndarray:
    hits = np.diag(confusion)
    return hits / np.maximum(confusion.sum(0) + confusion.sum(1) - hits, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--section", choices=("all", "erosion", "drainage", "materials"), default="all")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads for the erosion timings")
    parser.add_argument("--sizes", default="1009,2017", help="erosion grid sizes, the first one generated")
    parser.add_argument("--tiles", type=int, default=200, help="held-out tiles for the material IoU")
    parser.add_argument("--seeds", default="1,2", help="mesa-tiny seeds per prompt for the drainage figures")
    args = parser.parse_args()
    if args.section in ("all", "erosion"):
        bench_erosion(args.threads, tuple(int(s) for s in args.sizes.split(",")))
    if args.section in ("all", "drainage"):
        bench_drainage(tuple(int(s) for s in args.seeds.split(",")), noisy_tiles=4)
    if args.section in ("all", "materials"):
        bench_materials(args.tiles, 128)


if __name__ == "__main__":
    main()
