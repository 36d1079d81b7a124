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


def test_bad_export_options_are_reported(session):
    select_result(session, 1, 0.5, 1.0)
    glb, files, notes = prepare_3d_and_downloads(session, "cryengine", 1.0, 200_000)
    assert glb is None and files == [] and "unknown engine preset" in notes
    assert "triangle budget" in prepare_3d_and_downloads(session, "none", 1.0, 10)[2]


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
