"""Exports estimate their peak memory before any work and refuse what cannot fit, in one line."""

import re
import tracemalloc

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.export import export_terrain
from mesa.export.engines import engine_grid_shape
from mesa.export.exporter import _with_engine_format, check_export_request
from mesa.export.memory import FIXED_BYTES, MESH_LIBRARIES_BYTES, estimate_export_memory
from mesa.export.registry import parse_formats

CASES = [
    ("r16", "none", None, False), ("png16", "none", None, False), ("exr", "none", None, False),
    ("tif", "none", None, False), ("normal", "none", None, False), ("glb", "none", None, False),
    ("gltf", "none", None, False), ("obj", "none", None, False), ("glb", "none", None, True),
    ("glb", "none", 4000, False), ("glb,r16", "unreal", 60000, True), ("normal", "unity", None, False),
]


@pytest.mark.parametrize(("formats", "engine", "max_triangles", "base"), CASES)
def test_the_estimate_bounds_what_the_export_allocates(tmp_path, formats, engine, max_triangles, base):
    """Every allocation tracemalloc sees (numpy arrays, Python objects) stays under the per-pixel part of
    the estimate; the fixed parts (the libraries and their buffers) are left out, so the test is not trivially met."""
    rows, columns = np.mgrid[0:240, 0:300]
    elevation = 300 * np.sin(rows / 9.0) * np.cos(columns / 13.0) + rows
    rgb = np.zeros((240, 300, 3), np.uint8)
    export_terrain(elevation[:8, :8], 10.0, tmp_path / "warm", formats, engine=engine, rgb=rgb[:8, :8])
    names = _with_engine_format(parse_formats(formats), engine)
    estimate = estimate_export_memory(elevation.shape, names, engine_grid_shape(engine, elevation.shape),
                                      max_triangles, base, True)
    tracemalloc.start()
    try:
        export_terrain(elevation, 10.0, tmp_path / "out", formats, engine=engine, rgb=rgb,
                       max_triangles=max_triangles, base=base)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    libraries = FIXED_BYTES + (MESH_LIBRARIES_BYTES if estimate.mesh_vertices else 0)
    assert peak <= estimate.peak_bytes - libraries


def test_more_pixels_formats_and_a_base_never_need_less():
    def peak(shape, formats, max_triangles=None, base=False, engine="none"):
        names = _with_engine_format(parse_formats(formats), engine)
        return estimate_export_memory(shape, names, engine_grid_shape(engine, shape), max_triangles, base).peak_bytes

    assert peak((1000, 1000), "r16") < peak((2000, 2000), "r16") < peak((2000, 2000), "r16,glb")
    assert peak((2000, 2000), "glb") < peak((2000, 2000), "glb", base=True)
    assert peak((1000, 1000), "r16") < peak((1000, 1000), "r16", engine="unreal")  # resampled to 1009 x 1009
    assert peak((2000, 2000), "glb,gltf") == max(peak((2000, 2000), "glb"), peak((2000, 2000), "gltf"))


def test_a_request_beyond_the_budget_is_refused_in_one_line(monkeypatch):
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", "4")
    with pytest.raises(UserError) as refused:
        check_export_request((20000, 20000), 10.0, "glb")
    message = str(refused.value)
    assert "exporting a 20,000 x 20,000 px elevation map to glb" in message
    assert "more than the 4.0 GB" in message and "MESA_MEMORY_LIMIT_GB" in message and "\n" not in message
    side = int(re.search(r"about ([\d,]+) x \1 px fit with these formats", message).group(1).replace(",", ""))
    check_export_request((side, side), 10.0, "glb")  # the suggestion fits
    with pytest.raises(UserError):
        check_export_request((int(side * 1.1), int(side * 1.1)), 10.0, "glb")  # and is not far too small
    assert "leave out the mesh formats" not in message  # the heightmaps alone do not fit either
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", "16")
    with pytest.raises(UserError, match=r"leave out the mesh formats \(the heightmaps alone need about 1\d.\d GB\)"):
        check_export_request((20000, 20000), 10.0, "glb,r16")
    check_export_request((20000, 20000), 10.0, "r16")  # heightmaps alone fit in 16 GB
    with pytest.raises(UserError) as mesh_only:
        check_export_request((20000, 20000), 10.0, "glb")
    assert "leave out the mesh formats" not in str(mesh_only.value)


def test_export_terrain_refuses_before_writing_anything(tmp_path, elevation_m, monkeypatch):
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", "0.01")
    with pytest.raises(UserError, match="needs about"):
        export_terrain(elevation_m, 10.0, tmp_path / "out", "glb")
    assert list(tmp_path.iterdir()) == []
