"""Finish panel callbacks: erosion, water level, masks and material weight maps for the selected
result (`mesa.finishing`), previews of the eroded terrain and of the masks as coloured overlays,
and the finished files (eroded heightmaps and mesh, masks, engine layers) with one bundle zip.

The `FinishResult` is kept in the panel's own `gr.State` (`FinishState`) so the files are written
from what was previewed; they go under the selected result's folder in the session, so they leave
the disk with it.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mesa.errors import UserError
from mesa.export import ExtraFile, export_terrain
from mesa.export.engines import engine_grid_shape
from mesa.finishing import MASKS, ErosionCancelled, FinishOptions, FinishResult, finish_terrain, write_finish
from mesa.naming import slug
from mesa.preview import shaded_relief
from mesa.validation import check_number
from ui.bundles import zip_files
from ui.downloads import DOWNLOAD_FORMATS, check_options
from ui.overlays import MASK_COLOURS, MATERIAL_COLOURS, material_map, tint
from ui.session import Result, Session
from ui.shading import side_by_side, upscale_nearest

logger = logging.getLogger(__name__)

EROSION_CHOICES = {"none": "none", "hydraulic (water and sediment)": "hydraulic",
                   "thermal (talus slides)": "thermal", "both (thermal after each hydraulic step)": "hydraulic+thermal"}
STRENGTH_RANGE = (0.25, 4.0)  # time scale: 1 = the library's defaults (100 hydraulic, 50 thermal iterations)
SEA_LEVEL_RANGE_M = (-12_000.0, 9_000.0)
DEFAULT_MASKS = ("slope", "flow", "water")
FINISH_FORMATS = tuple(f for f in DOWNLOAD_FORMATS if f != "obj")  # GLB, heightmaps, normal map
PREVIEW_MIN_PX = 320

Progress = Callable[..., object]


@dataclass
class FinishState:
    """The Finish panel's per-user state: the finished terrain of one result and its exports.

    Attributes:
        session_folder: folder of the session the result belongs to (numbers restart in a new one).
        number: the result it was made from.
        result: what `finish_terrain` returned.
        exports: (engine, exaggeration, triangle budget) -> (GLB, download paths, notes).
    """

    session_folder: Path
    number: int
    result: FinishResult
    exports: dict[tuple, tuple[Path, list[Path], str]] = field(default_factory=dict)

    def source(self, session: Session | None) -> Result | None:
        """The result this finish was made from, while it is still in `session`'s history."""
        if session is None or session.closed or session.folder != self.session_folder:
            return None
        return session.find(self.number)


def finish_options(erosion: object, strength: object, sea_level_m: object, masks: object,
                   materials: object) -> FinishOptions:
    """Validated `FinishOptions` from the panel (UserError naming the bad value)."""
    if erosion not in EROSION_CHOICES.values():
        raise UserError(f"unknown erosion {erosion!r}; choose one of {', '.join(EROSION_CHOICES.values())}")
    erosion = None if erosion == "none" else erosion
    strength = check_number("erosion strength", strength, *STRENGTH_RANGE)
    sea = None if sea_level_m in (None, "") else check_number("sea level", sea_level_m, *SEA_LEVEL_RANGE_M, unit=" m")
    names = tuple(masks or ())
    unknown = [name for name in names if name not in MASKS]
    if unknown:
        raise UserError(f"unknown mask {unknown[0]!r}; choose from {', '.join(MASKS)}")
    needs_erosion = [name for name in names if MASKS[name].needs == "erosion"]
    if erosion is None and needs_erosion:
        raise UserError(f"the {' and '.join(needs_erosion)} mask(s) come from the erosion: choose an erosion or "
                        f"untick them")
    return FinishOptions(erosion=erosion, erosion_strength=strength, sea_level_m=sea, masks=names,
                         materials=bool(materials)).checked()


def run_finish(session: Session | None, state: FinishState | None, erosion, strength, sea_level_m, masks, materials,
               progress: Progress | None = None):
    """Finish the selected result; returns (relief before | after, overlays, summary, state).

    On a bad value or a cancel the previous finish stays and the summary says why in one line."""
    result = session.selected_result() if session else None
    if result is None:
        return None, [], "Select a result first (generate, then click a tile).", state
    try:
        options = finish_options(erosion, strength, sea_level_m, masks, materials)
        if not options.active:
            raise UserError("nothing to do: choose an erosion, a mask or the materials")
        with session.use():
            finished = finish_terrain(result.terrain.elevation_m, result.terrain.meters_per_pixel, result.terrain.rgb,
                                      options, progress=_iteration_progress(progress), cancel=session.cancel)
    except UserError as error:
        return *_previews(session, state), f"Not finished: {error}", state
    except ErosionCancelled:
        return *_previews(session, state), "Cancelled: the erosion stopped; the previous finish is kept.", state
    except Exception as error:  # a library failure must not take the page down
        logger.exception("finishing failed")
        return *_previews(session, state), f"Error: finishing failed: {type(error).__name__}: {error}", state
    state = FinishState(session.folder, result.number, finished)
    return *_previews(session, state), describe_finish(result, finished), state


def _iteration_progress(progress: Progress | None) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress((done, total), desc="Erosion", unit="iterations")


def _previews(session: Session | None, state: FinishState | None):
    """(relief before | after, overlay gallery) of `state`, or nothing when its result is gone."""
    result = state.source(session) if state is not None else None
    if result is None:
        return None, []
    return relief_comparison(result, state.result), overlay_gallery(result, state.result)


def relief_comparison(result: Result, finished: FinishResult) -> np.ndarray:
    """(H, 2W + gap, 3) uint8: shaded relief before and after finishing, one colour scale."""
    before = result.terrain.elevation_m
    after = finished.elevation_m
    low, high = float(min(before.min(), after.min())), float(max(before.max(), after.max()))
    images = [shaded_relief(np.clip(e, low, high), finished.meters_per_pixel) for e in (before, after)]
    return upscale_nearest(side_by_side(images, gap_px=max(2, before.shape[1] // 32)), PREVIEW_MIN_PX)


def overlay_gallery(result: Result, finished: FinishResult) -> list[tuple[np.ndarray, str]]:
    """(image, caption) per mask tinted over the colour image, then the dominant material map."""
    rgb = result.terrain.rgb
    items = [(upscale_nearest(tint(rgb, mask, MASK_COLOURS.get(name, (255, 0, 255))), PREVIEW_MIN_PX // 2),
              f"mask: {name}") for name, mask in finished.masks.items()]
    if finished.materials is not None:
        legend = ", ".join(f"{layer} {_hex(MATERIAL_COLOURS[layer])}" for layer in finished.materials.layers)
        items.append((upscale_nearest(material_map(rgb, finished.materials), PREVIEW_MIN_PX // 2),
                      f"dominant material ({legend})"))
    return items


def _hex(colour: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02x}" for c in colour)


def describe_finish(result: Result, finished: FinishResult) -> str:
    """Markdown: erosion figures, water, masks and the material shares."""
    summary = finished.summary()
    lines = [f"**Finished #{result.number}**"]
    if finished.erosion is not None:
        e = summary["erosion"]
        lines.append(f"- erosion ({e['kind']}, {e['iterations']} iterations): {e['volume_moved_m3']:,.0f} m³ moved, "
                     f"largest change {e['max_change_m']:,.1f} m, {e['carried_out_m3']:,.0f} m³ carried out of the "
                     f"tile (conservation error {e['conservation_error']:.1e})")
    if "water" in summary:
        w = summary["water"]
        lines.append(f"- water: {w['river_cells']:,} river cells, lakes {w['lake_km2']:.3f} km², sea "
                     f"{w['sea_km2']:.3f} km², {w['closed_depressions']} closed depressions")
    if finished.masks:
        lines.append(f"- masks: {', '.join(finished.masks)}")
    if "materials" in summary:
        shares = summary["materials"]["dominant_share"]
        lines.append("- materials (share of pixels where each dominates): "
                     + ", ".join(f"{name} {share:.0%}" for name, share in shares.items()))
    return "\n".join(lines)


def finish_downloads(session: Session | None, state: FinishState | None, engine: object, vertical_exaggeration,
                     max_triangles):
    """(GLB of the finished terrain, download paths, notes): the eroded heightmaps and mesh, the
    masks and the engine's material layers, listed in terrain.json, plus one bundle zip."""
    result = state.source(session) if state is not None else None
    if result is None:
        return None, [], "Finish a result to get its files."
    try:
        key = check_options(engine, vertical_exaggeration, max_triangles)
        if key not in state.exports:
            state.exports[key] = _export(session, result, state.result, *key)
    except UserError as error:
        return None, [], f"Not exported: {error}"
    except Exception as error:  # an exporter failure must not take the page down
        logger.exception("finish export failed")
        return None, [], f"Error: export failed: {type(error).__name__}: {error}"
    glb, files, notes = state.exports[key]
    return str(glb), [str(p) for p in files], notes


def _export(session: Session, result: Result, finished: FinishResult, engine: str, exaggeration: float,
            max_triangles: int) -> tuple[Path, list[Path], str]:
    terrain = result.terrain
    stem = f"{result.file_stem}_finished"  # heightmaps and mesh; the maps keep the result's stem (<stem>_mask_*)
    with session.use():
        options = f"finished_{engine}_x{exaggeration:g}_{max_triangles}"
        folder = session.result_folder(result) / slug(options, separator="_")
        scratch = folder / "maps"
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        size = engine_grid_shape(engine, finished.elevation_m.shape) if engine != "none" else None
        maps = write_finish(finished, scratch, result.file_stem, engine, size)
        extras = [ExtraFile(f.path.name, f.role, _copier(f.path), {"description": f.description, "width": f.width,
                                                                    "height": f.height}, f.format)
                  for f in maps.files]
        full = 2 * (terrain.elevation_m.shape[0] - 1) * (terrain.elevation_m.shape[1] - 1)
        exported = export_terrain(finished.elevation_m, terrain.meters_per_pixel, folder / "files", FINISH_FORMATS,
                                  engine=engine, rgb=terrain.rgb,
                                  max_triangles=max_triangles if max_triangles < full else None,
                                  vertical_exaggeration=exaggeration,
                                  provenance={**terrain.provenance(), "finishing": maps.sidecar}, name=stem,
                                  extra_files=extras)
        shutil.rmtree(scratch, ignore_errors=True)
        files = [f.path for f in exported.files]
        bundle = zip_files(folder / f"{stem}_{engine}_bundle.zip", files)
    glb = next(f.path for f in exported.files if f.format == "glb")
    notes = (f"Finished terrain: eroded heightmaps and mesh, {len(maps.files)} finishing file(s) "
             f"({', '.join(f.path.name for f in maps.files) or 'none'}); `terrain.json` lists every file and its "
             f"\"finishing\" entry holds the figures" + (" and the layer order" if maps.layers else "") + ".")
    return glb, [bundle, *files], notes


def _copier(source: Path) -> Callable[[Path], None]:
    return lambda target: shutil.copyfile(source, target)
