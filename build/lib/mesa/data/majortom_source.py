"""Read one Major TOM collection (Core-S2L2A, Core-S2L1C, Core-DEM) in its Hugging Face layout.

Layout (identical on the Hub and in a local copy):
    metadata.parquet        one row per product: grid_cell, product_id, timestamp, cloud_cover,
                            nodata, centre_lat, centre_lon, crs, parquet_url, parquet_row
    images/part_*.parquet   one sample per row group; band columns hold GeoTIFF bytes

`parquet_url` is the file's Hub URL (".../resolve/main/images/part_00001.parquet") and
`parquet_row` the row inside that file. Reading a sample opens the file through fsspec
(local files, or HfFileSystem over HTTP range requests) and reads only the row group that holds
that row, so a few samples never download a whole multi-gigabyte part file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from mesa.data.geotiff import CorruptRowError
from mesa.errors import UserError

METADATA_COLUMNS = ("grid_cell", "product_id", "timestamp", "cloud_cover", "nodata",
                    "centre_lat", "centre_lon", "parquet_url", "parquet_row")
HUB_PREFIX = "hf://datasets/"
_REPO_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_RESOLVE = re.compile(r"/resolve/[^/]+/(.+)$")


def relative_parquet_path(parquet_url: str) -> str:
    """Path of a part file inside the collection, from its metadata `parquet_url`.

    >>> relative_parquet_path("https://huggingface.co/datasets/Major-TOM/Core-DEM/resolve/main/images/part_00001.parquet")
    'images/part_00001.parquet'
    >>> relative_parquet_path("images/part_00002.parquet")
    'images/part_00002.parquet'
    """
    match = _RESOLVE.search(parquet_url)
    if match:
        return match.group(1)
    if "://" not in parquet_url:
        return parquet_url.lstrip("/")
    raise CorruptRowError(f"parquet_url {parquet_url!r} is neither a Hub '/resolve/<rev>/' URL nor a relative path")


def row_group_of(metadata: pq.FileMetaData, row: int) -> tuple[int, int]:
    """(row group index, row inside that group) holding file row `row`."""
    start = 0
    for group in range(metadata.num_row_groups):
        rows = metadata.row_group(group).num_rows
        if row < start + rows:
            return group, row - start
        start += rows
    raise CorruptRowError(f"parquet_row {row} is past the end of the file ({start} rows)")


@dataclass
class MajorTomSource:
    """One collection, local or on the Hub; opened files are kept open for the next rows.

    Attributes:
        root: the collection's root, e.g. "/data/Core-DEM" or "datasets/Major-TOM/Core-DEM".
        fs: the fsspec filesystem that reads it (local or HfFileSystem).
    """

    root: str
    fs: fsspec.AbstractFileSystem
    _files: dict[str, pq.ParquetFile] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, location: str | Path) -> MajorTomSource:
        """Open a local directory, or a Hub dataset as "hf://datasets/OWNER/NAME" or "OWNER/NAME"."""
        text = str(location)
        if Path(text).is_dir():
            return cls(str(Path(text).resolve()), fsspec.filesystem("file"))
        repo = text.removeprefix(HUB_PREFIX)
        if text.startswith(HUB_PREFIX) or _REPO_ID.match(text):
            from huggingface_hub import HfFileSystem

            return cls(f"datasets/{repo}", HfFileSystem())
        raise UserError(f"Major TOM source {text!r} not found: give a local directory with metadata.parquet "
                        "and images/, or a Hub dataset such as 'Major-TOM/Core-S2L2A'")

    def read_metadata(self, columns: tuple[str, ...] = METADATA_COLUMNS) -> pa.Table:
        """The collection's metadata.parquet, restricted to `columns` (the ones present)."""
        path = f"{self.root}/metadata.parquet"
        if not self.fs.exists(path):
            raise UserError(f"{path} does not exist: a Major TOM collection has metadata.parquet at its root")
        with self.fs.open(path, "rb") as handle:
            schema_names = pq.ParquetFile(handle).schema_arrow.names
            missing = {"grid_cell", "parquet_url", "parquet_row"} - set(schema_names)
            if missing:
                raise UserError(f"{path} lacks columns {sorted(missing)}; found {schema_names}")
            return pq.read_table(handle, columns=[c for c in columns if c in schema_names])

    def read_row(self, parquet_url: str, parquet_row: int, columns: tuple[str, ...]) -> dict[str, object]:
        """The values of `columns` at one row, reading only its row group.

        Raises CorruptRowError when the file, row or a column is missing or unreadable.
        """
        try:
            parquet = self._parquet_file(relative_parquet_path(parquet_url))
            group, offset = row_group_of(parquet.metadata, int(parquet_row))
            missing = set(columns) - set(parquet.schema_arrow.names)
            if missing:
                raise CorruptRowError(f"{parquet_url} lacks columns {sorted(missing)}")
            table = parquet.read_row_group(group, columns=list(columns))
        except (OSError, pa.ArrowException) as error:
            raise CorruptRowError(f"{parquet_url} row {parquet_row}: {error}") from error
        return {name: table.column(name)[offset].as_py() for name in columns}

    def _parquet_file(self, relative_path: str) -> pq.ParquetFile:
        if relative_path not in self._files:
            if len(self._files) >= 8:
                self._files.pop(next(iter(self._files)))
            self._files[relative_path] = pq.ParquetFile(self.fs.open(f"{self.root}/{relative_path}", "rb"))
        return self._files[relative_path]
