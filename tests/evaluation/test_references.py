"""Reference sets: held-out synthetic tiles and held-out Major TOM cells, as the scorecard reads them."""

from __future__ import annotations

import numpy as np
import pytest

from mesa.data.geotiff import encode_geotiff
from mesa.data.split import is_held_out
from mesa.errors import UserError
from mesa.evaluation.references import majortom_reference
from tests.support.majortom_writer import ProductRow, write_collection

TIMESTAMP = "20210814T101031"


def cells(held_out: bool, count: int) -> list[str]:
    names = (f"{row}U_{col}R" for row in range(100) for col in range(100))
    return [name for name, _ in zip((n for n in names if is_held_out(n) == held_out), range(count))]


def write_reference(root, val_cells, train_cells, cloudy):
    rng = np.random.default_rng(0)
    s2_rows, dem_rows = [], []
    for cell in val_cells + train_cells:
        bands = rng.integers(500, 1500, size=(3, 96, 96)).astype(np.uint16)
        cloud = np.zeros((96, 96), np.uint8)
        if cell == cloudy:
            cloud[:10] = 1
        columns = {name: encode_geotiff(band) for name, band in zip(("B04", "B03", "B02"), bands)}
        columns["cloud_mask"] = encode_geotiff(cloud)
        s2_rows.append(ProductRow(cell, "S2B_MSIL2A_20210814T101031_N0301_R022_T32TMS_20210814T125310", TIMESTAMP,
                                  46.55, 8.0, columns))
        dem = (1000.0 + 50 * rng.normal(size=(32, 32))).astype(np.float32)
        dem_rows.append(ProductRow(cell, f"DEM_{cell}", TIMESTAMP, 46.55, 8.0, {"DEM": encode_geotiff(dem)}))
    write_collection(root / "Core-S2L2A", "Core-S2L2A", s2_rows)
    write_collection(root / "Core-DEM", "Core-DEM", dem_rows)


def test_synthetic_reference_holds_only_held_out_tiles(synthetic_reference_set):
    description = synthetic_reference_set.description
    assert description["split"] == "val" and description["tiles"] == 8
    assert all(is_held_out(f"synthetic-0-{number}") for number in description["tile_numbers"])
    for terrain in synthetic_reference_set.terrains:
        assert terrain.prompt.startswith("A Sentinel-2 image of ") and " in " in terrain.prompt
        assert terrain.rgb.shape == (32, 32, 3) and terrain.meters_per_pixel == 240.0


def test_majortom_reference_reads_held_out_cells_at_the_models_spacing(tmp_path):
    val, train = cells(True, 6), cells(False, 2)
    write_reference(tmp_path, val, train, cloudy=val[0])
    reference = majortom_reference(tmp_path, tiles=6, pool=2, resolution=32, meters_per_pixel=30.0)
    assert len(reference.terrains) == 5 and reference.pool.shape == (2, 32 * 32)  # the cloudy cell is skipped
    assert reference.description["averaged_by"] == 3 and reference.description["split"] == "val"
    for terrain in reference.terrains:
        assert terrain.rgb.shape == (32, 32, 3) and terrain.meters_per_pixel == 30.0
        assert terrain.prompt.startswith("A Sentinel-2 image") and "August" in terrain.prompt
        assert 700 < terrain.elevation_m.mean() < 1300


def test_majortom_reference_refusals(tmp_path):
    with pytest.raises(UserError, match="lacks Core-S2L2A"):
        majortom_reference(tmp_path, tiles=4, pool=2, resolution=32, meters_per_pixel=30.0)
    with pytest.raises(UserError, match="whole multiple of 10"):
        majortom_reference(tmp_path, tiles=4, pool=2, resolution=32, meters_per_pixel=25.0)
    write_reference(tmp_path, cells(True, 2), cells(False, 1), cloudy=None)
    with pytest.raises(UserError, match="at least 4 held-out cells"):
        majortom_reference(tmp_path, tiles=4, pool=2, resolution=32, meters_per_pixel=30.0)
