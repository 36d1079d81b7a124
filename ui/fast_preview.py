"""Fast preview: a few-step pass while exploring, the full settings for the terrain you keep.

With the "Fast preview" box ticked, Generate and Edit run the loaded model's few-step student
(`python -m mesa distill`: the bundled `<name>-fast`, or the `fast/` folder of a model folder;
`mesa.pipeline.model_choice.fast_variant`) at its own settings (lcm, 4 steps, no guidance). A
model without a student previews with its own sampler cut to TEACHER_PREVIEW_STEPS steps, which
keeps the prompt's effects (docs/fast.md measures both). Unticked, the Advanced settings apply.

The student is loaded once at start-up beside the model (a tiny model's is a few MB; a student
that cannot be loaded is logged and the teacher preview is used instead, so the app still starts).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mesa.errors import UserError
from mesa.pipeline import TerrainPipeline
from mesa.pipeline.model_choice import fast_variant
from mesa.pipeline.samplers import FEW_STEP_SAMPLERS

logger = logging.getLogger(__name__)

TEACHER_PREVIEW_STEPS = 8  # docs/fast.md: mesa-tiny at 4 guided steps kept a 5.9x relief ratio (50 steps: 10.2x)


@dataclass(frozen=True)
class PreviewModel:
    """What a fast preview runs.

    Attributes:
        pipe: the student, or the model itself when it has none.
        steps, guidance, sampler: the preview's settings (the student's own defaults, or the
            model's sampler and guidance at TEACHER_PREVIEW_STEPS).
        student: whether `pipe` is a distilled few-step student.
    """

    pipe: object
    steps: int
    guidance: float
    sampler: str
    student: bool

    @property
    def label(self) -> str:
        """The checkbox's words: what a preview costs and what runs it."""
        evaluations = self.steps * (2 if self.guidance > 1 else 1)
        if self.student:
            return (f"Fast preview: {self.pipe.model_id}, {self.steps} steps ({evaluations} model evaluations); "
                    "untick for the full settings")
        return (f"Fast preview: {self.steps} steps of {self.sampler} ({evaluations} model evaluations, no distilled "
                "student for this model); untick for the full settings")


def load_preview(pipe) -> PreviewModel | None:
    """The preview for `pipe` (None: no model loaded); a student loads on the model's device and dtype."""
    if pipe is None:
        return None
    try:
        student_name = fast_variant(pipe.model_id)
    except UserError:
        student_name = None
    if student_name is not None and student_name != pipe.model_id:
        try:
            student = TerrainPipeline.from_pretrained(student_name, str(pipe.device), pipe.dtype)
        except (UserError, OSError, ValueError) as error:
            logger.warning("fast preview: the student %s could not be loaded (%s); previews use %d steps of the "
                           "model itself", student_name, error, TEACHER_PREVIEW_STEPS)
        else:
            d = student.defaults
            return PreviewModel(student, d.steps, d.guidance, d.sampler, student=True)
    d = pipe.defaults
    if d.sampler in FEW_STEP_SAMPLERS:  # the model is itself a student: its defaults are the preview
        return PreviewModel(pipe, d.steps, d.guidance, d.sampler, student=True)
    return PreviewModel(pipe, min(TEACHER_PREVIEW_STEPS, d.steps), d.guidance, d.sampler, student=False)


def choose(pipe, preview: PreviewModel | None, fast: object, steps, guidance, sampler):
    """(pipe, steps, guidance, sampler) of a run: the preview's when `fast` is ticked and there is
    one, the page's Advanced settings otherwise (validated later by `generate.make_request`)."""
    if fast is True and preview is not None:
        return preview.pipe, preview.steps, preview.guidance, preview.sampler
    return pipe, steps, guidance, sampler
