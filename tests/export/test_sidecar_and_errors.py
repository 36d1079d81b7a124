import json

import numpy as np
import pytest

from mesa.errors import UserError
from mesa.export import export_terrain, parse_formats
from mesa.export import exporter as exporter_module
from mesa.export.registry import FORMATS, ExportFormat


def test_sidecar_describes_size_range_files_engine_and_provenance(tmp_path, elevation_m, rgb):
    provenance = {"prompt": "alpine valley", "seed": 3, "steps": 50, "guidance": 7.5, "sampler": "ddim", "model_id": "m"}
    result = export_terrain(elevation_m, 10.0, tmp_path, "glb,obj", engine="unreal", rgb=rgb, provenance=provenance)
    document = json.loads((tmp_path / "terrain.json").read_text())
    assert (document["width"], document["height"]) == (23, 17)
    assert document["min_m"] == pytest.approx(-120) and document["max_m"] == pytest.approx(880)
    assert document["meters_per_pixel"] == 10.0 and document["extent_m"] == [220.0, 160.0]
    roles = {f["path"]: f["role"] for f in document["files"]}
    assert roles == {
        "terrain.glb": "mesh",
        "terrain.obj": "mesh",
        "terrain.mtl": "material",
        "terrain_albedo.png": "texture",
        "terrain_height.r16": "heightmap",
    }
    assert document["engine"]["import_settings"]["scale_z_percent"] == pytest.approx(
        result.engine.import_settings["scale_z_percent"]
    )
    assert document["provenance"] == provenance
    assert document["mesh"]["triangle_count"] == 2 * 16 * 22


@pytest.mark.parametrize(
    ("elevation", "message"),
    [
        (np.array([[0.0, np.nan], [1.0, 2.0]]), "NaN or infinite"),
        (np.array([[0.0, np.inf], [1.0, 2.0]]), "NaN or infinite"),
        (np.zeros((0, 0)), "at least 2 x 2"),
        (np.zeros((1, 1)), "at least 2 x 2"),
        (np.zeros((1, 50)), "at least 2 x 2"),
        (np.zeros(5), "2-D"),
    ],
)
def test_bad_elevations_are_refused_and_nothing_is_written(tmp_path, elevation, message):
    with pytest.raises(UserError, match=message):
        export_terrain(elevation, 1.0, tmp_path / "out", "glb,png16")
    assert not (tmp_path / "out").exists()


def test_mismatched_rgb_unknown_formats_and_bad_numbers_are_refused(tmp_path, elevation_m, rgb):
    with pytest.raises(UserError, match="same size"):
        export_terrain(elevation_m, 1.0, tmp_path, "glb", rgb=rgb[:-1])
    with pytest.raises(UserError, match="unknown export format.*fbx"):
        export_terrain(elevation_m, 1.0, tmp_path, "glb,fbx")
    with pytest.raises(UserError, match="unknown engine"):
        export_terrain(elevation_m, 1.0, tmp_path, "glb", engine="cryengine")
    with pytest.raises(UserError, match="meters_per_pixel"):
        export_terrain(elevation_m, 0.0, tmp_path, "glb")
    with pytest.raises(UserError, match="max_triangles"):
        export_terrain(elevation_m, 1.0, tmp_path, "glb", max_triangles=10)
    with pytest.raises(UserError, match="no export formats"):
        export_terrain(elevation_m, 1.0, tmp_path, "")
    assert list(tmp_path.iterdir()) == []


def test_parse_formats_accepts_spaces_case_and_duplicates():
    assert parse_formats(" GLB, r16,glb ") == ("glb", "r16")


def test_a_writer_failing_midway_leaves_an_existing_folder_untouched(tmp_path, elevation_m, monkeypatch):
    (tmp_path / "keep.txt").write_text("mine")

    def explode(grid, stem):
        raise OSError("disk full")

    broken = dict(FORMATS, tif=ExportFormat("tif", "heightmap", explode, "broken"))
    monkeypatch.setattr(exporter_module, "FORMATS", broken)
    with pytest.raises(OSError, match="disk full"):
        export_terrain(elevation_m, 1.0, tmp_path, "glb,png16,tif")
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_existing_files_are_replaced_whole(tmp_path, elevation_m):
    export_terrain(elevation_m, 1.0, tmp_path, "r16")
    export_terrain(elevation_m[:4, :5], 1.0, tmp_path, "r16")
    assert (tmp_path / "terrain_height.r16").stat().st_size == 2 * 4 * 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["terrain.json", "terrain_height.r16"]
