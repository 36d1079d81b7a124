"""Peak memory of finishing and writing (what `export --erosion ... --materials` adds), measured
against `mesa.finishing.estimate_finish_memory`.

    OMP_NUM_THREADS=1 .venv/bin/python -m benchmarks.bench_finish_memory

Each case runs in a fresh process: the libraries are imported and the inputs made first, then the
growth of the resident-set peak (`ru_maxrss`) over `finish_terrain` + `write_finish` is the
measured figure. The estimate must stay above it (ratio > 1); the script prints both and the ratio.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

CASES = (
    # (grid side, options, engine, engine side)
    (257, {"materials": True}, "godot", 2017),
    (513, {"erosion": "hydraulic", "masks": ["slope", "flow", "wear"], "materials": True}, "unreal", 505),
    (1009, {"erosion": "hydraulic", "masks": ["slope", "flow", "wear"], "materials": True}, "unreal", 1009),
    (1009, {"erosion": "hydraulic+thermal", "masks": ["slope", "height", "deposit"], "materials": True}, "unity", 1025),
)


METERS_PER_PIXEL = 30.0


def hills_and_colours(side: int):
    """(side, side) float32 hills (~600 m relief, 2 m noise) and a (side, side, 3) uint8 image
    coloured by height (forest, rock, snow); made with small temporaries so the baseline stays low."""
    import numpy as np

    axis = np.arange(side, dtype=np.float32) / side
    rows, columns = axis[:, None], axis[None, :]
    elevation = 800.0 + 300.0 * np.sin(12.0 * rows + 1.0) * np.cos(10.0 * columns) + 240.0 * rows
    elevation = (elevation + np.random.default_rng(0).normal(0.0, 2.0, (side, side))).astype(np.float32)
    t = (elevation - elevation.min()) / np.ptp(elevation)
    palette = np.array([[40, 80, 35], [120, 115, 110], [245, 245, 250]], np.float32)
    rgb = np.empty((side, side, 3), np.uint8)
    for channel in range(3):
        rgb[..., channel] = np.interp(t, [0.0, 0.5, 1.0], palette[:, channel]).astype(np.uint8)
    return elevation, rgb


def measure(case: int) -> dict:
    """Run case `case` in this process and return its figures."""
    import resource

    import OpenEXR  # noqa: F401  (imported before the baseline: writers' libraries)
    from PIL import Image  # noqa: F401

    from mesa.finishing import FinishOptions, estimate_finish_memory, finish_terrain, write_finish

    side, options, engine, engine_side = CASES[case]
    options = FinishOptions(**{**options, "masks": tuple(options.get("masks", ()))})
    elevation, rgb = hills_and_colours(side)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = finish_terrain(elevation, METERS_PER_PIXEL, rgb, options)
    with tempfile.TemporaryDirectory() as folder:
        write_finish(result, folder, "terrain", engine, (engine_side, engine_side))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
    estimate = estimate_finish_memory(elevation.shape, options, (engine_side, engine_side))
    return {"side": side, "engine": f"{engine} {engine_side}", "options": options.erosion or "-",
            "peak_mib": peak / 2**20, "estimate_mib": estimate / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=int, default=None, help="run one case in this process (internal)")
    args = parser.parse_args()
    if args.case is not None:
        print(json.dumps(measure(args.case)))
        return
    print(f"{'grid':>6} {'erosion':>18} {'written':>12} {'peak MiB':>9} {'estimate MiB':>13} {'ratio':>6}")
    for case in range(len(CASES)):
        out = subprocess.run([sys.executable, "-m", "benchmarks.bench_finish_memory", "--case", str(case)],
                             capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        print(f"{row['side']:>6} {row['options']:>18} {row['engine']:>12} {row['peak_mib']:>9.0f} "
              f"{row['estimate_mib']:>13.0f} {row['estimate_mib'] / row['peak_mib']:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
