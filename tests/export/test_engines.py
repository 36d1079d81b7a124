import json

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.export import export_terrain
from mesa.export.engines import UNREAL_SIZES, prepare_engine, smallest_size_at_least


@pytest.mark.parametrize(
    ("needed", "expected"), [(2, 127), (127, 127), (128, 253), (768, 1009), (2017, 2017), (2018, 4033)]
)
def test_unreal_picks_the_smallest_recommended_size_not_below_the_input(needed, expected):
    assert smallest_size_at_least(needed, UNREAL_SIZES, "unreal") == expected


def test_sizes_beyond_the_engine_limit_are_refused():
    with pytest.raises(UserError, match="at most 8129"):
        smallest_size_at_least(8130, UNREAL_SIZES, "unreal")


def test_unreal_settings(elevation_m):
    grid, settings = prepare_engine("unreal", elevation_m, 10.0)
    assert grid.elevation_m.shape == (127, 127) and (settings.heightmap_width, settings.heightmap_height) == (127, 127)
    importing = settings.import_settings
    assert importing["scale_x_cm"] == pytest.approx((23 - 1) * 10.0 * 100 / 126)
    assert importing["scale_y_cm"] == pytest.approx((17 - 1) * 10.0 * 100 / 126)
    span = grid.max_m - grid.min_m
    assert importing["scale_z_percent"] == pytest.approx(span * 100 / 512)
    assert importing["location_z_cm"] == pytest.approx((grid.max_m + grid.min_m) * 50)
    assert grid.normal_convention == "directx"


def test_unity_settings_write_a_2n_plus_1_little_endian_raw(tmp_path, elevation_m):
    result = export_terrain(elevation_m, 10.0, tmp_path, [], engine="unity")
    raw = tmp_path / "terrain_height.r16"
    assert raw.stat().st_size == 2 * 33 * 33
    importing = result.engine.import_settings
    assert importing["resolution"] == 33 and importing["flip_vertically"] is True
    assert importing["terrain_width_m"] == pytest.approx(220.0)
    assert importing["terrain_length_m"] == pytest.approx(160.0)
    assert importing["terrain_height_m"] == pytest.approx(result.engine.max_m - result.engine.min_m)
    values = np.fromfile(raw, "<u2").reshape(33, 33)
    assert values.max() == 65535 and values.min() == 0


def test_godot_writes_exr_and_reports_both_addons(tmp_path, elevation_m):
    result = export_terrain(elevation_m, 10.0, tmp_path, "glb", engine="godot")
    assert [f.format for f in result.files] == ["glb", "exr", "json"]
    settings = json.loads(result.sidecar.read_text())["engine"]
    assert settings["heightmap_width"] == 33
    assert settings["import_settings"]["hterrain"]["resolution"] == 33
    assert settings["import_settings"]["terrain3d"]["height_scale"] == 1.0


def test_engine_none_keeps_native_size_and_an_engine_keeps_a_requested_format(tmp_path, elevation_m):
    result = export_terrain(elevation_m, 10.0, tmp_path / "a", "png16")
    assert (result.engine.heightmap_width, result.engine.heightmap_height) == (23, 17)
    result = export_terrain(elevation_m, 10.0, tmp_path / "b", "png16", engine="unreal")
    assert [f.format for f in result.files] == ["png16", "json"]


def test_meshes_keep_native_size_under_an_engine_preset(tmp_path, elevation_m):
    result = export_terrain(elevation_m, 10.0, tmp_path, "glb", engine="unreal", max_triangles=200, base=True)
    assert result.mesh.triangle_count <= 200 + 4 * 2 * (16 + 22)
    assert result.mesh.has_base and result.mesh.max_height_error_m > 0
