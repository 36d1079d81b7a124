"""Elevation files are inspected from their headers and refused in one line when they hold anything
but real numbers; numbers handed to exports are checked after the float32 cast they get."""

import numpy as np
import pytest
import tifffile
from PIL import Image

from mesa.errors import UserError
from mesa.export import export_terrain
from mesa.export.readers import inspect_elevation, inspect_rgb, read_elevation, read_rgb
from mesa.validation import check_number


def write_sparse_npy(path, shape, dtype=np.float32):
    """A .npy whose header announces `shape` but whose data are a hole in the file (no disk, no memory)."""
    header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, header)
        handle.truncate(handle.tell() + int(np.prod(shape)) * np.dtype(dtype).itemsize)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: np.save(p, np.ones((4, 4)) * (1 + 2j)), "complex numbers"),
        (lambda p: np.save(p, np.array([[1, None], [2, 3]], dtype=object), allow_pickle=True), "Python objects"),
        (lambda p: np.save(p, np.ones((4, 4), bool)), "booleans"),
        (lambda p: np.save(p, np.zeros(4, dtype=[("a", "f4"), ("b", "f4")])), "structured records"),
        (lambda p: p.write_bytes(b""), r"is empty \(0 bytes\)"),
        (lambda p: p.write_bytes(b"\x93NUMPY garbage"), "not a readable .npy file"),
        (lambda p: p.write_bytes(np.lib.format.magic(1, 0) + b"\x10\x00{'descr': '<f8',"), "not a readable .npy file"),
        (lambda p: write_sparse_npy(p, (3, 3)) or p.write_bytes(p.read_bytes()[:-8]), "is truncated"),
        (lambda p: np.save(p, np.zeros((2, 3, 4))), r"shape \(2, 3, 4\)"),
        (lambda p: np.save(p, np.zeros((1, 40))), "at least 2 x 2"),
    ],
)
def test_npy_files_that_are_not_a_real_elevation_map_are_refused_in_one_line(tmp_path, make, message):
    path = tmp_path / "dem.npy"
    make(path)
    with pytest.raises(UserError, match=message) as refused:
        read_elevation(path)
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)


def test_complex_tiff_is_refused_rather_than_losing_its_imaginary_part(tmp_path):
    tifffile.imwrite(tmp_path / "dem.tif", np.ones((4, 4), np.complex64))
    with pytest.raises(UserError, match="complex numbers"):
        read_elevation(tmp_path / "dem.tif")


def test_a_huge_npy_is_inspected_from_its_header_alone(tmp_path):
    import tracemalloc

    write_sparse_npy(tmp_path / "huge.npy", (20000, 20000))
    tracemalloc.start()
    try:
        info = inspect_elevation(tmp_path / "huge.npy")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.shape == (20000, 20000) and info.dtype == np.float32
    assert info.read_bytes == 8 * 20000 * 20000  # memory-mapped: only the float64 result
    assert peak < 1024**2


def test_npy_is_read_through_a_memory_map_into_float64(tmp_path):
    values = np.arange(12, dtype=np.int16).reshape(3, 4) * 100.5
    np.save(tmp_path / "dem.npy", values.astype(np.float32))
    elevation = read_elevation(tmp_path / "dem.npy")
    assert elevation.dtype == np.float64 and not isinstance(elevation, np.memmap)
    np.testing.assert_array_equal(elevation, values.astype(np.float32))


def test_exr_and_png_headers_give_their_size(tmp_path):
    import OpenEXR

    with OpenEXR.File({"type": OpenEXR.scanlineimage}, {"R": np.zeros((5, 7), np.float32)}) as exr:
        exr.write(str(tmp_path / "dem.exr"))
    assert inspect_elevation(tmp_path / "dem.exr").shape == (5, 7)
    Image.fromarray(np.zeros((6, 9), np.uint16)).save(tmp_path / "dem.png")
    assert inspect_elevation(tmp_path / "dem.png").shape == (6, 9)
    Image.fromarray(np.zeros((6, 9, 3), np.uint8)).save(tmp_path / "rgb.png")
    assert inspect_rgb(tmp_path / "rgb.png") == (6, 9)


def test_unreadable_colour_images_are_one_line(tmp_path):
    (tmp_path / "rgb.png").write_bytes(b"not an image")
    with pytest.raises(UserError, match="cannot read colour image .*rgb.png"):
        read_rgb(tmp_path / "rgb.png")
    with pytest.raises(UserError, match="does not exist"):
        inspect_rgb(tmp_path / "missing.png")


@pytest.mark.parametrize(
    ("value", "low", "high", "accepted"),
    [(1.0, 0, 2, True), (float("nan"), 0, 2, False), (float("inf"), 0, 2, False), (1e39, 0, 1e40, False),
     (1e-50, 0, 1, False), (0.0, 0, 1, True), (3.0, 0, 2, False), ("2", 0, 2, False), ("x", 0, 2, False),
     (True, 0, 2, False), (None, 0, 2, False)],
)
def test_numbers_are_finite_and_in_range_after_the_float32_cast(value, low, high, accepted):
    if accepted:
        assert check_number("x", value, low, high) == float(value)
    else:
        with pytest.raises(UserError, match="^x must be"):
            check_number("x", value, low, high)


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [
        ("meters_per_pixel", 1e39, "meters_per_pixel must be a finite number"),
        ("meters_per_pixel", float("nan"), "meters_per_pixel must be a finite number"),
        ("meters_per_pixel", 1e-9, r"in \[0.001, 100000\]"),
        ("vertical_exaggeration", float("inf"), "vertical_exaggeration must be"),
        ("vertical_exaggeration", 0.0, "vertical_exaggeration must be"),
        ("max_triangles", 2**40, "max_triangles must be an integer from 0 to 2,147,483,647"),
        ("max_triangles", 99.5, "max_triangles must be an integer"),
    ],
)
def test_export_numbers_out_of_range_are_refused(tmp_path, elevation_m, keyword, value, message):
    arguments = {"meters_per_pixel": 10.0, "max_triangles": None, "vertical_exaggeration": 1.0, keyword: value}
    with pytest.raises(UserError, match=message):
        export_terrain(elevation_m, out_dir=tmp_path / "out", formats="glb", **arguments)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("scale", "message"), [(1e6, r"within \+-100,000 m"), (1e300, r"within \+-100,000 m")])
def test_elevations_beyond_any_terrain_are_refused(tmp_path, elevation_m, scale, message):
    with pytest.raises(UserError, match=message):
        export_terrain(elevation_m * scale, 10.0, tmp_path / "out", "exr")
