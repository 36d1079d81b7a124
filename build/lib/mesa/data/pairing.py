"""Pair Sentinel-2 and DEM products of the same Major TOM grid cell."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class RowRef:
    """Where one product's pixels are: a part file (its metadata URL) and the row inside it."""

    parquet_url: str
    parquet_row: int


@dataclass(frozen=True)
class CellPair:
    """A grid cell with both modalities (and optionally its L1C product at the same time).

    Attributes:
        grid_cell: Major TOM cell id, e.g. "433U_1139R".
        s2: the Sentinel-2 L2A row; dem: the Copernicus DEM row; l1c: the L1C row of the same
            acquisition, or None.
        product_id: the L2A product id (its "_Nxxxx_" part gives the processing baseline).
        timestamp: the L2A acquisition time as stored, e.g. "20210814T101031".
        centre_lat, centre_lon: the cell centre, degrees.
    """

    grid_cell: str
    s2: RowRef
    dem: RowRef
    l1c: RowRef | None
    product_id: str
    timestamp: str
    centre_lat: float
    centre_lon: float


def _rows(table: pa.Table) -> list[dict]:
    return table.to_pylist()


def _clearest_per_cell(rows: list[dict]) -> dict[str, dict]:
    """One row per grid cell: the lowest cloud cover (then the earliest timestamp) wins."""
    best: dict[str, dict] = {}
    for row in rows:
        key = (row.get("cloud_cover") or 0.0, str(row.get("timestamp")))
        current = best.get(row["grid_cell"])
        if current is None or key < (current.get("cloud_cover") or 0.0, str(current.get("timestamp"))):
            best[row["grid_cell"]] = row
    return best


def pair_cells(s2_metadata: pa.Table, dem_metadata: pa.Table, l1c_metadata: pa.Table | None = None) -> list[CellPair]:
    """Join L2A and DEM metadata on grid_cell, sorted by grid_cell.

    A cell with several L2A products keeps the clearest one. The L1C row is the one of the same
    cell and the same timestamp (the same acquisition), else None. Cells missing either the L2A
    or the DEM product are left out.
    """
    dem_by_cell = {row["grid_cell"]: row for row in _rows(dem_metadata)}
    l1c_by_key = {} if l1c_metadata is None else {
        (row["grid_cell"], str(row.get("timestamp"))): row for row in _rows(l1c_metadata)}
    pairs = []
    for cell, s2 in sorted(_clearest_per_cell(_rows(s2_metadata)).items()):
        dem = dem_by_cell.get(cell)
        if dem is None:
            continue
        l1c = l1c_by_key.get((cell, str(s2.get("timestamp"))))
        pairs.append(CellPair(
            grid_cell=cell,
            s2=RowRef(s2["parquet_url"], int(s2["parquet_row"])),
            dem=RowRef(dem["parquet_url"], int(dem["parquet_row"])),
            l1c=None if l1c is None else RowRef(l1c["parquet_url"], int(l1c["parquet_row"])),
            product_id=str(s2.get("product_id") or ""),
            timestamp=str(s2.get("timestamp") or ""),
            centre_lat=float(s2.get("centre_lat") if s2.get("centre_lat") is not None else dem.get("centre_lat", 0.0)),
            centre_lon=float(s2.get("centre_lon") if s2.get("centre_lon") is not None else dem.get("centre_lon", 0.0)),
        ))
    return pairs
