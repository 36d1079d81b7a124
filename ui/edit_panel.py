"""Edit panel callbacks: texture a heightmap, follow a sketch or a heightmap, repaint a masked region
of the selected result. Results join the session's history, gallery and downloads like generated
terrains (a `ControlledTerrain` is a `Terrain`).

The sketch canvas and the mask brush are Gradio ImageEditors (`type="numpy"`, RGBA, PNG so colours
stay exact); their value is a dict with "background", "layers" and "composite" (H, W, 4) uint8
arrays. The sketch canvas starts transparent: unpainted pixels carry no information
(`mesa.control.sketch`), grey strokes are heights, red ridges, blue valleys.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mesa.control import follow_guide, guide_from_heightmap, guide_from_sketch, repaint, texture_heightmap
from mesa.control.grid import MIN_SIDE_PX, resample_mask
from mesa.errors import UserError
from mesa.export.readers import inspect_elevation, read_elevation
from mesa.limits import check_memory
from mesa.pipeline import GenerationCancelled, StepProgress
from mesa.validation import check_number, check_positive
from ui.compose import check_prompt
from ui.generate import gallery_items, keep_results, make_request, open_session
from ui.lifetime import SessionRegistry
from ui.session import Session
from ui.shading import upscale_nearest

logger = logging.getLogger(__name__)

MODES = {"texture": "Texture a heightmap (colour for your elevation)",
         "sketch": "Follow the sketch",
         "heightmap": "Follow the heightmap (a coarse guide)",
         "repaint": "Repaint the masked region of the selected result"}
MAX_UPLOAD_SIDE_PX = 4096  # an uploaded heightmap is textured at the model's size and kept at its own
SKETCH_CANVAS_PX = 256
SKETCH_COLOURS = ["#000000", "#404040", "#808080", "#c0c0c0", "#ffffff", "#ff0000", "#0000ff"]
MASK_COLOUR = "#ffffff"
MASK_MIN_PX = 384  # the result under the mask brush is enlarged to at least this

Progress = Callable[..., object]


def read_heightmap(path: object, min_m: object = None, max_m: object = None) -> np.ndarray:
    """(H, W) float64 metres from an uploaded .npy, .tif, .exr or 16-bit .png (which needs the
    metres of its lowest and highest value). Size and memory are checked from the header first."""
    if path is None or not str(path):
        raise UserError("upload a heightmap first (.npy, .tif, .exr or a 16-bit .png)")
    info = inspect_elevation(Path(str(path)))
    if max(info.shape) > MAX_UPLOAD_SIDE_PX:
        raise UserError(f"the heightmap is {info.shape[1]} x {info.shape[0]} px; the app takes at most "
                        f"{MAX_UPLOAD_SIDE_PX} px per side (use the command line for larger maps)")
    check_memory(info.read_bytes, f"reading a {info.shape[1]} x {info.shape[0]} px heightmap", "upload a smaller map")
    integer = np.issubdtype(info.dtype, np.integer)
    low, high = (_optional_metres("lowest height", min_m), _optional_metres("highest height", max_m))
    if not integer:
        low = high = None  # float files are metres already; the boxes only apply to 16-bit files
    elif low is None or high is None or not high > low:
        raise UserError(f"{info.path.name} is a 16-bit image without metres: give its lowest and highest height in "
                        f"metres (highest above lowest)")
    return read_elevation(info, low, high)


def _optional_metres(name: str, value: object) -> float | None:
    if value is None or value == "":
        return None
    return check_number(name, value, -12_000.0, 9_000.0, unit=" m")


def sketch_image(editor_value: object) -> np.ndarray:
    """The sketch as the user sees it: the editor's composite, (H, W, 3|4) uint8."""
    composite = editor_value.get("composite") if isinstance(editor_value, dict) else None
    if composite is None:
        raise UserError("draw a sketch first: grey for heights, red for ridges, blue for valleys")
    image = np.asarray(composite)
    if image.dtype != np.uint8:
        raise UserError(f"the sketch must be an 8-bit image, got {image.dtype}")
    return image


def editor_mask(editor_value: object, shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool: where the brush painted on any layer of the mask editor, brought to `shape`
    (a terrain pixel is selected when any painted pixel covers it)."""
    layers = editor_value.get("layers") if isinstance(editor_value, dict) else None
    if not layers:
        raise UserError("paint the region to repaint on the selected result first (the mask brush)")
    painted = np.zeros(np.asarray(layers[0]).shape[:2], dtype=bool)
    for layer in layers:
        layer = np.asarray(layer)
        if layer.shape[:2] != painted.shape:
            raise UserError("the mask layers differ in size; clear the mask and paint again")
        painted |= layer[..., 3] > 0 if layer.ndim == 3 and layer.shape[2] == 4 else layer.max(-1) > 0
    if not painted.any():
        raise UserError("the mask is empty: paint the region to repaint with the brush")
    if min(painted.shape) < MIN_SIDE_PX:
        raise UserError(f"the mask is smaller than {MIN_SIDE_PX} px; reload the selected result under the brush")
    return _shrink_mask(painted, shape)


def _shrink_mask(painted: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """`painted` on the terrain's grid: exact block-wise "any" when the editor showed the terrain
    enlarged by an integer factor (as `mask_background` does), else `resample_mask`."""
    (height, width), (rows, columns) = painted.shape, shape
    if height % rows == 0 and width % columns == 0 and height // rows == width // columns:
        factor = height // rows
        return painted.reshape(rows, factor, columns, factor).any(axis=(1, 3))
    return resample_mask(painted, rows, columns)


def mask_background(session: Session | None):
    """(editor value showing the selected result's colour image, note) for the mask brush."""
    result = session.selected_result() if session else None
    if result is None:
        return None, "Select a result first (generate, then click a tile)."
    background = upscale_nearest(result.terrain.rgb, MASK_MIN_PX)
    return ({"background": background, "layers": [], "composite": background},
            f"Paint over **{result.label}** in white where it should be repainted.")


def run_edit(pipe, mode: str, prompt: object, composed_prompt: object, seed, num_seeds, steps, guidance, sampler,
             strength, upload, min_m, max_m, meters_per_pixel, sketch, mask, session: Session | None,
             progress: Progress | None = None, sessions: SessionRegistry | None = None):
    """One edit run; returns (gallery tiles of this run, status, session).

    The results join the history (and become the run shown in the gallery and inspector); on a
    bad value, a cancel or a model error the gallery keeps the previous run and the status says
    what happened in one line."""
    session = open_session(session, sessions)
    previous = gallery_items(session, session.latest_results())
    if pipe is None:
        return previous, "No model is loaded, so nothing can be edited. See the banner above.", session
    try:
        source = session.selected_result()
        text = _edit_prompt(mode, prompt, composed_prompt, source)
        request = make_request(pipe, text, seed, num_seeds, steps, guidance, sampler, pipe.native_size, None)
        sampling = {"steps": request.steps, "guidance": request.guidance, "sampler": request.sampler,
                    "callback": _step_progress(progress, MODES.get(mode, mode)), "cancel": session.cancel}
        with session.use():
            terrains = _controlled(pipe, mode, request, sampling, strength, upload, min_m, max_m, meters_per_pixel,
                                   sketch, mask, source)
            results = keep_results(session, terrains)
    except UserError as error:
        return previous, f"Not edited: {error}", session
    except GenerationCancelled as error:
        return previous, f"Cancelled ({error}). Earlier results are kept.", session
    except Exception as error:  # a model failure must not take the page down
        logger.exception("edit failed")
        return previous, f"Error: the edit failed: {type(error).__name__}: {error}. The app is still running.", session
    seeds = ", ".join(str(s) for s in request.seeds)
    status = (f"Done: {MODES[mode].split(' (')[0].lower()} -> {len(results)} result(s) from seed(s) {seeds}, "
              f"#{results[0].number} onwards in the history. They are in the gallery, inspector and downloads.")
    return gallery_items(session, results), status, session


def _edit_prompt(mode: str, prompt: object, composed_prompt: object, source) -> str:
    """The panel's prompt; else the result's own (repaint) or the one composed above."""
    if mode not in MODES:
        raise UserError(f"unknown edit {mode!r}; choose one of {', '.join(MODES)}")
    if prompt is not None and str(prompt).strip():
        return check_prompt(prompt)
    if mode == "repaint":
        if source is None:
            raise UserError("select a result to repaint first (generate, then click a tile)")
        return source.terrain.settings.prompt
    return check_prompt(composed_prompt)


def _controlled(pipe, mode, request, sampling, strength, upload, min_m, max_m, meters_per_pixel, sketch, mask,
                source) -> list:
    """Run one control mode of `mesa.control` with the request's prompt and seeds."""
    prompt, seeds = request.prompt, request.seeds
    if mode == "texture":
        elevation_m, spacing = _heightmap(upload, min_m, max_m, meters_per_pixel, source)
        return texture_heightmap(pipe, elevation_m, spacing, prompt, seeds, **sampling)
    if mode in ("sketch", "heightmap"):
        strength = check_number("strength", strength, 0.0, 1.0, unit=" (0 ignores the guide, 1 keeps its shapes)")
        guide = (guide_from_sketch(sketch_image(sketch)) if mode == "sketch"
                 else guide_from_heightmap(_heightmap(upload, min_m, max_m, meters_per_pixel, source)[0]))
        return follow_guide(pipe, guide, strength, prompt, seeds, **sampling)
    if source is None:
        raise UserError("select a result to repaint first (generate, then click a tile)")
    selected = editor_mask(mask, source.terrain.elevation_m.shape)
    return repaint(pipe, source.terrain, selected, prompt, seeds, **sampling)


def _heightmap(upload, min_m, max_m, meters_per_pixel, source) -> tuple[np.ndarray, float | None]:
    """(elevation in metres, ground spacing or None for the model's) of the uploaded heightmap, or
    of the selected result when nothing is uploaded."""
    if upload is None or not str(upload):
        if source is None:
            raise UserError("upload a heightmap (.npy, .tif, .exr or a 16-bit .png) or select a result first")
        return source.terrain.elevation_m, source.terrain.meters_per_pixel
    spacing = None if meters_per_pixel in (None, "", 0) else check_positive("metres per pixel", meters_per_pixel)
    return read_heightmap(upload, min_m, max_m), spacing


def _step_progress(progress: Progress | None, what: str) -> Callable[[StepProgress], None] | None:
    if progress is None:
        return None

    def report(step: StepProgress) -> None:
        progress((step.step, step.total_steps), desc=what, unit="steps")

    return report
