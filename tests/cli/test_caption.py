"""`python -m mesa caption`: every bad number or file is one `error:` line and exit code 2."""

import json

import numpy as np
import pytest

from mesa.cli import main

PLACE = ["--lat", "46.55", "--lon", "8.0", "--date", "2021-08-14"]


def caption(*argv):
    return main(["caption", *argv])


def one_line_error(capsys):
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1 and "Traceback" not in error
    return error


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--lat=nan", "--lon", "8", "--date", "2021-08-14"], "--lat must be a finite number in [-90, 90], got nan"),
        (["--lat", "95", "--lon", "8", "--date", "2021-08-14"], "--lat must be a finite number in [-90, 90]"),
        (["--lat", "46", "--lon=-inf", "--date", "2021-08-14"], "--lon must be a finite number in [-180, 180]"),
        (["--lat", "46", "--lon", "181", "--date", "2021-08-14"], "--lon must be"),
        ([*PLACE, "--dem-meters-per-pixel", "nan"], "--dem-meters-per-pixel must be a finite number"),
        ([*PLACE, "--dem-meters-per-pixel", "0"], "--dem-meters-per-pixel must be"),
        ([*PLACE, "--augment=-1"], "--augment must be an integer from 0 to 10,000"),
        ([*PLACE, "--augment", "1000000000"], "--augment must be an integer from 0 to 10,000"),
        ([*PLACE, "--seed=-4"], "--seed must be an integer from 0"),
    ],
)
def test_numbers_out_of_range_are_one_line(capsys, argv, message):
    assert caption(*argv) == 2
    assert message in one_line_error(capsys)


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("dem.npy", lambda p: p.write_bytes(b""), "is empty (0 bytes)"),
        ("dem.npy", lambda p: np.save(p, np.array([[1.0, None]] * 2, dtype=object), allow_pickle=True),
         "holds Python objects"),
        ("dem.npy", lambda p: np.save(p, np.ones((8, 8)) * (1 + 1j)), "complex numbers"),
        ("dem.npy", lambda p: p.write_bytes(b"PK\x03\x04 a zip"), "is not a readable .npy file"),
        ("dem.npy", lambda p: np.save(p, np.zeros((2, 2, 2))), "must be a 2-D raster"),
        ("dem.tif", lambda p: p.write_bytes(b""), "is not a readable GeoTIFF"),
        ("dem.tif", lambda p: p.write_bytes(b"II*\x00garbage"), "is not a readable GeoTIFF"),
        ("dem.png", lambda p: p.write_bytes(b"x"), "accepted: .tif, .tiff, .npy"),
    ],
)
def test_bad_dem_files_are_one_line_naming_the_file(tmp_path, capsys, name, make, message):
    make(tmp_path / name)
    assert caption(*PLACE, "--dem", str(tmp_path / name)) == 2
    error = one_line_error(capsys)
    assert message in error and str(tmp_path / name) in error


def test_a_dem_beyond_the_memory_budget_is_refused_from_its_header(tmp_path, capsys, monkeypatch):
    from tests.export.test_readers import write_sparse_npy

    write_sparse_npy(tmp_path / "dem.npy", (30000, 30000))
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", "2")
    assert caption(*PLACE, "--dem", str(tmp_path / "dem.npy")) == 2
    assert "reading the 30000 x 30000 DEM" in one_line_error(capsys)


def test_a_dem_npy_in_metres_gives_the_landform(tmp_path, capsys):
    rows = np.linspace(0, 1, 64)[:, None] * np.ones(64)
    np.save(tmp_path / "dem.npy", (200 + 3000 * rows).astype(np.float32))
    assert caption(*PLACE, "--dem", str(tmp_path / "dem.npy"), "--dem-meters-per-pixel", "30") == 0
    assert "landform: high mountains" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"{not json", "is not JSON"), (b"\xff\xfe\x00", "is not UTF-8 text"), (b"[]", "not a GeoJSON FeatureCollection")],
)
def test_bad_ecoregions_files_are_one_line(tmp_path, capsys, content, message):
    (tmp_path / "eco.json").write_bytes(content)
    assert caption(*PLACE, "--ecoregions", str(tmp_path / "eco.json")) == 2
    error = one_line_error(capsys)
    assert message in error and str(tmp_path / "eco.json") in error


def test_an_ecoregions_folder_is_one_line(tmp_path, capsys):
    assert caption(*PLACE, "--regions", str(tmp_path)) == 2
    assert f"cannot read GeoJSON {tmp_path}" in one_line_error(capsys)


def test_a_valid_regions_file_still_works(tmp_path, capsys):
    regions = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "the Alps"},
               "geometry": {"type": "Polygon", "coordinates": [[[5, 44], [16, 44], [16, 48.5], [5, 48.5], [5, 44]]]}}]}
    (tmp_path / "regions.json").write_text(json.dumps(regions))
    assert caption(*PLACE, "--regions", str(tmp_path / "regions.json")) == 0
    assert "regional landform: the Alps" in capsys.readouterr().out
