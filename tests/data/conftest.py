"""A tiny Major TOM dataset written in the exact Hub layout (real GeoTIFF bytes, one row per row group).

S2 grids are 96 x 96 and DEM grids 32 x 32 (the same 3x nesting as 1068 / 356).
Cells (all near 46.55 N, 8.0 E, acquired 2021-08-14):
    0U_0R  clean; a bright 3x3 spot in RGB at S2 rows/cols 30..32 / 60..62 and a DEM peak at
           DEM pixel (10, 20), the same ground spot
    0U_1R  cloud over its top half
    0U_2R  DEM nodata over its left third
    0U_3R  DEM all nodata (no valid pixel: skipped)
    0U_4R  corrupt B04 bytes (skipped with a warning)
    0U_5R  S2 only; 9U_9R DEM only (neither is paired)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mesa.data.geotiff import encode_geotiff
from tests.support.majortom_writer import ProductRow, write_collection

S2_SIZE, DEM_SIZE = 96, 32
TIMESTAMP = "20210814T101031"
L2A_PRODUCT = "S2B_MSIL2A_20210814T101031_N0301_R022_T32TMS_20210814T125310"
L1C_PRODUCT = "S2B_MSIL1C_20210814T101031_N0301_R022_T32TMS_20210814T121512"
SPOT_S2 = (30, 60)     # top-left S2 pixel of the 3x3 spot
SPOT_DEM = (10, 20)    # the DEM pixel covering it


def s2_columns(cell: str, size: int, rng: np.random.Generator) -> dict[str, bytes]:
    bands = rng.integers(500, 1500, size=(3, size, size)).astype(np.uint16)
    cloud = np.zeros((size, size), np.uint8)
    if cell == "0U_0R":
        bands[:, SPOT_S2[0]:SPOT_S2[0] + 3, SPOT_S2[1]:SPOT_S2[1] + 3] = 9000
    if cell == "0U_1R":
        cloud[: size // 2] = 1
    columns = {name: encode_geotiff(band) for name, band in zip(("B04", "B03", "B02"), bands)}
    columns["cloud_mask"] = encode_geotiff(cloud)
    if cell == "0U_4R":
        columns["B04"] = b"II*\x00 this is not a tiff"
    return columns


def dem_columns(cell: str, size: int, rng: np.random.Generator) -> dict[str, bytes]:
    dem = (1000.0 + rng.normal(0.0, 5.0, size=(size, size))).astype(np.float32)
    if cell == "0U_0R":
        dem[SPOT_DEM] = 3000.0
    if cell == "0U_2R":
        dem[:, : size // 3] = -32767.0
    if cell == "0U_3R":
        dem[:] = -32767.0
    return {"DEM": encode_geotiff(dem)}


def write_dataset(root: Path, s2_size: int = S2_SIZE, dem_size: int = DEM_SIZE, with_l1c: bool = True) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    s2_cells = ["0U_0R", "0U_1R", "0U_2R", "0U_3R", "0U_4R", "0U_5R"]
    dem_cells = ["0U_0R", "0U_1R", "0U_2R", "0U_3R", "0U_4R", "9U_9R"]

    def row(cell, product, columns):
        return ProductRow(cell, product, TIMESTAMP, 46.55, 8.0, columns)

    paths = {
        "s2l2a": write_collection(root / "Core-S2L2A", "Core-S2L2A",
                                  [row(c, L2A_PRODUCT, s2_columns(c, s2_size, rng)) for c in s2_cells]),
        "dem": write_collection(root / "Core-DEM", "Core-DEM",
                                [row(c, f"DEM_{c}", dem_columns(c, dem_size, rng)) for c in dem_cells]),
    }
    if with_l1c:
        l1c_rows = []
        for cell in ("0U_0R", "0U_1R"):
            columns = s2_columns(cell, s2_size, rng)
            columns.pop("cloud_mask")
            l1c_rows.append(row(cell, L1C_PRODUCT, {k: v for k, v in columns.items()}))
        paths["s2l1c"] = write_collection(root / "Core-S2L1C", "Core-S2L1C", l1c_rows)
    return paths


@pytest.fixture(scope="session")
def majortom_dirs(tmp_path_factory) -> dict[str, Path]:
    """Paths of the tiny Core-S2L2A, Core-DEM and Core-S2L1C collections."""
    return write_dataset(tmp_path_factory.mktemp("majortom"))


@pytest.fixture(scope="session")
def write_majortom():
    """The writer itself, for tests that need other grid sizes."""
    return write_dataset
