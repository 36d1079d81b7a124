"""Inspector and downloads as plain functions: 2D views, GLB + files, bundle, compare."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from ui.generate import generate
from ui.inspector import (compare, history_labels, number_from_gallery, prepare_3d_and_downloads, render_3d,
                          select_result, view_2d)
from mesa.naming import slug
from ui.scale_bar import scale_bar_length_m
from ui.session import MAX_HISTORY, Session


@pytest.fixture(scope="module")
def session(tiny_pipeline, tmp_path_factory):
    session = Session.create(tmp_path_factory.mktemp("sessions"))
    generate(tiny_pipeline, "A Sentinel-2 image of dunes in Algeria", 3, 2, 2, 7.5, "ddim", 32, None, session)
    yield session
    session.close()


def test_gallery_index_maps_to_results(session):
    assert number_from_gallery(session, 1) == 2
    assert number_from_gallery(session, 0, history=True) == 2  # newest first
    assert number_from_gallery(session, 5) is None and number_from_gallery(None, 0) is None


def test_2d_views(session):
    rgb, relief, legend, overlay, info, session = select_result(session, 2, 0.5, 1.0)
    sizes = [Image.open(path).size for path in (rgb, relief, overlay)]
    assert sizes[0] == sizes[1] == sizes[2] and sizes[0][1] >= 384
    assert len({rgb, relief, legend, overlay}) == 4 and all(Path(p).parent.name == "result_002" for p in (rgb, legend))
    assert "seed 4" in info and "dunes in Algeria" in info
    assert view_2d(None, 0.5, 1.0)[0] is None
    again = select_result(session, 2, 0.5, 1.0)
    assert again[:4] == (rgb, relief, legend, overlay)  # the same files, not rewritten copies
    assert select_result(session, 2, 0.75, 1.0)[3] != overlay


def test_description_has_one_true_width_and_p2_p98_relief(session):
    result = session.find(1)
    heights = result.heights
    info = view_2d(session, 0.5, 1.0)[4] if session.selected == 1 else select_result(session, 1, 0.5, 1.0)[4]
    width_m = (result.terrain.elevation_m.shape[1] - 1) * result.terrain.meters_per_pixel
    assert f"{width_m:,.0f} × " in info and "first to last sample" in info
    assert f"relief {heights.relief_m:,.0f} m (p2–p98" in info and f"full range {heights.min_m:,.0f}" in info
    assert result.label == f"#1 · seed 3 · relief {heights.relief_m:,.0f} m"


def test_outliers_are_flagged_not_shown_as_relief(session):
    spiky = session.find(1).terrain
    elevation = np.full((32, 32), 100.0, np.float32) + np.linspace(0, 50, 32, dtype=np.float32)
    elevation[5, 5] = 5_000.0
    from dataclasses import replace

    scratch = Session.create(session.folder.parent)
    result = scratch.add(replace(spiky, elevation_m=elevation), np.zeros((32, 32, 3), np.uint8))
    assert result.heights.relief_m < 60 and result.heights.full_relief_m > 4_800
    from ui.inspector import describe

    assert "1 outlier sample(s)" in describe(result) and "relief 4" not in result.label
    scratch.close()


def test_downloads_have_every_file_with_safe_names(session):
    select_result(session, 1, 0.5, 1.0)
    glb, files, notes, paste = prepare_3d_and_downloads(session, "unreal", 2.0, 200_000)
    names = [Path(f).name for f in files]
    assert Path(glb).read_bytes()[:4] == b"glTF" and glb != files[0]  # the viewer's copy has the scale bar
    stem = "mesa_001_seed3_dunes_in_Algeria"
    assert names == [f"{stem}.glb", f"{stem}_obj.zip", f"{stem}_height.png", f"{stem}_height.r16",
                     f"{stem}_height.exr", f"{stem}_normal.png", f"{stem}.json", f"{stem}_unreal_bundle.zip"]
    assert "Unreal" in notes and " m long; the tile is " in notes
    assert "scale z percent" in paste and "data-copy=" in paste
    assert zipfile.ZipFile(files[1]).namelist() == [f"{stem}.obj", f"{stem}.mtl", f"{stem}_albedo.png"]
    bundle = zipfile.ZipFile(files[-1]).namelist()
    assert {f"{stem}.glb", f"{stem}_height.r16", f"{stem}.json"} <= set(bundle)
    sidecar = json.loads(Path(files[6]).read_text())
    assert sidecar["provenance"]["seed"] == 3 and sidecar["engine"]["engine"] == "unreal"
    assert sidecar["mesh"]["vertical_exaggeration"] == 2.0
    assert all(Path(f).is_relative_to(session.folder) for f in files)


@pytest.mark.parametrize("engine, exaggeration, triangles, message", [
    ("cryengine", 1.0, 200_000, "unknown engine preset 'cryengine'"),
    ("none", 1.0, 10, "the triangle budget must be a whole number from 1,000 to 2,000,000"),
    ("none", 1.0, 2.7e3 + 0.5, "the triangle budget must be a whole number"),
    ("none", 1.0, float("nan"), "the triangle budget must be a whole number"),
    ("none", 1.0, 1e12, "the triangle budget must be a whole number"),
    ("none", float("nan"), 200_000, "vertical exaggeration must be a finite number in [0.1, 20]"),
    ("none", 1e39, 200_000, "vertical exaggeration must be a finite number in [0.1, 20]"),
    ("none", 0, 200_000, "vertical exaggeration must be a finite number in [0.1, 20]"),
    ("none", float("inf"), 200_000, "vertical exaggeration must be a"),
])
def test_bad_export_options_are_reported(session, engine, exaggeration, triangles, message):
    select_result(session, 1, 0.5, 1.0)
    exports = dict(session.exports)
    glb, files, notes, paste = prepare_3d_and_downloads(session, engine, exaggeration, triangles)
    assert paste == "" and glb is None and files == []
    assert notes.startswith("Not exported: ") and message in notes, notes
    assert session.exports == exports and len(session.history) == 2


def test_bad_view_values_are_reported(session):
    select_result(session, 1, 0.5, 1.0)
    assert view_2d(session, float("nan"), 1.0)[4] == "Not shown: the overlay must be a finite number in [0, 1], got nan"
    assert "vertical exaggeration" in view_2d(session, 0.5, float("inf"))[4]
    assert render_3d(session, float("nan")) == (None, "Not rendered: vertical exaggeration must be a finite number "
                                                      "in [0.1, 20], got nan")


def test_downloads_come_from_the_kept_export_result(session):
    select_result(session, 2, 0.5, 1.0)
    glb, files, notes, paste = prepare_3d_and_downloads(session, "godot", 1.0, 200_000)
    downloads = session.exports[(2, "godot", 1.0, 200_000)]
    assert downloads.export.engine.engine == "godot" and str(downloads.glb) == files[0]
    roles = {f.path.name: (f.role, f.format) for f in downloads.export.files}
    assert roles[Path(files[2]).name] == ("heightmap", "png16")
    assert roles[Path(files[5]).name] == ("normal_map", "normal")
    for key, value in downloads.export.engine.import_settings.items():
        assert key.replace("_", " ") in paste
    downloads.sidecar.unlink()  # the notes do not read the sidecar back
    assert prepare_3d_and_downloads(session, "godot", 1.0, 200_000)[2:] == (notes, paste)


def test_viewer_glb_has_a_scale_bar(session):
    select_result(session, 1, 0.5, 1.0)
    glb, files, notes, _ = prepare_3d_and_downloads(session, "none", 1.0, 200_000)
    terrain = session.find(1).terrain
    length_m = scale_bar_length_m((terrain.elevation_m.shape[1] - 1) * terrain.meters_per_pixel)
    bar = trimesh.load(glb, force="scene").geometry["scale_bar"]
    assert bar.extents[0] == pytest.approx(length_m) and bar.bounds[0][0] == pytest.approx(0.0)
    assert f"red bar south of the tile is {length_m:,.0f} m long" in notes
    assert scale_bar_length_m(7620.0) == 1000.0 and scale_bar_length_m(1860.0) == 100.0
    assert len(trimesh.load(files[0], force="scene").geometry) == 1  # the download has no bar


def test_render_and_compare(session):
    select_result(session, 1, 0.5, 1.0)
    image, note = render_3d(session, 1.0)
    assert (image is not None and Image.open(image).width == 960) or "unavailable" in note
    labels = history_labels(session)
    assert [number for _, number in labels] == [2, 1] and "dunes in Algeria" in labels[0][0]
    side, caption = compare(session, 1, 2)
    width, height = Image.open(side).size
    assert width > 2 * height and "seed 3" in caption
    assert compare(session, 1, None)[0] is None


def test_safe_names_and_history_cap(tmp_path, session):
    assert slug("../../etc/passwd; rm -rf", separator="_", lowercase=False) == "etc_passwd_rm_rf"
    assert slug("日本") == "terrain"
    capped = Session.create(tmp_path)
    for _ in range(MAX_HISTORY + 2):
        capped.add(session.history[0].terrain, session.history[0].relief_rgb)
    assert len(capped.history) == MAX_HISTORY and capped.history[0].number == 3
    capped.close()
    assert not capped.folder.exists()
