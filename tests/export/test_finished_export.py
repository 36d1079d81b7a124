"""`export_terrain(..., finished=...)`: the finished terrain is what is exported, its files join the
one staged folder (a failure while writing them leaves the previous export whole), and a result
of another grid is refused."""

import json

import numpy as np
import pytest
import tifffile

import mesa.finishing.finish as finish_module
from mesa.errors import UserError
from mesa.export import export_terrain
from mesa.finishing import FinishOptions, finish_terrain


@pytest.fixture
def finished(elevation_m, rgb):
    return finish_terrain(elevation_m, 10.0, rgb, FinishOptions(erosion="thermal", masks=("slope",), materials=True))


def test_the_finished_elevation_and_files_are_exported(elevation_m, rgb, finished, tmp_path):
    result = export_terrain(elevation_m, 10.0, tmp_path / "out", "tif", rgb=rgb, finished=finished)
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "out" / "terrain_height.tif"), finished.elevation_m)
    assert not np.array_equal(finished.elevation_m, elevation_m.astype(np.float32))
    roles = {path.name: role for path, role in ((f.path, f.role) for f in result.files)}
    assert roles["terrain_mask_slope.png"] == "mask" and roles["terrain_splat_1.png"] == "splat_map"
    document = json.loads((tmp_path / "out" / "terrain.json").read_text())
    assert document["elevation"]["max_m"] == pytest.approx(float(finished.elevation_m.max()))
    assert document["finishing"]["layers"]["engine"] == "none"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted([e["path"] for e in document["files"]] +
                                                                           ["terrain.json"])


def test_a_result_of_another_grid_is_refused(elevation_m, finished, tmp_path):
    with pytest.raises(UserError, match="the finished terrain is 23 x 17 px but the elevation map is 22 x 17 px"):
        export_terrain(elevation_m[:, :-1], 10.0, tmp_path / "out", "tif", finished=finished)
    assert not (tmp_path / "out").exists()


def test_a_failure_while_writing_the_finishing_keeps_the_previous_export(elevation_m, rgb, finished, tmp_path,
                                                                        monkeypatch):
    out = tmp_path / "out"
    export_terrain(elevation_m, 10.0, out, "png16", rgb=rgb)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(finish_module, "write_masks", full_disk)
    with pytest.raises(UserError, match="cannot write the export .*No space left on device"):
        export_terrain(elevation_m, 10.0, out, "png16", rgb=rgb, finished=finished)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
