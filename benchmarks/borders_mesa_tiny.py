"""Border artefacts on many tiles: is the rim the data's, and where do the last corner spikes come from?

    .venv/bin/python -m benchmarks.borders_mesa_tiny [--model mesa-tiny] [--tiles 256] [--overscan 16 24]

Held-out synthetic tiles (`--tiles`, the scorecard's reference of that size) and one generated terrain
per tile caption (seed = tile number, as the scorecard's realism set), once per `--overscan`, in one
process. Prints for each the mean |ring step| (metres and reliefs; `mesa.evaluation.borders`), the
bootstrap 90 % interval of its difference from the held-out tiles', the tiles with a corner spike, and
how often the four corner blocks rise 0.5 reliefs above the 98th percentile against four random
interior blocks of the same size (an edge artefact lifts the first only); seconds per terrain and their
ratio to the first overscan.

mesa-tiny v2.4 (docs/evaluation.md, v2.4), 256 tiles: held-out |ring step| 11.1 m, 0 spikes;
overscan 16: 11.5 m (difference -2.1 .. +2.9 m), 3 spikes; overscan 24: 11.3 m, 3 spikes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mesa.evaluation.borders import CORNER_SPIKE_RELIEFS, RING_PX, border_artefacts, ring_step_m
from mesa.evaluation.elevation_statistics import relief_m
from mesa.evaluation.references import synthetic_reference
from mesa.pipeline import TerrainPipeline

INTERIOR_DRAWS = 25  # random sets of four interior blocks per tile


def block_rise(elevation_m: np.ndarray, corners: list[tuple[int, int]]) -> float:
    """Rise of the highest pixel of `RING_PX` square blocks at `corners` above the 98th percentile, in reliefs."""
    values = np.concatenate([elevation_m[r:r + RING_PX, c:c + RING_PX].ravel() for r, c in corners])
    return max(0.0, float(values.max() - np.percentile(elevation_m, 98))) / max(relief_m(elevation_m), 1.0)


def block_rates(terrains, rng: np.random.Generator) -> tuple[float, float]:
    """Share of tiles whose corner blocks spike, and of random four-block interior sets that do."""
    corner, interior = [], []
    for terrain in terrains:
        field = np.asarray(terrain.elevation_m, np.float64)
        h, w = field.shape
        corner.append(block_rise(field, [(0, 0), (0, w - RING_PX), (h - RING_PX, 0), (h - RING_PX, w - RING_PX)]))
        for _ in range(INTERIOR_DRAWS):
            blocks = [tuple(rng.integers(2 * RING_PX, np.array([h, w]) - 3 * RING_PX)) for _ in range(4)]
            interior.append(block_rise(field, blocks))
    return float(np.mean(np.array(corner) > CORNER_SPIKE_RELIEFS)), float(np.mean(np.array(interior) > CORNER_SPIKE_RELIEFS))


def describe(label: str, terrains, reference_rings: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    result = border_artefacts(terrains)
    rings = np.array([abs(ring_step_m(t.elevation_m)) for t in terrains])
    corner, interior = block_rates(terrains, rng)
    line = (f"{label:22s} |ring step| {result.ring_step_abs_m:5.2f} m ({result.ring_step_abs_reliefs:.3f} reliefs), "
            f"signed {result.ring_step_m:+5.2f} m, corner spikes {round(result.corner_spike_share * len(terrains))} "
            f"of {len(terrains)}, spiking blocks corner {100 * corner:.1f} % / interior {100 * interior:.1f} %")
    if reference_rings is not None:
        n = len(rings)
        boot = [rings[rng.integers(0, n, n)].mean() - reference_rings[rng.integers(0, n, n)].mean() for _ in range(4000)]
        low, high = np.percentile(boot, [5, 95])
        line += f"; minus held-out {low:+.2f} .. {high:+.2f} m (90 %)"
    print(line, flush=True)
    return rings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.borders_mesa_tiny", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mesa-tiny")
    parser.add_argument("--tiles", type=int, default=256)
    parser.add_argument("--overscan", type=int, nargs="+", default=[16, 24])
    args = parser.parse_args(argv)
    pipe = TerrainPipeline.from_pretrained(args.model)
    reference = synthetic_reference(args.tiles, 16, pipe.native_size, pipe.meters_per_pixel, 0, 1)
    rng = np.random.default_rng(0)
    reference_rings = describe("held-out tiles", reference.terrains, None, rng)
    first = None
    for overscan in args.overscan:
        started = time.perf_counter()
        terrains = [pipe(t.prompt, seeds=[i], overscan=overscan)[0] for i, t in enumerate(reference.terrains)]
        seconds = (time.perf_counter() - started) / len(terrains)
        first = first or seconds
        describe(f"overscan {overscan} px", terrains, reference_rings, rng)
        print(f"{'':22s} {seconds:.2f} s per terrain ({seconds / first:.2f}x the first)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
