"""Major TOM loading throughput: decode + DEM resample + crop + mask (+ caption) at 768 px.

Writes a local dataset in the Hub layout with true Major TOM sizes (1068 x 1068 S2 bands as
zlib GeoTIFFs, 356 x 356 float32 DEM), then times MajorTomDataset in one process (one core).

    .venv/bin/python -m benchmarks.bench_data [--cells 16] [--resolution 768]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


from mesa.data.geotiff import encode_geotiff
from mesa.captions.builder import CaptionBuilder
from mesa.data.majortom import MajorTomDataset
from tests.support.majortom_writer import ProductRow, write_collection

PRODUCT = "S2B_MSIL2A_20210814T101031_N0301_R022_T32TMS_20210814T125310"


def write_benchmark_dataset(root: Path, cells: int, with_l1c: bool) -> dict[str, Path]:
    """Realistic-looking cells: smooth fields plus noise, so GeoTIFF compression is not trivial."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:1068, 0:1068] / 1068
    s2_rows, dem_rows, l1c_rows = [], [], []
    for index in range(cells):
        cell = f"{100 + index}U_{200 + index}R"
        field = 0.5 + 0.5 * np.sin(2 * np.pi * (x * (1 + index % 3) + y))
        bands = [(800 + 1500 * field + rng.normal(0, 60, field.shape)).clip(1, 10000).astype(np.uint16) for _ in range(3)]
        cloud = (rng.random((1068, 1068)) > 0.97).astype(np.uint8)
        columns = {"B04": encode_geotiff(bands[0]), "B03": encode_geotiff(bands[1]), "B02": encode_geotiff(bands[2])}
        s2_rows.append(ProductRow(cell, PRODUCT, "20210814T101031", 46.55, 8.0, {**columns, "cloud_mask": encode_geotiff(cloud)}))
        l1c_rows.append(ProductRow(cell, PRODUCT.replace("L2A", "L1C"), "20210814T101031", 46.55, 8.0, columns))
        dem = (1500 + 800 * field[::3, ::3] + rng.normal(0, 3, (356, 356))).astype(np.float32)
        dem_rows.append(ProductRow(cell, f"DEM_{cell}", "", 46.55, 8.0, {"DEM": encode_geotiff(dem)}))
    paths = {"s2l2a": write_collection(root / "Core-S2L2A", "Core-S2L2A", s2_rows),
             "dem": write_collection(root / "Core-DEM", "Core-DEM", dem_rows)}
    if with_l1c:
        paths["s2l1c"] = write_collection(root / "Core-S2L1C", "Core-S2L1C", l1c_rows)
    return paths


def time_dataset(dataset: MajorTomDataset, samples: int) -> float:
    """Samples per second over `samples` positions (after one warm-up sample)."""
    dataset.sample_at(0)
    start = time.perf_counter()
    for position in range(1, samples + 1):
        dataset.sample_at(position)
    return samples / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=16)
    parser.add_argument("--resolution", type=int, default=768)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        paths = write_benchmark_dataset(Path(directory), args.cells, with_l1c=True)
        size_mb = sum(f.stat().st_size for f in Path(directory).rglob("*.parquet")) / 1e6
        print(f"dataset: {args.cells} cells, {size_mb:.1f} MB on disk, crop {args.resolution} px, 1 process")
        variants = {
            "decode + resample + crop + mask + caption": dict(),
            "  + shadow correction (L1C histogram matching)": dict(s2l1c=paths["s2l1c"]),
        }
        for name, extra in variants.items():
            dataset = MajorTomDataset(paths["s2l2a"], paths["dem"], resolution=args.resolution, split="all",
                                      shadow_correction="s2l1c" in extra, caption_builder=CaptionBuilder(), **extra)
            rate = time_dataset(dataset, 2 * args.cells)
            print(f"{name:<50s} {rate:6.1f} samples/s per core  ({1000 / rate:6.1f} ms/sample)")


if __name__ == "__main__":
    main()
