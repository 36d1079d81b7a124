"""Inspector callbacks: pick a result, show it in 2D, in 3D (GLB viewer + PyVista render), export
it, and put two results side by side."""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from mesa.errors import UserError
from mesa.export.sidecar import extent_of
from mesa.preview import render_terrain, shaded_relief
from ui.downloads import EXAGGERATION_RANGE, export_downloads
from ui.engine_settings import paste_values, settings_html
from ui.legend import elevation_legend
from ui.scale_bar import glb_with_scale_bar, scale_bar_length_m
from ui.session import Result, Session, short_prompt
from ui.shading import blend, side_by_side, upscale_nearest
from mesa.validation import check_number

logger = logging.getLogger(__name__)

INSPECTOR_MIN_PX = 384  # tiny outputs are enlarged (nearest neighbour) so pixels stay visible
LEGEND_WIDTH_PX = 512
RENDER_SIZE = (960, 600)


def number_from_gallery(session: Session | None, index: int | None, history: bool = False) -> int | None:
    """The running number of the tile at `index` of the run gallery, or of the history gallery
    (newest first)."""
    if session is None or index is None:
        return None
    numbers = [r.number for r in reversed(session.history)] if history else session.latest
    return numbers[index] if 0 <= index < len(numbers) else None


def view_2d(session: Session | None, overlay: object, vertical_exaggeration: object):
    """(colour image, shaded elevation, metres legend, overlay image, description) of the selected
    result; the images are PNG paths, each written once into the result's folder."""
    if session is not None and session.closed:
        return None, None, None, None, (f"This session was closed ({session.closed_reason}) and its results were "
                                        "removed; generate to start a new one.")
    result = session.selected_result() if session else None
    if result is None:
        return None, None, None, None, "Generate terrains, then click a tile to inspect it."
    try:
        overlay = check_number("the overlay", overlay, 0.0, 1.0)
        vertical_exaggeration = check_number("vertical exaggeration", vertical_exaggeration, *EXAGGERATION_RANGE)
    except UserError as error:
        return None, None, None, None, f"Not shown: {error}"
    terrain = result.terrain

    def relief() -> np.ndarray:
        return shaded_relief(terrain.elevation_m, terrain.meters_per_pixel, vertical_exaggeration)

    def large(make):
        return lambda: upscale_nearest(make(), INSPECTOR_MIN_PX)

    views = [session.image_file(result, "colour", large(lambda: terrain.rgb)),
             session.image_file(result, f"elevation x{vertical_exaggeration:g}", large(relief)),
             session.image_file(result, "legend", lambda: elevation_legend(result.heights, LEGEND_WIDTH_PX)),
             session.image_file(result, f"overlay {overlay:g} x{vertical_exaggeration:g}",
                                large(lambda: blend(terrain.rgb, relief(), overlay)))]
    return (*(str(path) for path in views), describe(result))


def describe(result: Result) -> str:
    """Markdown description of a result: prompt, seed, size (first to last sample, as the mesh and
    terrain.json have it) and heights (p2-p98 relief, full min-max, outliers)."""
    t, s, h = result.terrain, result.terrain.settings, result.heights
    height, width = t.elevation_m.shape
    extent_x, extent_y = extent_of(width, height, t.meters_per_pixel)
    outliers = (f" · **{h.outlier_count:,} outlier sample(s)** stretch the full range (spikes or pits)"
                if h.outliers else "")
    return (f"**#{result.number} · seed {t.seed}** — {s.prompt}\n\n"
            f"{width} × {height} px at {t.meters_per_pixel:g} m/px: {extent_x:,.0f} × {extent_y:,.0f} m "
            f"(first to last sample, as in the mesh) · relief {h.relief_m:,.0f} m (p2–p98: {h.p2_m:,.0f} – "
            f"{h.p98_m:,.0f} m) · full range {h.min_m:,.0f} – {h.max_m:,.0f} m (what the files hold){outliers} · "
            f"{s.steps} steps, guidance {s.guidance:g}, {s.sampler} · model {s.model_id}")


def select_result(session: Session | None, number: int | None, overlay: float, vertical_exaggeration: float):
    """Make `number` the inspected result; returns the 2D views and the session."""
    if session is not None and session.find(number) is not None:
        session.selected = number
    return (*view_2d(session, overlay, vertical_exaggeration), session)


def prepare_3d_and_downloads(session: Session | None, engine: str, vertical_exaggeration: float, max_triangles: float):
    """(GLB path for the viewer (with a scale bar), download file paths, download notes, engine
    settings as HTML with copy buttons) for the selected result."""
    result = session.selected_result() if session else None
    if result is None:
        return None, [], "Select a result to get its files.", ""
    try:
        downloads = export_downloads(session, result, engine, vertical_exaggeration, max_triangles)
    except UserError as error:
        return None, [], f"Not exported: {error}", ""
    except Exception as error:  # an exporter failure must not take the page down
        logger.exception("export failed")
        return None, [], f"Error: export failed: {type(error).__name__}: {error}", ""
    extent_x_m = extent_of(*result.terrain.elevation_m.shape[::-1], result.terrain.meters_per_pixel)[0]
    viewer = glb_with_scale_bar(downloads.glb, downloads.glb.parent.parent / "viewer_with_scale_bar.glb")
    note = (f"{downloads.summary()}\n\nIn the 3D view the red bar south of the tile is "
            f"{scale_bar_length_m(extent_x_m):,.0f} m long; the tile is {extent_x_m:,.0f} m wide.")
    return str(viewer), [str(p) for p in downloads.files], note, settings_html(paste_values(downloads.export.engine))


def render_3d(session: Session | None, vertical_exaggeration: object):
    """(PyVista render or None, note) of the selected result."""
    result = session.selected_result() if session else None
    if result is None:
        return None, ""
    terrain = result.terrain
    try:
        exaggeration = check_number("vertical exaggeration", vertical_exaggeration, *EXAGGERATION_RANGE)
    except UserError as error:
        return None, f"Not rendered: {error}"
    try:
        image = session.image_file(result, f"render x{exaggeration:g}", lambda: render_terrain(
            terrain.elevation_m, terrain.meters_per_pixel, terrain.rgb, window_size=RENDER_SIZE,
            vertical_exaggeration=exaggeration))
    except UserError as error:
        return None, f"Not rendered: {error}"
    except Exception as error:  # e.g. no OpenGL on the server; the GLB viewer still works
        logger.exception("render failed")
        return None, f"The off-screen render is unavailable here ({type(error).__name__}: {error})."
    return str(image), ""


def history_labels(session: Session | None) -> list[tuple[str, int]]:
    """(label, number) choices for the compare dropdowns, newest first."""
    if session is None:
        return []
    return [(r.history_label, r.number) for r in reversed(session.history)]


def compare(session: Session | None, number_a: int | None, number_b: int | None):
    """Two results side by side: colour | elevation of A, then colour | elevation of B."""
    if session is not None:
        session.touch()
    results = [session.find(n) if session else None for n in (number_a, number_b)]
    if any(r is None for r in results):
        return None, "Pick two results from the history to compare them."
    height = max(r.terrain.rgb.shape[0] for r in results)
    images = []
    for result in results:
        images += [_resize(result.terrain.rgb, height), _resize(result.relief_rgb, height)]
    captions = " | ".join(f"**{r.label}** (p2–p98): {r.terrain.prompt}" for r in results)
    image = session.image_file(None, f"compare {results[0].number} {results[1].number}",
                               lambda: upscale_nearest(side_by_side(images, gap_px=max(2, height // 32)), 256))
    return str(image), captions


def _resize(image: np.ndarray, height: int) -> np.ndarray:
    if image.shape[0] == height:
        return image
    width = round(image.shape[1] * height / image.shape[0])
    return np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.NEAREST))
