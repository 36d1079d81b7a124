"""Geometry and export benchmark: times and peak memory on this machine, plus MESA Studio's
border-keeping quadric decimation against the published demo's route (KMeans to N vertices, then
Delaunay) at an equal vertex budget.

    .venv/bin/python -m benchmarks.bench_geometry            # all cases, markdown table
    .venv/bin/python -m benchmarks.bench_geometry --case glb768
    .venv/bin/python -m benchmarks.bench_geometry --memory   # measured export peaks vs mesa.export.memory
    .venv/bin/python -m benchmarks.bench_geometry --refusal  # time to refuse a 20,000 x 20,000 px .npy

Each case runs in a fresh subprocess so its peak RSS is its own. Timings are warm: libraries are
imported and a tiny export is done first, as in the long-running app.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mesa.export import export_terrain
from mesa.geometry import build_grid_mesh, decimate_mesh, rasterize_heights
from mesa.preview import hypsometric_rgb

METERS_PER_PIXEL = 10.0


def fractal_terrain(size: int, seed: int = 0, relief_m: float = 1500.0) -> np.ndarray:
    """(size, size) float32 elevation in metres: power spectrum 1/f^3.6 (fBm, Hurst 0.8), deterministic."""
    rng = np.random.default_rng(seed)
    frequency = np.hypot(*np.meshgrid(np.fft.fftfreq(size), np.fft.rfftfreq(size), indexing="ij"))
    amplitude = np.where(frequency > 0, frequency, np.inf) ** -1.8
    spectrum = amplitude * np.exp(2j * np.pi * rng.random(frequency.shape))
    field = np.fft.irfft2(spectrum, s=(size, size))
    return (relief_m * (field - field.min()) / np.ptp(field)).astype(np.float32)


def _warm_up(out: Path) -> None:
    small = fractal_terrain(64)
    export_terrain(small, METERS_PER_PIXEL, out / "warm", "glb,r16", engine="unreal", rgb=hypsometric_rgb(small), max_triangles=2000)


def case_glb768(out: Path) -> dict:
    elevation = fractal_terrain(768)
    rgb = hypsometric_rgb(elevation)
    _warm_up(out)
    start = time.perf_counter()
    result = export_terrain(elevation, METERS_PER_PIXEL, out / "glb768", "glb", rgb=rgb)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "triangles": result.mesh.triangle_count, "mb": result.paths("mesh")[0].stat().st_size / 1e6}


def case_unreal2017(out: Path) -> dict:
    elevation = fractal_terrain(2017)
    rgb = hypsometric_rgb(elevation)
    _warm_up(out)
    start = time.perf_counter()
    result = export_terrain(
        elevation, METERS_PER_PIXEL, out / "unreal2017", "glb,r16", engine="unreal", rgb=rgb, max_triangles=200_000
    )
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "triangles": result.mesh.triangle_count,
        "max_height_error_m": result.mesh.max_height_error_m,
        "relief_m": float(np.ptp(elevation)),
        "landscape": result.engine.import_settings["landscape_size"],
    }


def case_versus_demo(out: Path, vertex_budget: int = 4096) -> dict:
    """Equal vertex budget on a 768 x 768 tile: ours (quadric, border kept) vs KMeans + Delaunay."""
    from scipy.cluster.vq import kmeans2
    from scipy.spatial import Delaunay

    elevation = fractal_terrain(768).astype(np.float64)
    grid = build_grid_mesh(elevation, METERS_PER_PIXEL)
    start = time.perf_counter()
    ours = decimate_mesh(grid, 2 * vertex_budget - 4).mesh  # a closed-disc mesh has ~2 V triangles
    ours_seconds = time.perf_counter() - start
    start = time.perf_counter()
    centroids, _ = kmeans2(grid.vertices, len(ours.vertices), iter=10, minit="points", seed=0)
    faces = Delaunay(centroids[:, :2]).simplices
    demo_seconds = time.perf_counter() - start
    scores = {}
    for name, vertices, triangles in [("ours", ours.vertices, ours.faces), ("demo", centroids, faces)]:
        heights = rasterize_heights(vertices, triangles, grid.grid_shape, METERS_PER_PIXEL)
        error = np.abs(heights - elevation)
        scores[name] = {
            "vertices": len(vertices),
            "coverage": float(np.isfinite(heights).mean()),
            "max_error_m": float(np.nanmax(error)),
            "rms_error_m": float(np.sqrt(np.nanmean(error**2))),
        }
    scores["ours"]["seconds"], scores["demo"]["seconds"] = ours_seconds, demo_seconds
    scores["relief_m"] = float(np.ptp(elevation))
    return scores


CASES = {"glb768": case_glb768, "unreal2017": case_unreal2017, "versus_demo": case_versus_demo}


# (formats, engine, triangle budget as a fraction of the full grid's or None, base)
MEMORY_CASES = [
    ("r16", "none", None, False), ("png16", "none", None, False), ("exr", "none", None, False),
    ("tif", "none", None, False), ("normal", "none", None, False), ("glb", "none", None, False),
    ("gltf", "none", None, False), ("obj", "none", None, False), ("glb", "none", None, True),
    ("glb", "none", 0.02, False), ("glb", "none", 0.5, True), ("r16,normal", "unreal", None, False),
    ("glb,obj,png16,r16,exr,normal", "unreal", 0.1, True),
]
MEMORY_SIZES = (512, 1024, 2048)


def _resident_bytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def run_memory_case(size: int, index: int) -> dict:
    """Peak resident memory of one cold `export_terrain` call above the state before it, and the estimate."""
    from mesa.export.engines import engine_grid_shape
    from mesa.export.exporter import _with_engine_format
    from mesa.export.memory import estimate_export_memory
    from mesa.export.registry import parse_formats

    formats, engine, fraction, base = MEMORY_CASES[index]
    elevation = fractal_terrain(size)
    rgb = np.random.default_rng(1).integers(0, 256, (size, size, 3), dtype=np.uint8)
    budget = None if fraction is None else int(fraction * 2 * (size - 1) ** 2)
    names = _with_engine_format(parse_formats(formats), engine)
    estimate = estimate_export_memory((size, size), names, engine_grid_shape(engine, (size, size)), budget, base, True)
    with tempfile.TemporaryDirectory() as folder:
        ctypes.CDLL(None).malloc_trim(0)  # hand freed heap back, so the export cannot hide in it
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current resident size
        before = _resident_bytes("VmRSS")
        export_terrain(elevation, METERS_PER_PIXEL, Path(folder) / "out", formats, engine=engine, rgb=rgb,
                       max_triangles=budget, base=base)
        peak = _resident_bytes("VmHWM") - before
    label = f"{formats} {engine}" + (f" {budget:,} triangles" if budget else "") + (" base" if base else "")
    return {"size": size, "case": label, "measured_mb": peak / 2**20, "estimate_mb": estimate.peak_bytes / 2**20}


def memory_table() -> None:
    """Every memory case at every size in a fresh process: measured peak, estimate, ratio (must be >= 1)."""
    print("| size | export | measured peak | estimate | estimate / measured |\n|---|---|---|---|---|")
    lowest = float("inf")
    for size in MEMORY_SIZES:
        for index in range(len(MEMORY_CASES)):
            output = subprocess.run([sys.executable, "-m", "benchmarks.bench_geometry", "--memory-case", str(size),
                                     str(index)], check=True, capture_output=True, text=True)
            row = json.loads(output.stdout.strip().splitlines()[-1])
            ratio = row["estimate_mb"] / row["measured_mb"]
            lowest = min(lowest, ratio)
            print(f"| {size} | {row['case']} | {row['measured_mb']:.0f} MB | {row['estimate_mb']:.0f} MB | {ratio:.2f} |",
                  flush=True)
    print(f"\nlowest estimate / measured: {lowest:.2f} (an upper bound needs >= 1)")


def refusal_figures() -> None:
    """`python -m mesa export` of a 20,000 x 20,000 px float32 .npy (a sparse file) to glb,r16 under
    an 8 GB budget: the refusal's time in-process and the whole command's time and peak RSS."""
    import os

    from mesa.cli import main as mesa_main

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "huge.npy"
        header = {"descr": "<f4", "fortran_order": False, "shape": (20000, 20000)}
        with open(path, "wb") as handle:
            np.lib.format.write_array_header_1_0(handle, header)
            handle.truncate(handle.tell() + 4 * 20000 * 20000)
        argv = ["export", "--elevation", str(path), "--meters-per-pixel", "10", "--formats", "glb,r16",
                "--out", str(Path(folder) / "out")]
        os.environ["MESA_MEMORY_LIMIT_GB"] = "8"
        start = time.perf_counter()
        code = mesa_main(argv)
        in_process = time.perf_counter() - start
        start = time.perf_counter()
        command = subprocess.run([sys.executable, "-m", "mesa", *argv], capture_output=True, text=True)
        whole = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"exit codes {code} / {command.returncode}; refused in {in_process:.3f} s in-process, "
          f"{whole:.2f} s for the whole command (peak RSS {peak_mb:.0f} MB)")


def run_case(name: str) -> dict:
    """Run one case in this process; add its peak resident memory."""
    with tempfile.TemporaryDirectory() as folder:
        figures = CASES[name](Path(folder))
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=CASES, help="run one case here and print its JSON")
    parser.add_argument("--memory", action="store_true", help="measured export peaks against their estimates")
    parser.add_argument("--refusal", action="store_true", help="time to refuse a 20,000 x 20,000 px export")
    parser.add_argument("--memory-case", nargs=2, type=int, metavar=("SIZE", "INDEX"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_case:
        print(json.dumps(run_memory_case(*args.memory_case)))
        return
    if args.memory:
        memory_table()
        return
    if args.refusal:
        refusal_figures()
        return
    if args.case:
        print(json.dumps(run_case(args.case)))
        return
    results = {}
    for name in CASES:
        output = subprocess.run([sys.executable, __file__, "--case", name], check=True, capture_output=True, text=True)
        results[name] = json.loads(output.stdout.strip().splitlines()[-1])
        print(f"{name}: {json.dumps(results[name])}", file=sys.stderr)
    glb, unreal, versus = results["glb768"], results["unreal2017"], results["versus_demo"]
    ours, demo = versus["ours"], versus["demo"]
    print("| case | time | peak RSS | notes |\n|---|---|---|---|")
    print(f"| 768x768 -> textured GLB | {glb['seconds']:.2f} s | {glb['peak_rss_mb']:.0f} MB | {glb['triangles']:,} triangles, {glb['mb']:.1f} MB |")
    print(
        f"| 2017x2017 -> Unreal r16 + GLB at 200k triangles | {unreal['seconds']:.2f} s | {unreal['peak_rss_mb']:.0f} MB "
        f"| {unreal['triangles']:,} triangles, max height error {unreal['max_height_error_m']:.1f} m of {unreal['relief_m']:.0f} m relief |"
    )
    print(
        f"\nEqual budget, 768x768 tile ({ours['vertices']:,} vs {demo['vertices']:,} vertices, {versus['relief_m']:.0f} m relief):\n"
        "\n| route | time | max error | RMS error | tile covered |\n|---|---|---|---|---|"
    )
    for name, row in [("quadric, border kept (ours)", ours), ("KMeans + Delaunay (demo)", demo)]:
        print(f"| {name} | {row['seconds']:.2f} s | {row['max_error_m']:.1f} m | {row['rms_error_m']:.2f} m | {100 * row['coverage']:.1f} % |")
    print(
        f"\nRatios demo/ours: time x{demo['seconds'] / ours['seconds']:.1f}, max error x{demo['max_error_m'] / ours['max_error_m']:.1f}, "
        f"RMS error x{demo['rms_error_m'] / ours['rms_error_m']:.1f}"
    )


if __name__ == "__main__":
    main()
