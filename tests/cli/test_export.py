import errno
import json
import os

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
    out = capsys.readouterr().out
    assert "flip_vertically = True" in out
    low, high = np.percentile(elevation_m.astype(np.float32), [2, 98])
    assert f"heights: -120.0 .. 880.0 m in the files, relief {high - low:.0f} m (p2-p98)\n" in out


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


def export_argv(tmp_path, source, *extra, out=None):
    out = tmp_path / "out" if out is None else out
    return ["export", "--elevation", str(source), "--meters-per-pixel", "10", "--out", str(out), *extra]


def one_line_error(capsys):
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1 and "Traceback" not in error
    return error


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: np.save(p, np.ones((4, 4)) * (1 + 2j)), "complex numbers (the imaginary part would be lost)"),
        (lambda p: np.save(p, np.array([[1.0, None]] * 2, dtype=object), allow_pickle=True), "Python objects"),
        (lambda p: p.write_bytes(b""), "is empty (0 bytes)"),
        (lambda p: np.save(p, np.full((3, 3), 1e6)), "within +-100,000 m"),
    ],
)
def test_npy_inputs_that_are_not_real_metres_are_one_line(tmp_path, capsys, make, message):
    make(tmp_path / "dem.npy")
    assert main(export_argv(tmp_path, tmp_path / "dem.npy")) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--meters-per-pixel", "nan"], "meters_per_pixel must be a finite number in [0.001, 100000]"),
        (["--meters-per-pixel", "1e39"], "meters_per_pixel must be a finite number"),
        (["--meters-per-pixel", "-1"], "meters_per_pixel must be"),
        (["--vertical-exaggeration", "nan"], "vertical_exaggeration must be a finite number in [0.001, 1000]"),
        (["--vertical-exaggeration", "1e39"], "vertical_exaggeration must be"),
        (["--max-triangles", "1000000000000"], "max_triangles must be an integer from 0 to 2,147,483,647"),
        (["--max-triangles", "-5"], "max_triangles must be an integer"),
        (["--max-triangles", "10"], "max_triangles must be >= 80"),
    ],
)
def test_numeric_flags_are_finite_and_in_range(tmp_path, capsys, elevation_m, flags, message):
    np.save(tmp_path / "dem.npy", elevation_m)
    assert main(export_argv(tmp_path, tmp_path / "dem.npy", "--formats", "glb", *flags)) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("min_m", "max_m", "message"),
    [("nan", "100", "--min-m must be a finite number"), ("0", "1e39", "--max-m must be a finite number"),
     ("0", "inf", "--max-m must be"), ("-2e5", "0", "--min-m must be a finite number in [-100000, 100000]"),
     ("5", "1", "--max-m (1.0) must be >= --min-m (5.0)")],
)
def test_16_bit_scale_flags_are_checked(tmp_path, capsys, min_m, max_m, message):
    Image.fromarray(np.zeros((4, 4), np.uint16)).save(tmp_path / "dem.png")
    assert main(export_argv(tmp_path, tmp_path / "dem.png", f"--min-m={min_m}", f"--max-m={max_m}")) == 2
    assert message in one_line_error(capsys)


def test_a_20000_px_npy_is_refused_from_its_header_without_reading_it(tmp_path, capsys, monkeypatch):
    import tracemalloc

    from tests.export.test_readers import write_sparse_npy

    write_sparse_npy(tmp_path / "huge.npy", (20000, 20000))
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", "8")
    tracemalloc.start()
    try:
        code = main(export_argv(tmp_path, tmp_path / "huge.npy", "--formats", "glb,r16"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2
    error = one_line_error(capsys)
    assert "exporting a 20,000 x 20,000 px elevation map to glb,r16" in error and "more than the 8.0 GB" in error
    assert peak < 8 * 1024**2  # neither the array nor a mesh was allocated
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda p: (p / "out").write_text("x"), "is a file"),
        (lambda p: (p / "blocker").write_text("x"), "which is a file"),
        (lambda p: ((p / "out").mkdir(), (p / "out" / "thesis.docx").write_text("x")), "holds thesis.docx"),
    ],
)
def test_bad_output_folders_are_one_line_naming_the_path(tmp_path, capsys, elevation_m, prepare, message):
    np.save(tmp_path / "dem.npy", elevation_m)
    prepare(tmp_path)
    out = tmp_path / "blocker" / "out" if (tmp_path / "blocker").exists() else tmp_path / "out"
    assert main(export_argv(tmp_path, tmp_path / "dem.npy", out=out)) == 2
    error = one_line_error(capsys)
    assert message in error and str(tmp_path) in error


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_a_read_only_output_is_one_line(tmp_path, capsys, elevation_m, monkeypatch, code):
    import mesa.export.destination as destination

    np.save(tmp_path / "dem.npy", elevation_m)

    def refuse(prefix, dir):
        raise OSError(code, os.strerror(code), dir)

    monkeypatch.setattr(destination.tempfile, "mkdtemp", refuse)
    assert main(export_argv(tmp_path, tmp_path / "dem.npy")) == 2
    error = one_line_error(capsys)
    assert f"{tmp_path / 'out'} cannot be written" in error and os.strerror(code) in error


def test_a_full_disk_while_writing_is_one_line_and_leaves_nothing(tmp_path, capsys, elevation_m, monkeypatch):
    from mesa.export import exporter as exporter_module
    from mesa.export.registry import FORMATS, ExportFormat

    def full(grid, stem):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(stem) + "_height.tif")

    monkeypatch.setattr(exporter_module, "FORMATS", dict(FORMATS, tif=ExportFormat("tif", "heightmap", full, "")))
    np.save(tmp_path / "dem.npy", elevation_m)
    assert main(export_argv(tmp_path, tmp_path / "dem.npy", "--formats", "r16,tif")) == 2
    error = one_line_error(capsys)
    assert "No space left on device" in error and "terrain_height.tif" in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dem.npy"]


def test_a_colour_image_of_another_size_is_refused_before_reading(tmp_path, capsys, elevation_m):
    np.save(tmp_path / "dem.npy", elevation_m)
    Image.fromarray(np.zeros((5, 5, 3), np.uint8)).save(tmp_path / "rgb.png")
    assert main(export_argv(tmp_path, tmp_path / "dem.npy", "--rgb", str(tmp_path / "rgb.png"))) == 2
    assert "--rgb is 5 x 5 px but the elevation is 23 x 17 px" in one_line_error(capsys)


def test_exporting_again_into_the_same_folder_replaces_it(tmp_path, capsys, elevation_m):
    np.save(tmp_path / "dem.npy", elevation_m)
    assert main(export_argv(tmp_path, tmp_path / "dem.npy", "--formats", "glb,r16")) == 0
    assert main(export_argv(tmp_path, tmp_path / "dem.npy", "--formats", "exr")) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["terrain.json", "terrain_height.exr"]
