"""Finish panel callbacks and overlays as plain functions (small arrays; no model, no server)."""

import json
import zipfile

import imageio.v3 as iio
import numpy as np
import pytest

from mesa.errors import UserError
from mesa.finishing import MaterialWeights
from mesa.terrain import GenerationSettings, Terrain
from ui.finish_panel import finish_downloads, finish_options, run_finish
from ui.overlays import MATERIAL_COLOURS, material_map, tint
from ui.session import Session


@pytest.fixture
def session(tmp_path):
    """A session whose only result is a 40 x 40 synthetic valley with a river-blue strip."""
    session = Session.create(tmp_path)
    rows, columns = np.mgrid[0:40, 0:40]
    elevation_m = (300 + 8.0 * np.abs(columns - 20) + 2.0 * rows + 3 * np.sin(rows)).astype(np.float32)
    rgb = np.zeros((40, 40, 3), np.uint8)
    rgb[...] = (70, 110, 50)
    rgb[:, 19:22] = (30, 50, 90)
    settings = GenerationSettings("A Sentinel-2 image of hills", "", 2, 7.5, "ddim", 40, 40, 500.0, 300.0, "test")
    dem = ((elevation_m - 300) / 500).astype(np.float32)
    result = session.add(Terrain(rgb, dem, elevation_m, 30.0, 4, settings), np.zeros((40, 40, 3), np.uint8))
    session.selected = result.number
    yield session
    session.close()


def finish(session, state=None, erosion="hydraulic", strength=0.5, sea="", masks=("slope", "flow", "wear"),
           materials=True, progress=None):
    return run_finish(session, state, erosion, strength, sea, list(masks), materials, progress=progress)


def test_options_are_checked():
    options = finish_options("thermal", 2, "", ["slope"], False)
    assert (options.erosion, options.erosion_strength, options.sea_level_m, options.masks) == ("thermal", 2.0, None,
                                                                                             ("slope",))
    assert finish_options("none", 1, 12.5, [], True).erosion is None
    for args, message in ((("lava", 1, "", [], False), "unknown erosion"), (("none", 9, "", [], False), "strength"),
                          (("none", 1, 1e6, [], False), "sea level"), (("none", 1, "", ["rivers"], False), "mask"),
                          (("none", 1, "", ["wear"], False), "come from the erosion")):
        with pytest.raises(UserError, match=message):
            finish_options(*args)


def test_overlays_tint_and_material_colours():
    rgb = np.full((2, 2, 3), 100, np.uint8)
    mask = np.array([[0.0, 1.0], [0.5, 0.0]], np.float32)
    tinted = tint(rgb, mask, (200, 0, 0), strength=1.0)
    assert tinted[0, 0].tolist() == [100, 100, 100] and tinted[0, 1].tolist() == [200, 0, 0]
    assert tinted[1, 0].tolist() == [150, 50, 50]
    weights = np.zeros((6, 2, 2), np.float32)
    weights[4] = 1.0  # snow everywhere ...
    weights[:, 0, 0] = 0
    weights[1, 0, 0] = 1.0  # ... but grass in the north-west corner
    layers = ("rock", "grass", "forest", "soil", "snow", "water")
    shown = material_map(rgb, MaterialWeights(layers, weights), strength=1.0)
    assert shown[0, 0].tolist() == list(MATERIAL_COLOURS["grass"]) and shown[1, 1].tolist() == list(
        MATERIAL_COLOURS["snow"])


def test_finish_previews_and_files(session, tmp_path):
    reports = []
    relief, overlays, summary, state = finish(session, progress=lambda step, **k: reports.append(step))
    assert reports[-1] == (50, 50) and len(reports) == 50  # strength 0.5: half of 100 hydraulic iterations
    assert relief.shape[0] >= 320 and relief.shape[1] > 2 * relief.shape[0]  # before | after
    assert [caption for _, caption in overlays][:3] == ["mask: slope", "mask: flow", "mask: wear"]
    assert overlays[3][1].startswith("dominant material (rock #808080")
    assert "erosion (hydraulic, 50 iterations)" in summary and "masks: slope, flow, wear" in summary
    eroded = state.result.elevation_m
    assert not np.array_equal(eroded, session.history[0].terrain.elevation_m)

    glb, files, notes = finish_downloads(session, state, "unreal", 1.0, 200_000)
    assert glb.endswith(".glb") and files[0].endswith("_unreal_bundle.zip") and "terrain.json" in notes
    stem = session.history[0].file_stem
    with zipfile.ZipFile(files[0]) as archive:
        names = set(archive.namelist())
        document = json.loads(archive.read("terrain.json"))
        archive.extractall(tmp_path / "unzipped")
    assert {f"{stem}_mask_slope.png", f"{stem}_mask_wear.png", f"{stem}_layer_rock.png",
            f"{stem}_finished_height.png", "terrain.json", f"{stem}_finished.glb"} <= names
    assert {entry["path"] for entry in document["files"]} == names - {"terrain.json"}
    assert document["provenance"]["finishing"]["layers"]["engine"] == "unreal"
    # the heightmap is the eroded terrain; the weight maps have the landscape's size (Unreal: 127 for 40 px)
    assert document["elevation"]["max_m"] == pytest.approx(float(eroded.max()), abs=0.01)
    layers = [iio.imread(tmp_path / "unzipped" / f"{stem}_layer_{name}.png") for name in
              document["provenance"]["finishing"]["layers"]["order"]]
    heightmap = iio.imread(tmp_path / "unzipped" / f"{stem}_finished_height.png")
    assert heightmap.shape == layers[0].shape == (127, 127)
    assert (np.sum(layers, axis=0, dtype=np.int64) == 255).all()
    assert finish_downloads(session, state, "unreal", 1.0, 200_000)[1] == files  # written once per option set


def test_refusals_cancel_and_no_selection(session):
    _, _, summary, state = finish(session, erosion="none", masks=(), materials=False)
    assert summary == "Not finished: nothing to do: choose an erosion, a mask or the materials" and state is None
    _, _, summary, state = finish(session, erosion="none", masks=["slope"], materials=False)
    assert summary.startswith("**Finished #1**") and state.result.erosion is None
    session.cancel.set()
    relief, _, summary, kept = finish(session, state)
    assert summary.startswith("Cancelled") and kept is state and relief is not None
    assert finish_downloads(session, state, "blender", 1.0, 200_000)[2].startswith("Not exported: unknown engine")
    session.selected = None
    assert finish(session)[2] == "Select a result first (generate, then click a tile)."
    assert finish_downloads(session, None, "none", 1.0, 200_000)[2] == "Finish a result to get its files."


def test_a_finish_belongs_to_its_session(session, tmp_path):
    _, _, _, state = finish(session, erosion="none", masks=["slope"], materials=False)
    other = Session.create(tmp_path)  # a replaced session numbers its results from 1 again
    other.add(session.history[0].terrain, session.history[0].relief_rgb)
    assert finish_downloads(other, state, "none", 1.0, 200_000)[2] == "Finish a result to get its files."
    session.close()
    assert finish_downloads(session, state, "none", 1.0, 200_000)[2] == "Finish a result to get its files."
    other.close()
