"""World tab callbacks: a seamless world of tiles from one prompt or a prompt per cell, progress over
denoising steps and windows, cancel, the mosaic preview, and the world's files (engine tiles
included) as one zip.

The world lives in its own `gr.State` (`WorldState`); its files go under the session's folder, so
they leave the disk with the session (`ui.lifetime`), and a run holds the session open (`Session.use`).
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mesa.errors import UserError
from mesa.pipeline import GenerationCancelled
from mesa.preview import shaded_relief
from mesa.validation import check_whole_number
from mesa.world import World, WorldProgress, plan_world
from mesa.world.engine_tiles import ENGINE_TILE_FORMATS
from mesa.world.export import export_world
from mesa.world.generate import run_plan
from ui.bundles import zip_files
from ui.compose import check_prompt
from ui.downloads import ENGINE_LABELS
from ui.generate import MAX_UI_SEED, STEPS_RANGE, open_session
from ui.lifetime import SessionRegistry
from ui.session import Session
from ui.shading import side_by_side, upscale_nearest

logger = logging.getLogger(__name__)

MAX_TILES_PER_SIDE = 4  # the app's bound; plan_world also refuses what this machine's memory cannot hold
OVERLAP_CHOICES = {"half a tile (seamless)": 0.5, "three quarters (smoother, slower)": 0.75,
                   "none (independent tiles, for comparison)": 0.0}
PREVIEW_MIN_PX = 384
WORLD_FORMATS = "png16,exr"  # the whole mosaic; engine tiles come from the engine choice
WORLD_LOD_TRIANGLES = 100_000

Progress = Callable[..., object]


@dataclass
class WorldState:
    """The World tab's per-user state.

    Attributes:
        world: the last world generated in this tab, or None.
        number: running number of that world in this tab (names its folder).
        exports: engine -> what `export_world_files` wrote for the current world.
        session_folder: folder of the session the world belongs to; once that session is closed
            (and replaced), the world and its files are gone with it (`for_session`).
    """

    world: World | None = None
    number: int = 0
    exports: dict[str, WorldDownloads] = field(default_factory=dict)
    session_folder: Path | None = None

    def for_session(self, session: Session) -> WorldState:
        """This state if it belongs to `session`, else an empty one (the world left with its session)."""
        if self.session_folder is not None and self.session_folder != session.folder:
            return WorldState(number=self.number)
        return self


@dataclass(frozen=True)
class WorldDownloads:
    """The files of one world export: the decimated whole-world GLB (for the 3D view) and the
    download list (bundle zip first)."""

    lod_glb: Path
    files: list[Path]
    notes: str


def parse_cell_prompts(text: object) -> list[list[str]] | None:
    """A grid of prompts from text: one grid row per line (north first), cells separated by `|`;
    None for empty text. Each prompt is checked like the Generate tab's."""
    if text is None or not str(text).strip():
        return None
    lines = [line for line in str(text).splitlines() if line.strip()]
    grid = [[check_prompt(cell.strip()) for cell in line.split("|")] for line in lines]
    if len({len(row) for row in grid}) != 1:
        raise UserError(f"every line of the per-cell prompts needs the same number of '|'-separated prompts, got "
                        f"{[len(row) for row in grid]} per line")
    return grid


def world_prompts(prompt: object, cell_prompts: object) -> str | list[list[str]]:
    """The per-cell grid when given, else the one prompt."""
    grid = parse_cell_prompts(cell_prompts)
    return grid if grid is not None else check_prompt(prompt)


def check_grid(columns: object, rows: object) -> tuple[int, int]:
    """(columns, rows), each a whole number 1..MAX_TILES_PER_SIDE."""
    return (check_whole_number("columns", columns, 1, MAX_TILES_PER_SIDE),
            check_whole_number("rows", rows, 1, MAX_TILES_PER_SIDE))


def check_overlap(overlap: object) -> float:
    if overlap not in OVERLAP_CHOICES.values():
        raise UserError(f"overlap must be one of {', '.join(map(str, OVERLAP_CHOICES.values()))}, got {overlap!r}")
    return float(overlap)


def plan_summary(pipe, prompt, cell_prompts, seed, columns, rows, overlap, steps) -> str:
    """One line describing the world the settings ask for (size, windows, memory), or why it is refused."""
    if pipe is None:
        return "No model is loaded."
    try:
        plan = _plan(pipe, prompt, cell_prompts, seed, columns, rows, overlap, steps)
    except UserError as error:
        return f"Not possible: {error}"
    return f"{plan.describe()}; about {plan.estimate_bytes / 1024**2:,.0f} MB of memory."


def _plan(pipe, prompt, cell_prompts, seed, columns, rows, overlap, steps):
    tiles = check_grid(columns, rows)
    seed = check_whole_number("the seed", seed, 0, MAX_UI_SEED)
    steps = check_whole_number("steps", steps, *STEPS_RANGE)
    return plan_world(pipe, world_prompts(prompt, cell_prompts), seed, tiles, check_overlap(overlap), steps)


def generate_world_tab(pipe, prompt, cell_prompts, seed, columns, rows, overlap, steps, session: Session | None,
                       state: WorldState | None, progress: Progress | None = None,
                       sessions: SessionRegistry | None = None):
    """Generate a world; returns (mosaic preview, description, status, session, state).

    On a bad value, a cancel or a model error the previous world stays, the status says what
    happened in one line and the app stays up."""
    expired = f"Your earlier session was closed ({session.closed_reason}). " if session and session.closed else ""
    session = open_session(session, sessions)
    state = (state or WorldState()).for_session(session)
    previous = (world_preview(state.world) if state.world is not None else None,
                describe_world(state.world) if state.world is not None else "")
    if pipe is None:
        return *previous, "No model is loaded, so no world can be generated. See the banner above.", session, state
    try:
        plan = _plan(pipe, prompt, cell_prompts, seed, columns, rows, overlap, steps)
        with session.use():
            world = run_plan(pipe, plan, _world_progress(progress), cancel=session.cancel)
        if not np.isfinite(world.elevation_m).all():
            raise UserError("the model returned heights that are not finite numbers; the world was not kept")
    except UserError as error:
        return *previous, f"{expired}Not generated: {error}", session, state
    except GenerationCancelled as error:
        return *previous, f"Cancelled ({error}). The previous world is kept.", session, state
    except Exception as error:  # a model failure must not take the page down
        logger.exception("world generation failed")
        return *previous, f"Error: the model failed: {type(error).__name__}: {error}. The app is still running.", \
            session, state
    _forget_files(session, state)
    state.world, state.number, state.exports, state.session_folder = world, state.number + 1, {}, session.folder
    status = f"{expired}Done: {plan.describe()}. Pick an engine and download the tile set below."
    return world_preview(world), describe_world(world), status, session, state


def _world_progress(progress: Progress | None) -> Callable[[WorldProgress], None] | None:
    if progress is None:
        return None

    def report(step: WorldProgress) -> None:
        if step.phase == "denoise":
            desc = f"Denoising step {step.step} of {step.total_steps}: window {step.windows_done} of " \
                   f"{step.windows_total}"
        else:
            desc = f"Decoding window {step.windows_done} of {step.windows_total}"
        progress(step.fraction, desc=desc)

    return report


def world_preview(world: World) -> np.ndarray:
    """(H, 2W + gap, 3) uint8: the colour mosaic and its shaded relief side by side, enlarged."""
    relief = shaded_relief(world.elevation_m, world.meters_per_pixel)
    image = side_by_side([world.rgb, relief], gap_px=max(2, world.tile_px // 16))
    return upscale_nearest(image, PREVIEW_MIN_PX)


def describe_world(world: World) -> str:
    """Markdown: grid, size, heights, seed, prompts per cell, how the metres were made."""
    east, north = world.extent_m
    height, width = world.layout.pixel_shape
    heading = (f"**World: {world.columns} x {world.rows} tiles, seed {world.seed}** — {width} x {height} px at "
               f"{world.meters_per_pixel:g} m/px ({east / 1000:.2f} x {north / 1000:.2f} km), elevation "
               f"{float(world.elevation_m.min()):,.0f} – {float(world.elevation_m.max()):,.0f} m")
    lines = [heading, f"Metres: {world.elevation_method}."]
    if len(world.prompt_map.prompts) > 1:
        for cell in world.cells:
            main = max(cell.prompts, key=cell.prompts.get)
            lines.append(f"- cell x{cell.column} y{cell.row}: {main}")
    else:
        lines.append(f"Prompt: {world.prompt_map.prompts[0]}")
    return "\n\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:])


def export_world_files(session: Session | None, state: WorldState | None, engine: object):
    """(whole-world GLB for the 3D view, download paths, notes) of the current world with `engine`'s
    tile set; the export is made once per engine and kept."""
    if session is not None and session.closed:
        return None, [], f"This session was closed ({session.closed_reason}); generate a new world."
    if session is None or state is None or state.for_session(session).world is None:
        return None, [], "Generate a world to get its files."
    if not isinstance(engine, str) or engine not in ENGINE_LABELS:
        return None, [], f"Not exported: unknown engine {engine!r}; choose one of {', '.join(ENGINE_LABELS)}"
    try:
        downloads = state.exports.get(engine) or _export(session, state, engine)
    except UserError as error:
        return None, [], f"Not exported: {error}"
    except Exception as error:  # an exporter failure must not take the page down
        logger.exception("world export failed")
        return None, [], f"Error: export failed: {type(error).__name__}: {error}"
    state.exports[engine] = downloads
    return str(downloads.lod_glb), [str(p) for p in downloads.files], downloads.notes


def _export(session: Session, state: WorldState, engine: str) -> WorldDownloads:
    world = state.world
    with session.use():
        folder = _world_folder(session, state) / engine
        stem = f"world_{state.number:03d}_seed{world.seed}_{world.columns}x{world.rows}"
        result = export_world(world, folder / "files", WORLD_FORMATS, engine, lod_triangles=WORLD_LOD_TRIANGLES,
                              name=stem)
        bundle = zip_files(folder / f"{stem}_{engine}.zip", result.paths(), root=result.out_dir)
    lod = result.paths("lod_mesh")[0]
    mosaic = [p for p in result.paths() if p.parent.name == "mosaic" and p.suffix in (".png", ".exr")]
    sidecars = result.paths("engine_sidecar")
    tiles = len(result.engine_tiles.tiles) if result.engine_tiles is not None else 0
    notes = (f"Bundle `{bundle.name}`: the saved world (world.json lists every file), the mosaic "
             f"({', '.join(p.name for p in mosaic)}), one GLB per tile, the decimated whole-world GLB")
    if engine != "none":
        notes += (f" and {tiles} {ENGINE_LABELS[engine]} tiles ({ENGINE_TILE_FORMATS[engine]}, shared edges "
                  f"identical) with their import settings in `{engine}_tiles.json`")
    return WorldDownloads(lod, [bundle, lod, *mosaic, *sidecars], notes + ".")


def _world_folder(session: Session, state: WorldState) -> Path:
    """This world's folder inside the session's (created on first use)."""
    session.folder.mkdir(exist_ok=True)  # not parents: the app's folder is gone once it shut down
    folder = session.folder / f"world_{state.number:03d}"
    folder.mkdir(exist_ok=True)
    return folder


def _forget_files(session: Session, state: WorldState) -> None:
    """Delete the previous world's files (a new world replaces it)."""
    if state.session_folder == session.folder and state.number:
        shutil.rmtree(session.folder / f"world_{state.number:03d}", ignore_errors=True)

