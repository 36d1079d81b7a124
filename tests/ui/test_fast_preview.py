"""The "Fast preview" box: the model's few-step student when it has one, the model itself cut to a few
steps when not, a student that cannot load never stopping the app, and the page's Generate and Edit
runs taking the preview's settings only while the box is ticked."""

from __future__ import annotations

import json
import logging
import shutil

import pytest

from mesa.pipeline import TerrainPipeline
from ui import fast_preview, layout
from ui.fast_preview import TEACHER_PREVIEW_STEPS, load_preview
from ui.lifetime import SessionRegistry
from ui.vocabulary import NONE_CHOICE

PARTS = ("deserts", "hills", NONE_CHOICE, NONE_CHOICE, "", True)  # biome, landform, country, month, text, prefix


@pytest.fixture
def model_with_student(tmp_path, reference_dir) -> TerrainPipeline:
    """The tiny reference model with a `fast/` student (its own weights under lcm defaults: the
    wiring is under test here, the distillation in tests/training/test_distill.py)."""
    student = shutil.copytree(reference_dir / "pipeline", tmp_path / "student")
    (student / "sampling_defaults.json").write_text(json.dumps({"sampler": "lcm", "steps": 4, "guidance": 1.0}))
    teacher = shutil.copytree(reference_dir / "pipeline", tmp_path / "teacher")
    shutil.move(student, teacher / "fast")
    return TerrainPipeline.from_pretrained(teacher)


def test_no_model_no_preview():
    assert load_preview(None) is None


def test_a_model_without_a_student_previews_in_a_few_of_its_own_steps(tiny_pipeline):
    preview = load_preview(tiny_pipeline)
    defaults = tiny_pipeline.defaults
    assert preview.pipe is tiny_pipeline and not preview.student
    assert (preview.steps, preview.sampler, preview.guidance) == (
        min(TEACHER_PREVIEW_STEPS, defaults.steps), defaults.sampler, defaults.guidance)
    assert "no distilled student" in preview.label and f"{preview.steps} steps" in preview.label


def test_a_model_with_a_student_previews_with_it(model_with_student):
    preview = load_preview(model_with_student)
    assert preview.student and preview.pipe is not model_with_student
    assert preview.pipe.model_id.endswith("fast")
    assert (preview.steps, preview.guidance, preview.sampler) == (4, 1.0, "lcm")
    assert "4 steps (4 model evaluations)" in preview.label


def test_a_student_that_cannot_load_leaves_the_model_previewing_itself(model_with_student, caplog):
    (model_with_student.components.model_dir / "fast" / "model_index.json").write_text("{ not json")
    with caplog.at_level(logging.WARNING, logger="ui.fast_preview"):
        preview = load_preview(model_with_student)
    assert preview.pipe is model_with_student and not preview.student
    assert "could not be loaded" in caplog.text


def test_ticked_runs_the_preview_unticked_the_advanced_settings(model_with_student, tmp_path):
    preview = load_preview(model_with_student)
    sessions = SessionRegistry(tmp_path / "sessions")
    try:
        session = None
        for fast, expected in ((True, ("lcm", 4, 1.0)), (False, ("ddim", 3, 2.0))):
            tiles, status, session = layout._generate(model_with_student, preview, sessions, *PARTS, 7, 1, 3, 2.0,
                                                      "ddim", model_with_student.native_size, 0, fast, session,
                                                      progress=None)
            settings = session.latest_results()[0].terrain.settings
            assert (settings.sampler, settings.steps, settings.guidance) == expected, status
            assert f"{expected[1]} steps" in status
        assert len(session.history) == 2
    finally:
        sessions.close_all()


def test_choose_ignores_the_box_without_a_preview(tiny_pipeline):
    assert fast_preview.choose(tiny_pipeline, None, True, 30, 5.0, "unipc") == (tiny_pipeline, 30, 5.0, "unipc")


def test_the_box_is_on_the_page_only_with_a_preview(tiny_pipeline, tmp_path):
    def fast_box(demo):
        return next(block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "fast-preview")

    with_preview = layout.build_app(tiny_pipeline, "Model: tiny", SessionRegistry(tmp_path / "a"),
                                    preview=load_preview(tiny_pipeline))
    assert fast_box(with_preview).visible and "Fast preview" in fast_box(with_preview).label
    without = layout.build_app(None, "**No model found.**", SessionRegistry(tmp_path / "b"))
    assert not fast_box(without).visible
