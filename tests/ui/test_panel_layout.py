"""The World tab and the Edit / Finish panels are on the page (with and without a model)."""

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
