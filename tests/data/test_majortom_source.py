"""Reading the Hub layout: metadata, single row groups, URLs, pairing, GeoTIFF decoding."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mesa.data.geotiff import CorruptRowError, decode_geotiff, encode_geotiff
from mesa.data.majortom_source import MajorTomSource, relative_parquet_path
from mesa.data.pairing import pair_cells
from mesa.errors import UserError


def test_layout_has_one_row_per_row_group_and_hub_urls(majortom_dirs):
    source = MajorTomSource.open(majortom_dirs["s2l2a"])
    metadata = source.read_metadata()
    assert metadata.num_rows == 6
    assert metadata.column("parquet_url")[0].as_py().startswith("https://huggingface.co/datasets/Major-TOM/")
    part = pq.ParquetFile(majortom_dirs["s2l2a"] / "images" / "part_00001.parquet")
    assert part.metadata.num_row_groups == part.metadata.num_rows == 4


def test_read_row_reads_the_right_row_and_decodes(majortom_dirs):
    source = MajorTomSource.open(majortom_dirs["dem"])
    rows = source.read_metadata().to_pylist()
    last = rows[-1]
    value = source.read_row(last["parquet_url"], last["parquet_row"], ("grid_cell", "DEM"))
    assert value["grid_cell"] == last["grid_cell"] == "9U_9R"
    dem = decode_geotiff(value["DEM"], "DEM")
    assert dem.shape == (32, 32) and dem.dtype == np.float32


def test_missing_row_or_column_is_a_corrupt_row(majortom_dirs):
    source = MajorTomSource.open(majortom_dirs["dem"])
    url = source.read_metadata().column("parquet_url")[0].as_py()
    with pytest.raises(CorruptRowError, match="past the end"):
        source.read_row(url, 99, ("DEM",))
    with pytest.raises(CorruptRowError, match="lacks columns"):
        source.read_row(url, 0, ("B04",))
    with pytest.raises(CorruptRowError):
        source.read_row(url.replace("part_00001", "part_00077"), 0, ("DEM",))


def test_relative_paths_and_source_locations(tmp_path):
    assert relative_parquet_path("https://huggingface.co/datasets/Major-TOM/Core-S2L2A/resolve/main/images/part_01001.parquet") \
        == "images/part_01001.parquet"
    with pytest.raises(CorruptRowError):
        relative_parquet_path("https://example.org/part.parquet")
    hub = MajorTomSource.open("Major-TOM/Core-DEM")
    assert hub.root == "datasets/Major-TOM/Core-DEM" and type(hub.fs).__name__ == "HfFileSystem"
    assert MajorTomSource.open("hf://datasets/Major-TOM/Core-S2L2A").root == "datasets/Major-TOM/Core-S2L2A"
    with pytest.raises(UserError, match="not found"):
        MajorTomSource.open(str(tmp_path / "nope" / "deeper" / "x"))
    with pytest.raises(UserError, match="metadata.parquet"):
        MajorTomSource.open(tmp_path).read_metadata()


def test_pairing_keeps_the_clearest_product_and_matches_l1c_by_time():
    def table(rows):
        return pa.Table.from_pylist([{"parquet_url": "u", "parquet_row": i, "centre_lat": 1.0, "centre_lon": 2.0,
                                      "product_id": "p", **r} for i, r in enumerate(rows)])
    s2 = table([{"grid_cell": "B", "cloud_cover": 30.0, "timestamp": "t1"},
                {"grid_cell": "B", "cloud_cover": 5.0, "timestamp": "t2"},
                {"grid_cell": "A", "cloud_cover": 0.0, "timestamp": "t3"}])
    dem = table([{"grid_cell": "A"}, {"grid_cell": "B"}])
    l1c = table([{"grid_cell": "B", "timestamp": "t1"}, {"grid_cell": "B", "timestamp": "t2"}])
    pairs = pair_cells(s2, dem, l1c)
    assert [p.grid_cell for p in pairs] == ["A", "B"]
    assert pairs[1].timestamp == "t2" and pairs[1].s2.parquet_row == 1 and pairs[1].l1c.parquet_row == 1
    assert pairs[0].l1c is None


def test_geotiff_errors_name_the_band():
    with pytest.raises(CorruptRowError, match="B04: not a readable GeoTIFF"):
        decode_geotiff(b"garbage", "B04")
    with pytest.raises(CorruptRowError, match="cloud_mask: empty"):
        decode_geotiff(None, "cloud_mask")
    np.testing.assert_array_equal(decode_geotiff(encode_geotiff(np.eye(4, dtype=np.uint16))), np.eye(4))


def test_any_fsspec_filesystem_serves_rows(majortom_dirs):
    """The Hub path uses the same code on HfFileSystem; an in-memory filesystem stands in for it here."""
    import fsspec

    memory = fsspec.filesystem("memory")
    for path in majortom_dirs["dem"].rglob("*.parquet"):
        memory.pipe(f"/Core-DEM/{path.relative_to(majortom_dirs['dem'])}", path.read_bytes())
    source = MajorTomSource("/Core-DEM", memory)
    row = source.read_metadata().to_pylist()[2]
    assert source.read_row(row["parquet_url"], row["parquet_row"], ("grid_cell",))["grid_cell"] == row["grid_cell"]
