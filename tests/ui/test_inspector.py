"""Inspector and downloads as plain functions: 2D views, GLB + files, bundle, compare."""

import json
import zipfile
from pathlib import Path

import pytest

from ui.generate import generate
from ui.inspector import (compare, history_labels, number_from_gallery, prepare_3d_and_downloads, render_3d,
                          select_result, view_2d)
from mesa.naming import slug
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
    rgb, relief, overlay, info, session = select_result(session, 2, 0.5, 1.0)
    assert rgb.shape == relief.shape == overlay.shape and rgb.shape[0] >= 384
    assert "seed 4" in info and "dunes in Algeria" in info
    assert view_2d(None, 0.5, 1.0)[0] is None


def test_downloads_have_every_file_with_safe_names(session):
    select_result(session, 1, 0.5, 1.0)
    glb, files, notes = prepare_3d_and_downloads(session, "unreal", 2.0, 200_000)
    names = [Path(f).name for f in files]
    assert glb == files[0] and Path(glb).read_bytes()[:4] == b"glTF"
    stem = "mesa_001_seed3_dunes_in_Algeria"
    assert names == [f"{stem}.glb", f"{stem}_obj.zip", f"{stem}_height.png", f"{stem}_height.r16",
                     f"{stem}_height.exr", f"{stem}_normal.png", f"{stem}.json", f"{stem}_unreal_bundle.zip"]
    assert "Unreal" in notes and "scale z percent" in notes
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
    glb, files, notes = prepare_3d_and_downloads(session, engine, exaggeration, triangles)
    assert glb is None and files == [] and notes.startswith("Not exported: ") and message in notes, notes
    assert session.exports == exports and len(session.history) == 2


def test_bad_view_values_are_reported(session):
    select_result(session, 1, 0.5, 1.0)
    assert view_2d(session, float("nan"), 1.0)[3] == "Not shown: the overlay must be a finite number in [0, 1], got nan"
    assert "vertical exaggeration" in view_2d(session, 0.5, float("inf"))[3]
    assert render_3d(session, float("nan")) == (None, "Not rendered: vertical exaggeration must be a finite number "
                                                      "in [0.1, 20], got nan")


def test_downloads_come_from_the_kept_export_result(session):
    select_result(session, 2, 0.5, 1.0)
    glb, files, notes = prepare_3d_and_downloads(session, "godot", 1.0, 200_000)
    downloads = session.exports[(2, "godot", 1.0, 200_000)]
    assert downloads.export.engine.engine == "godot" and str(downloads.glb) == glb
    roles = {f.path.name: (f.role, f.format) for f in downloads.export.files}
    assert roles[Path(files[2]).name] == ("heightmap", "png16")
    assert roles[Path(files[5]).name] == ("normal_map", "normal")
    for key, value in downloads.export.engine.import_settings.items():
        assert key.replace("_", " ") in notes
    downloads.sidecar.unlink()  # the notes do not read the sidecar back
    assert prepare_3d_and_downloads(session, "godot", 1.0, 200_000)[2] == notes


def test_render_and_compare(session):
    select_result(session, 1, 0.5, 1.0)
    image, note = render_3d(session, 1.0)
    assert (image is not None and image.ndim == 3) or "unavailable" in note
    labels = history_labels(session)
    assert [number for _, number in labels] == [2, 1]
    side, caption = compare(session, 1, 2)
    assert side.shape[1] > 2 * side.shape[0] and "seed 3" in caption
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
