"""The World tab and the Edit / Finish panels are on the page (with and without a model)."""

from types import SimpleNamespace

import pytest

from ui.layout import build_app
from ui.lifetime import SessionRegistry

PANEL_IDS = {"world-tab", "world-prompt", "world-cell-prompts", "world-columns", "world-rows", "world-generate",
             "world-cancel", "world-preview", "world-3d", "world-engine", "world-downloads", "edit", "edit-mode",
             "edit-sketch", "edit-strength", "edit-mask", "edit-upload", "edit-run", "edit-status", "finish",
             "finish-erosion", "finish-masks", "finish-run", "finish-relief", "finish-3d", "finish-overlays",
             "finish-downloads"}


def elem_ids(demo):
    return {block.elem_id for block in demo.blocks.values() if getattr(block, "elem_id", None)}


def test_panels_are_mounted_with_their_api_names(tiny_pipeline, tmp_path):
    demo = build_app(tiny_pipeline, "Model: tiny", SessionRegistry(tmp_path))
    assert PANEL_IDS <= elem_ids(demo)
    api_names = {d.get("api_name") for d in demo.get_config_file()["dependencies"]}
    assert {"generate", "export", "generate_world", "edit", "finish"} <= api_names


def test_panels_start_without_a_model(tmp_path):
    demo = build_app(None, "**No model found.**", SessionRegistry(tmp_path))
    assert PANEL_IDS <= elem_ids(demo)
    buttons = {block.elem_id: block for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    assert not buttons["world-generate"].interactive and not buttons["edit-run"].interactive


RUN_BUTTONS = ("generate", "edit-run", "finish-run", "world-generate")


def _load_page(demo, tmp_path):
    """What the page load (`open_session`) sets on each run button of a fresh tab, by elem_id."""
    load = next(fn for fn in demo.fns.values() if fn.api_name == "open_session")
    updates = load.fn(None, "", SimpleNamespace(session_hash="tab-1"))
    return {block.elem_id: update.get("interactive") for block, update in zip(load.outputs, updates)
            if block.elem_id in RUN_BUTTONS}


@pytest.mark.parametrize("with_model", [True, False])
def test_run_buttons_turn_on_only_once_the_page_has_its_session(tiny_pipeline, tmp_path, with_model):
    # A click before the load's restore made a second session the tab's token did not name (the
    # reload lost its results): every button that starts a run starts off and the load turns it on.
    demo = build_app(tiny_pipeline if with_model else None, "Model", SessionRegistry(tmp_path))
    buttons = {block.elem_id: block for block in demo.blocks.values() if getattr(block, "elem_id", None)}
    assert not any(buttons[name].interactive for name in RUN_BUTTONS)
    expected = dict.fromkeys(RUN_BUTTONS, with_model) | {"finish-run": True}  # finishing needs no model
    assert _load_page(demo, tmp_path) == expected
