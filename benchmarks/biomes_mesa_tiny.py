"""A biome's colour on each landform: generated terrains beside held-out tiles of the same cell.

    .venv/bin/python -m benchmarks.biomes_mesa_tiny [--model mesa-tiny] [--seeds 16] [--tiles 24]
        [--biomes 13 1] [--landforms plains hills mountains "high mountains"]

The scorecard's biome contrasts (aridity of deserts minus tropical rainforests, ...) pool four
landforms over two seeds: 8 pairs, so a check can pass or fail on the draw, and a landform where
the model ignores the biome hides behind the others. This benchmark reads each (biome, landform)
cell apart, over more seeds:

- generated: the scorecard's full-form prompt of the cell (the biome's phrase and first country,
  its midsummer month), `--seeds` seeds; mean relief (98th - 2nd percentile, metres), aridity,
  greenness and snow cover (`mesa.evaluation.image_statistics`), and per landform the contrast of the first biome against the
  second (share of seeds where it is positive, as the scorecard's `holds` reads it);
- held out: `--tiles` tiles of the same cell drawn from the synthetic world's held-out split
  (never trained on), whatever their month and country;
- trained on: how many of the recipe's training terrains (`--train-terrains` of world seed 0's
  train split, as `recipes/mesa_tiny/configs/recipe.json` prepares) fall in the cell, so a cell the
  model gets wrong can be told apart from one it rarely saw.

mesa-tiny v2.5: deserts on mountains are grey and snowy (aridity 0.05 against the held-out cell's
0.18) though the recipe held as many desert mountains (12) as rainforest mountains (12);
docs/mesa_tiny.md, "What the tiles lack". The relief column shows the wet biomes' hills barely above
their plains (`--biomes 1 14 --landforms plains hills`).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from mesa.data.synthetic.dataset import SyntheticTerrainDataset
from mesa.data.synthetic.generate import MIN_RESOLUTION, generate_tile
from mesa.data.synthetic.params import BIOME_SETTINGS, landform_relief
from mesa.evaluation.adherence import DESERT, RAINFOREST
from mesa.evaluation.elevation_statistics import relief_m
from mesa.evaluation.image_statistics import aridity, greenness, snow_cover
from mesa.evaluation.prompt_cases import landform_cases

MEASURES = ("relief_m", "aridity", "greenness", "snow_cover")
LANDFORMS = ("plains", "hills", "mountains", "high mountains")
SEARCH_LIMIT = 200_000  # held-out tiles' parameters looked through for a cell's quota


def cell_measures(rgb: np.ndarray, elevation_m: np.ndarray) -> np.ndarray:
    """(len(MEASURES),) relief (metres), aridity, greenness, snow cover of one tile (colour uint8 or float in [0, 1])."""
    return np.array([relief_m(elevation_m), aridity(rgb), greenness(rgb), snow_cover(rgb)])


def held_out_tiles(cells: Iterable[tuple[int, str]], count: int, resolution: int, seed: int = 0,
                   limit: int = SEARCH_LIMIT) -> dict[tuple[int, str], list[np.ndarray]]:
    """Up to `count` held-out synthetic tiles' measures per (biome id, landform) cell, in
    the world's order (parameters are drawn for every tile looked at, pixels only for those kept)."""
    wanted = {cell: [] for cell in cells}
    world = SyntheticTerrainDataset(resolution=resolution, length=limit, seed=seed, split="val")
    for index in range(limit):
        if all(len(found) >= count for found in wanted.values()):
            break
        params = world.sample_params(index)
        found = wanted.get((params.biome_id, params.landform))
        if found is not None and len(found) < count:
            tile = generate_tile(params, resolution, world.meters_per_pixel)
            found.append(cell_measures(tile.rgb, tile.elevation_m))
    return wanted


def training_counts(terrains: int, seed: int = 0) -> Counter:
    """How many of the first `terrains` training terrains of world `seed` fall in each (biome id, landform)."""
    world = SyntheticTerrainDataset(resolution=MIN_RESOLUTION, length=terrains, seed=seed, split="train")
    return Counter((p.biome_id, p.landform) for p in (world.sample_params(i) for i in range(terrains)))


def contrast(high: np.ndarray, low: np.ndarray) -> tuple[float, float]:
    """(mean, share of positive) of paired differences high - low (the same seeds in the same order)."""
    difference = np.asarray(high, np.float64) - np.asarray(low, np.float64)
    return float(difference.mean()), float(np.mean(difference > 0))


def generated_measures(pipe, biomes: Sequence[int], landforms: Sequence[str],
                       seeds: Sequence[int]) -> dict[tuple[int, str], np.ndarray]:
    """(seeds, len(MEASURES)) per cell, from the scorecard's full-form prompt of the cell."""
    cases = {(c.biome_id, c.parts.landform): c for c in landform_cases(("full",), tuple(biomes))}
    missing = [cell for cell in ((b, lf) for b in biomes for lf in landforms) if cell not in cases]
    if missing:
        raise ValueError(f"no scorecard prompt for cells {missing}; landforms: {LANDFORMS}")
    return {(b, lf): np.stack([cell_measures(t.rgb, t.elevation_m) for t in pipe(cases[(b, lf)].prompt, seeds=list(seeds))])
            for b in biomes for lf in landforms}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.biomes_mesa_tiny", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mesa-tiny")
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--tiles", type=int, default=24, help="held-out tiles per cell")
    parser.add_argument("--biomes", type=int, nargs=2, default=[DESERT, RAINFOREST],
                        help="two biome ids: the contrast is the first minus the second (default: deserts, rainforests)")
    parser.add_argument("--landforms", nargs="+", default=list(LANDFORMS))
    parser.add_argument("--train-terrains", type=int, default=2000)
    args = parser.parse_args(argv)
    if unknown := [b for b in args.biomes if b not in BIOME_SETTINGS]:
        parser.error(f"--biomes: unknown biome id(s) {unknown}; the ids are {min(BIOME_SETTINGS)}..{max(BIOME_SETTINGS)} "
                     "(assets/vocab/biomes.json)")
    if unknown := [lf for lf in args.landforms if lf not in landform_relief()]:
        parser.error(f"--landforms: unknown landform(s) {unknown}; known: {', '.join(landform_relief())}")
    for name in ("seeds", "tiles", "train_terrains"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}")

    from mesa.pipeline import TerrainPipeline

    pipe = TerrainPipeline.from_pretrained(args.model)
    cells = [(b, lf) for b in args.biomes for lf in args.landforms]
    made = generated_measures(pipe, args.biomes, args.landforms, range(args.seeds))
    data = held_out_tiles(cells, args.tiles, pipe.native_size)
    trained = training_counts(args.train_terrains)
    print(f"{args.model}: {args.seeds} seeds per cell; held out: up to {args.tiles} tiles per cell; "
          f"trained on: of {args.train_terrains} terrains")
    print(f"{'biome':>5s} {'landform':15s} {'trained':>7s} {'held':>4s}   "
          + "   ".join(f"{name + ' gen / held':>22s}" for name in MEASURES))
    for cell in cells:
        held = np.array(data[cell]) if data[cell] else np.full((1, len(MEASURES)), np.nan)
        figures = "   ".join(f"{made[cell][:, k].mean():>10.4g} / {held[:, k].mean():<9.4g}" for k in range(len(MEASURES)))
        print(f"{cell[0]:>5d} {cell[1]:15s} {trained[cell]:>7d} {len(data[cell]):>4d}   {figures}")
    high, low = args.biomes
    print(f"\ncontrast biome {high} - biome {low} per landform (generated: mean, share of seeds > 0; held out: mean)")
    for name in MEASURES:
        k = MEASURES.index(name)
        for landform in args.landforms:
            mean, share = contrast(made[(high, landform)][:, k], made[(low, landform)][:, k])
            held = [np.mean([m[k] for m in data[(b, landform)]]) if data[(b, landform)] else np.nan for b in (high, low)]
            print(f"  {name:10s} {landform:15s} generated {mean:+.4g} ({share:.0%} of seeds)   held out {held[0] - held[1]:+.4g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
