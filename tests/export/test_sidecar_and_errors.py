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
    assert document["sidecar_version"] == 2
    assert (document["width"], document["height"]) == (23, 17)
    assert document["elevation"]["min_m"] == pytest.approx(-120) and document["elevation"]["max_m"] == pytest.approx(880)
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


def test_each_heightmap_states_its_own_range_and_decodes_with_it(tmp_path, elevation_m):
    """The resized engine heightmap spans its own min..max (not the source's); decoding it with the
    range stated next to it in terrain.json gives back the resampled heights."""
    from mesa.geometry.resample import resample_bilinear

    peaked = elevation_m.copy()
    peaked[3, 4] = 2000.0  # column 4 falls between two resampled columns
    export_terrain(peaked, 10.0, tmp_path, "r16,png16,exr", engine="unity")
    document = json.loads((tmp_path / "terrain.json").read_text())
    entries = {f["format"]: f for f in document["files"]}
    resampled = resample_bilinear(peaked, 33, 33)
    low, high = entries["r16"]["range_m"]
    assert (low, high) == (pytest.approx(resampled.min()), pytest.approx(resampled.max()))
    assert high < document["elevation"]["max_m"] - 100  # the resized grid misses the source's very peak
    values = np.fromfile(tmp_path / "terrain_height.r16", "<u2").reshape(33, 33)
    decoded = low + values * (high - low) / 65535
    assert np.abs(decoded - resampled).max() <= (high - low) / 65535
    assert entries["png16"]["range_m"] == [low, high] and entries["exr"]["encoding"] == "float32 metres"
    assert entries["r16"]["spacing_m"] == pytest.approx([220 / 32, 160 / 32])
    assert (entries["r16"]["width"], entries["r16"]["height"]) == (33, 33)


def test_one_extent_the_mesh_has(tmp_path, elevation_m):
    """extent_m is the distance between the first and last sample, as the mesh and every heightmap have it."""
    import pygltflib

    export_terrain(elevation_m, 10.0, tmp_path, "glb,r16", engine="godot")
    document = json.loads((tmp_path / "terrain.json").read_text())
    gltf = pygltflib.GLTF2().load(str(tmp_path / "terrain.glb"))
    position = gltf.accessors[gltf.meshes[0].primitives[0].attributes.POSITION]
    mesh_extent = [position.max[0] - position.min[0], position.max[2] - position.min[2]]
    assert document["extent_m"] == pytest.approx(mesh_extent) == [220.0, 160.0]
    r16 = next(f for f in document["files"] if f["format"] == "r16")
    assert [(r16["width"] - 1) * r16["spacing_m"][0], (r16["height"] - 1) * r16["spacing_m"][1]] == pytest.approx(
        document["extent_m"])
    glb = next(f for f in document["files"] if f["format"] == "glb")
    assert glb["extent_m"] == document["extent_m"]


def test_sidecar_reports_p2_p98_relief_and_flags_outliers(tmp_path, elevation_m):
    spiky = elevation_m.copy()
    spiky[3, 4] = 9000.0
    result = export_terrain(spiky, 10.0, tmp_path, "r16")
    heights = json.loads(result.sidecar.read_text())["elevation"]
    assert heights["max_m"] == 9000.0 and heights["outliers"] is True and heights["outlier_count"] == 1
    assert heights["p98_m"] < 880 and heights["relief_p2_p98_m"] == pytest.approx(heights["p98_m"] - heights["p2_m"])
    range_m = json.loads(result.sidecar.read_text())["files"][0]["range_m"]
    assert range_m == [pytest.approx(-120), 9000.0]  # the file still holds every height
    assert result.heights.outliers
    clean = export_terrain(elevation_m, 10.0, tmp_path / "clean", "r16")
    assert clean.heights.outlier_count == 0


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


def test_a_writer_failing_midway_leaves_the_previous_export_untouched(tmp_path, elevation_m, monkeypatch):
    out = tmp_path / "out"
    export_terrain(elevation_m, 1.0, out, "r16")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def explode(grid, stem):
        raise OSError(28, "No space left on device")

    broken = dict(FORMATS, tif=ExportFormat("tif", "heightmap", explode, "broken"))
    monkeypatch.setattr(exporter_module, "FORMATS", broken)
    with pytest.raises(UserError, match="cannot write the export .*No space left on device"):
        export_terrain(elevation_m * 2, 1.0, out, "glb,png16,tif")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left


def test_existing_files_are_replaced_whole(tmp_path, elevation_m):
    export_terrain(elevation_m, 1.0, tmp_path, "r16")
    export_terrain(elevation_m[:4, :5], 1.0, tmp_path, "r16")
    assert (tmp_path / "terrain_height.r16").stat().st_size == 2 * 4 * 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["terrain.json", "terrain_height.r16"]
