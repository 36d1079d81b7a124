"""Throughput of synthetic terrain generation: `python -m benchmarks.bench_synthetic [--resolution 128] [--n 200]`.

Prints samples per second in one process (generation is single-threaded numpy/scipy); pin it to
one core with `OMP_NUM_THREADS=1 taskset -c 0` for the one-core figure. Also prints samples per
CPU-second of this process, which a busy shared machine does not distort.
"""

from __future__ import annotations

import argparse
import os
import time


from mesa.data.synthetic import SyntheticTerrainDataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=128)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    dataset = SyntheticTerrainDataset(resolution=args.resolution, length=args.n, seed=args.seed)
    dataset[0]
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in dataset:
        pass
    elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    print(
        f"synthetic terrain at {args.resolution} px, {args.n} samples, OMP_NUM_THREADS={threads}: "
        f"{args.n / elapsed:.1f} samples/s wall clock ({1000 * elapsed / args.n:.1f} ms/sample), "
        f"{args.n / elapsed_cpu:.1f} samples/s per CPU-second (unaffected by other load on the machine)"
    )


if __name__ == "__main__":
    main()
