"""World tab callbacks as plain functions against the tiny reference pipeline (32 px tiles, no server)."""

import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from mesa.errors import UserError
from ui.world_tab import (
    WorldState,
    check_grid,
    export_world_files,
    generate_world_tab,
    parse_cell_prompts,
    plan_summary,
    world_prompts,
)

PROMPT = "A Sentinel-2 image of hills in May"


def run(pipe, session, state=None, *, prompt=PROMPT, cells="", seed=3, columns=2, rows=1, overlap=0.5, steps=2,
        progress=None):
    return generate_world_tab(pipe, prompt, cells, seed, columns, rows, overlap, steps, session, state,
                              progress=progress)


def test_cell_prompts_are_rows_of_bar_separated_prompts():
    assert parse_cell_prompts("  ") is None
    assert parse_cell_prompts("deserts | hills\n\ntundra|plains\n") == [["deserts", "hills"], ["tundra", "plains"]]
    assert world_prompts("one", "") == "one"
    for text, message in (("a|b\nc", "same number"), ("a||b", "empty")):
        with pytest.raises(UserError, match=message):
            parse_cell_prompts(text)
    with pytest.raises(UserError, match="columns"):
        check_grid(0, 1)
    with pytest.raises(UserError, match="rows"):
        check_grid(1, 2.5)


def test_plan_summary_names_the_size_or_the_refusal(tiny_pipeline):
    summary = plan_summary(tiny_pipeline, PROMPT, "", 3, 2, 1, 0.5, 2)
    assert summary.startswith("2 x 1 tiles (0.64 x 0.32 km, 64 x 32 px)") and summary.endswith("MB of memory.")
    assert plan_summary(tiny_pipeline, PROMPT, "", 3, 5, 1, 0.5, 2).startswith("Not possible: columns must be")
    assert plan_summary(None, PROMPT, "", 3, 2, 1, 0.5, 2) == "No model is loaded."


def test_world_with_progress_preview_and_engine_zip(tiny_pipeline, session, tmp_path):
    reports = []
    preview, info, status, session, state = run(tiny_pipeline, session,
                                                progress=lambda fraction, desc: reports.append((fraction, desc)))
    assert status.startswith("Done: 2 x 1 tiles") and state.world.rgb.shape == (32, 64, 3)
    assert "World: 2 x 1 tiles, seed 3" in info
    # colour | relief side by side, enlarged by an integer factor to at least 384 px high
    factor = preview.shape[0] // 32
    assert preview.shape[0] >= 384 and preview.shape[0] % 32 == 0
    assert np.array_equal(preview[::factor, ::factor][:, :64], state.world.rgb)
    assert reports[0][1] == "Denoising step 1 of 2: window 3 of 3" and reports[-1] == (1.0, "Decoding window 3 of 3")
    assert [r[0] for r in reports] == sorted(r[0] for r in reports)

    glb, files, notes = export_world_files(session, state, "unreal")
    bundle = files[0]
    assert glb.endswith("_lod.glb") and bundle.endswith("_unreal.zip") and "Unreal Engine tiles" in notes
    assert all(str(session.folder) in path for path in files)
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        document = json.loads(archive.read("world.json"))
        archive.extractall(tmp_path / "unzipped")
    assert {f["path"] for f in document["files"]} <= names
    stem = "world_001_seed3_2x1"
    tiles = [np.asarray(Image.open(tmp_path / "unzipped" / "unreal" / f"{stem}_x{i}_y0.png")) for i in (0, 1)]
    assert tiles[0].dtype == np.uint16 and np.array_equal(tiles[0][:, -1], tiles[1][:, 0])  # shared edge, exact
    assert export_world_files(session, state, "unreal")[1] == files  # made once per engine


def test_bad_values_and_cancel_keep_the_previous_world(tiny_pipeline, session):
    _, _, _, session, state = run(tiny_pipeline, session, columns=1)
    world = state.world
    for kwargs, message in (({"columns": 9}, "columns"), ({"seed": -1}, "seed"), ({"prompt": ""}, "empty"),
                            ({"overlap": 0.3}, "overlap"), ({"cells": "a|b\nc"}, "same number")):
        preview, _, status, session, state = run(tiny_pipeline, session, state, **kwargs)
        assert status.startswith("Not generated") and message in status, status
        assert state.world is world and preview is not None
    session.cancel.set()
    _, _, status, session, state = run(tiny_pipeline, session, state)
    assert status.startswith("Cancelled") and state.world is world


def test_per_cell_prompts_reach_the_cells(tiny_pipeline, session):
    cells = "A Sentinel-2 image of deserts | A Sentinel-2 image of glaciers"
    _, info, status, _, state = run(tiny_pipeline, session, cells=cells)
    assert status.startswith("Done")
    assert [max(c.prompts, key=c.prompts.get) for c in state.world.cells] == [
        "A Sentinel-2 image of deserts", "A Sentinel-2 image of glaciers"]
    assert "cell x1 y0: A Sentinel-2 image of glaciers" in info


def test_no_world_or_closed_session(tiny_pipeline, session):
    assert export_world_files(session, WorldState(), "none")[2] == "Generate a world to get its files."
    _, _, _, session, state = run(tiny_pipeline, session, columns=1)
    assert export_world_files(session, state, "cryengine")[2].startswith("Not exported: unknown engine")
    session.close()
    assert "closed" in export_world_files(session, state, "none")[2]


def test_a_world_leaves_with_its_session(tiny_pipeline, session, tmp_path):
    _, _, _, session, state = run(tiny_pipeline, session, columns=1)
    assert export_world_files(session, state, "none")[0].endswith("_lod.glb")
    session.close("idle for 60 min")
    preview, _, status, replaced, state = run(tiny_pipeline, session, state, prompt="")
    assert status.startswith("Your earlier session was closed (idle for 60 min). Not generated")
    assert state.world is None and preview is None and replaced is not session
    assert export_world_files(replaced, state, "none")[2] == "Generate a world to get its files."
    replaced.close()
