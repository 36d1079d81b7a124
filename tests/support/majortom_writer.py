"""Write rows in the Major TOM Hugging Face layout (local subsets, test fixtures, benchmarks).

Produces ROOT/metadata.parquet and ROOT/images/part_NNNNN.parquet with one row per row group,
and `parquet_url` values in the Hub's ".../resolve/main/images/part_NNNNN.parquet" form so
readers resolve them exactly as they do on the Hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HUB_URL = "https://huggingface.co/datasets/Major-TOM/{collection}/resolve/main/{path}"


@dataclass(frozen=True)
class ProductRow:
    """One product to write.

    Attributes:
        grid_cell: Major TOM cell id; product_id, timestamp: as in the metadata.
        centre_lat, centre_lon: degrees; cloud_cover, nodata: percent.
        columns: image columns (e.g. {"B04": tiff_bytes, ...} or {"DEM": tiff_bytes}).
    """

    grid_cell: str
    product_id: str
    timestamp: str
    centre_lat: float
    centre_lon: float
    columns: dict[str, bytes]
    cloud_cover: float = 0.0
    nodata: float = 0.0
    crs: str = "EPSG:32632"


def write_collection(root: Path, collection: str, rows: list[ProductRow], rows_per_file: int = 4) -> Path:
    """Write `rows` under `root` in the Major TOM layout of `collection` (e.g. "Core-DEM"); returns root."""
    root = Path(root)
    (root / "images").mkdir(parents=True, exist_ok=True)
    metadata = []
    for file_index, start in enumerate(range(0, len(rows), rows_per_file)):
        chunk = rows[start:start + rows_per_file]
        relative = f"images/part_{file_index + 1:05d}.parquet"
        column_names = list(chunk[0].columns)
        schema = pa.schema([("grid_cell", pa.string()), ("product_id", pa.string()), ("timestamp", pa.string()),
                            *[(name, pa.binary()) for name in column_names]])
        with pq.ParquetWriter(root / relative, schema) as writer:
            for row in chunk:
                writer.write_table(pa.table({
                    "grid_cell": [row.grid_cell], "product_id": [row.product_id], "timestamp": [row.timestamp],
                    **{name: [row.columns.get(name)] for name in column_names}}, schema=schema))
        for parquet_row, row in enumerate(chunk):
            metadata.append({
                "grid_cell": row.grid_cell, "product_id": row.product_id, "timestamp": row.timestamp,
                "cloud_cover": row.cloud_cover, "nodata": row.nodata, "centre_lat": row.centre_lat,
                "centre_lon": row.centre_lon, "crs": row.crs,
                "parquet_url": HUB_URL.format(collection=collection, path=relative), "parquet_row": parquet_row})
    pq.write_table(pa.Table.from_pylist(metadata), root / "metadata.parquet")
    return root
