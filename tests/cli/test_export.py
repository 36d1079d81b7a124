import json

import numpy as np
import pytest
import tifffile
from PIL import Image

from mesa.cli import main
from mesa.export.heightmap_formats import quantize_uint16


def test_export_command_from_npy_with_rgb(tmp_path, elevation_m, rgb, capsys):
    np.save(tmp_path / "dem.npy", elevation_m.astype(np.float32))
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    argv = ["export", "--elevation", str(tmp_path / "dem.npy"), "--rgb", str(tmp_path / "rgb.png")]
    argv += ["--meters-per-pixel", "10", "--formats", "glb,r16", "--engine", "unity", "--out", str(tmp_path / "out")]
    assert main(argv) == 0
    document = json.loads((tmp_path / "out" / "terrain.json").read_text())
    assert [f["path"] for f in document["files"]] == ["terrain.glb", "terrain_height.r16"]
    assert "flip_vertically = True" in capsys.readouterr().out


def test_export_command_reads_16_bit_png_with_its_range(tmp_path, elevation_m):
    Image.fromarray(quantize_uint16(elevation_m, -120.0, 880.0), mode="I;16").save(tmp_path / "dem.png")
    argv = ["export", "--elevation", str(tmp_path / "dem.png"), "--min-m", "-120", "--max-m", "880"]
    argv += ["--meters-per-pixel", "10", "--formats", "tif", "--out", str(tmp_path / "out")]
    assert main(argv) == 0
    values = tifffile.imread(tmp_path / "out" / "terrain_height.tif")
    assert np.abs(values - elevation_m).max() <= 1000 / 65535


@pytest.mark.parametrize(
    ("make_file", "extra", "message"),
    [
        (lambda p: Image.fromarray(np.zeros((4, 4), np.uint16), mode="I;16").save(p / "in.png"), [], "--min-m and --max-m"),
        (lambda p: Image.fromarray(np.zeros((4, 4), np.uint8)).save(p / "in.png"), ["--min-m", "0", "--max-m", "1"], "16-bit"),
        (lambda p: (p / "in.tif").write_bytes(b"not a tiff"), [], "cannot read elevation"),
        (lambda p: np.save(p / "in.npy", np.full((4, 4), np.nan)), [], "NaN"),
        (lambda p: None, [], "does not exist"),
    ],
)
def test_export_command_reports_bad_input_in_one_line(tmp_path, capsys, make_file, extra, message):
    make_file(tmp_path)
    source = next((p for p in tmp_path.iterdir()), tmp_path / "missing.npy")
    argv = ["export", "--elevation", str(source), "--meters-per-pixel", "1", "--out", str(tmp_path / "out"), *extra]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error and error.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_unknown_format_on_the_command_line(tmp_path, capsys):
    np.save(tmp_path / "dem.npy", np.zeros((3, 3)))
    argv = ["export", "--elevation", str(tmp_path / "dem.npy"), "--meters-per-pixel", "1"]
    assert main([*argv, "--formats", "stl", "--out", str(tmp_path / "out")]) == 2
    assert "unknown export format(s) stl" in capsys.readouterr().err
