"""What the scorecard's measurements cost beside generation:
`python -m benchmarks.bench_evaluation [--tiles 64] [--model mesa-tiny]`.

Prepares `--tiles` held-out synthetic tiles at the model's size, then times, in CPU seconds of this
process (hardly changed by other load on a shared machine) and wall-clock seconds: the per-tile
statistics, the realism protocol (200 partitions), coupling (own and shuffled), memorisation
descriptors and border artefacts, measuring the tiles against themselves; and, as the baseline in
the same process, one terrain of the model at its default settings. Prints each figure and the
whole measurement as a number of terrains' generation.
"""

from __future__ import annotations

import argparse
import logging
import os
import time

from mesa.evaluation.borders import border_artefacts
from mesa.evaluation.coupling import coupling
from mesa.evaluation.memorisation import descriptors, memorisation
from mesa.evaluation.realism import realism, statistics_table
from mesa.evaluation.references import synthetic_reference
from mesa.pipeline import TerrainPipeline


def timed(label: str, work) -> float:
    started, started_cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    print(f"  {label:28} {cpu:7.2f} CPU s  {wall:7.2f} s wall")
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiles", type=int, default=64)
    parser.add_argument("--model", default="mesa-tiny")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    pipe = TerrainPipeline.from_pretrained(args.model)
    reference = synthetic_reference(args.tiles, args.tiles, pipe.native_size, pipe.meters_per_pixel, workers=1)
    tiles = reference.terrains
    pipe("A Sentinel-2 image of hills", seeds=[0])  # warm-up
    print(f"{args.tiles} tiles of {pipe.native_size} px, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"load average {os.getloadavg()[0]:.1f}:")
    table = statistics_table(tiles)
    costs = [timed("statistics (both sets)", lambda: [statistics_table(tiles) for _ in range(2)]),
             timed("realism, 200 partitions", lambda: realism(table, table)),
             timed("coupling (both sets)", lambda: [coupling(tiles) for _ in range(2)]),
             timed("memorisation", lambda: memorisation(descriptors(tiles), descriptors(tiles), reference.pool)),
             timed("borders (both sets)", lambda: [border_artefacts(tiles) for _ in range(2)])]
    terrain = timed("baseline: one terrain", lambda: pipe("A Sentinel-2 image of hills", seeds=[1]))
    print(f"measuring {args.tiles} generated and {args.tiles} reference tiles costs {sum(costs):.1f} CPU s "
          f"= {sum(costs) / terrain:.1f} terrains' generation")


if __name__ == "__main__":
    main()
