"""Edit panel callbacks as plain functions against the tiny reference pipeline (32 px, no server)."""

import numpy as np
import pytest
from PIL import Image

from mesa.errors import UserError
from ui.edit_panel import editor_mask, mask_background, read_heightmap, run_edit
from ui.generate import generate

PROMPT = "A Sentinel-2 image of hills in May"


def edit(pipe, session, mode, *, prompt="", composed=PROMPT, seed=11, num_seeds=1, strength=0.5, upload=None,
         min_m=None, max_m=None, spacing=None, sketch=None, mask=None, progress=None):
    return run_edit(pipe, mode, prompt, composed, seed, num_seeds, 2, 7.5, "ddim", strength, upload, min_m, max_m,
                    spacing, sketch, mask, session, progress=progress)


def blank_sketch(size_px: int = 64) -> np.ndarray:
    """A transparent canvas, as the sketch editor starts."""
    return np.zeros((size_px, size_px, 4), dtype=np.uint8)


def ridge_sketch() -> dict:
    """One red ridge across a canvas with a grey low (dark) and high (light) stroke, as the editor sends it."""
    canvas = blank_sketch()
    canvas[30:34, :] = (255, 0, 0, 255)
    canvas[4:8, 4:60] = (40, 40, 40, 255)
    canvas[56:60, 4:60] = (220, 220, 220, 255)
    return {"background": None, "layers": [canvas], "composite": canvas}


def test_heightmap_uploads(tmp_path):
    values = np.linspace(100, 900, 16 * 24, dtype=np.float32).reshape(16, 24)
    np.save(tmp_path / "map.npy", values)
    assert np.array_equal(read_heightmap(tmp_path / "map.npy", 5, 6), values)  # float files are metres already
    Image.fromarray(np.arange(16 * 24, dtype=np.uint16).reshape(16, 24) * 100).save(tmp_path / "map.png")
    metres = read_heightmap(tmp_path / "map.png", 0, 6553.5)
    assert metres[0, 1] == pytest.approx(10.0) and metres.shape == (16, 24)
    with pytest.raises(UserError, match="16-bit image without metres"):
        read_heightmap(tmp_path / "map.png")
    with pytest.raises(UserError, match="upload a heightmap"):
        read_heightmap(None)
    (tmp_path / "map.txt").write_text("1 2")
    with pytest.raises(UserError, match="use one of"):
        read_heightmap(tmp_path / "map.txt")


def test_mask_from_the_brush_layer():
    layer = np.zeros((128, 128, 4), dtype=np.uint8)
    layer[0:8, 0:12, :] = 255  # painted on the 4x enlarged result
    mask = editor_mask({"background": None, "layers": [layer], "composite": None}, (32, 32))
    assert mask.shape == (32, 32) and mask[:2, :3].all() and mask.sum() == 6
    odd = editor_mask({"layers": [layer[:100, :100]]}, (32, 32))  # not a whole multiple: resampled, never shrunk
    assert odd[:2, :3].all() and odd.sum() >= 6
    with pytest.raises(UserError, match="empty"):
        editor_mask({"layers": [np.zeros((64, 64, 4), np.uint8)]}, (32, 32))
    with pytest.raises(UserError, match="paint the region"):
        editor_mask(None, (32, 32))


def test_sketch_follows_and_joins_the_history(tiny_pipeline, session):
    reports = []
    tiles, status, session = edit(tiny_pipeline, session, "sketch", sketch=ridge_sketch(), num_seeds=2,
                                  progress=lambda step, **k: reports.append(step))
    assert status.startswith("Done: follow the sketch -> 2 result(s) from seed(s) 11, 12"), status
    assert len(tiles) == 2 and [r.terrain.seed for r in session.history] == [11, 12]
    assert session.latest == [1, 2] and session.selected == 1
    control = session.history[0].terrain.control
    assert (control.mode, control.strength, control.source) == ("guide", 0.5, "sketch")
    assert session.history[0].terrain.settings.prompt == PROMPT  # the prompt composed above
    assert reports == [(1, 2), (2, 2)]


def test_texture_the_selected_result_or_an_upload(tiny_pipeline, session, tmp_path):
    generate(tiny_pipeline, PROMPT, 5, 1, 2, 7.5, "ddim", 32, None, session)
    source = session.history[0].terrain
    _, status, session = edit(tiny_pipeline, session, "texture", prompt="A Sentinel-2 image of glaciers")
    textured = session.history[-1].terrain
    assert status.startswith("Done") and np.array_equal(textured.elevation_m, source.elevation_m)
    assert textured.settings.prompt == "A Sentinel-2 image of glaciers"
    values = np.random.default_rng(0).normal(500, 50, (48, 48)).astype(np.float32)
    np.save(tmp_path / "blockout.npy", values)
    _, status, session = edit(tiny_pipeline, session, "texture", upload=str(tmp_path / "blockout.npy"), spacing=30)
    assert status.startswith("Done")
    result = session.history[-1].terrain
    assert np.array_equal(result.elevation_m, values) and result.meters_per_pixel == 30
    assert result.rgb.shape == (48, 48, 3)


def test_repaint_changes_only_the_masked_region(tiny_pipeline, session):
    generate(tiny_pipeline, PROMPT, 5, 1, 2, 7.5, "ddim", 32, None, session)
    original = session.history[0].terrain
    editor, note = mask_background(session)
    assert editor["background"].shape[0] >= 384 and "#1" in note
    factor = editor["background"].shape[0] // 32
    layer = np.zeros((*editor["background"].shape[:2], 4), dtype=np.uint8)
    layer[8 * factor:20 * factor, 8 * factor:20 * factor] = 255
    _, status, session = edit(tiny_pipeline, session, "repaint", seed=99, mask={**editor, "layers": [layer]})
    assert status.startswith("Done"), status
    repainted = session.history[-1].terrain
    outside = np.ones((32, 32), bool)
    outside[8:20, 8:20] = False
    assert np.array_equal(repainted.elevation_m[outside], original.elevation_m[outside])
    assert np.array_equal(repainted.rgb[outside], original.rgb[outside])
    assert not np.array_equal(repainted.rgb[~outside], original.rgb[~outside])
    assert repainted.settings.prompt == original.settings.prompt  # the result's own prompt


def test_one_line_refusals_keep_the_history(tiny_pipeline, session):
    for mode, kwargs, message in (
            ("repaint", {}, "select a result"),
            ("sketch", {"sketch": {"composite": blank_sketch()}}, "no relief"),
            ("sketch", {"sketch": None}, "draw a sketch"),
            ("sketch", {"sketch": ridge_sketch(), "strength": 1.5}, "strength"),
            ("heightmap", {}, "upload a heightmap"),
            ("texture", {"composed": ""}, "prompt is empty"),
            ("warp", {}, "unknown edit")):
        _, status, session = edit(tiny_pipeline, session, mode, **kwargs)
        assert status.startswith("Not edited") and message in status and "\n" not in status, status
        assert session.history == []
    purple = ridge_sketch()
    purple["composite"][0:4, 0:4] = (200, 0, 200, 255)
    assert "neither grey" in edit(tiny_pipeline, session, "sketch", sketch=purple)[1]


def test_cancel_stops_an_edit(tiny_pipeline, session):
    session.cancel.set()
    _, status, session = edit(tiny_pipeline, session, "sketch", sketch=ridge_sketch())
    assert status.startswith("Cancelled") and session.history == []
