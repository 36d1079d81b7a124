"""The World tab and the Edit and Finish panels: their components and the wiring of their callbacks
(`ui/world_tab.py`, `ui/edit_panel.py`, `ui/finish_panel.py`; no logic here). `ui/layout.py` mounts
them: `mount_world_tab` inside the World tab, `mount_edit_and_finish` below the Generate tab's history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import gradio as gr

from mesa.finishing import MASKS
from ui import compose, edit_panel, fast_preview, finish_panel, world_tab
from ui.downloads import ENGINE_LABELS
from ui.generate import MAX_UI_SEED, STEPS_RANGE, cancel_run
from ui.lifetime import SessionRegistry

DEFAULT_WORLD_PROMPT = "A Sentinel-2 image of temperate forests and mountains"
DEFAULT_WORLD_SEED = 7
DEFAULT_TILES = (2, 2)  # columns, rows
DEFAULT_OVERLAP = 0.5
ENGINE_CHOICES = [(label, key) for key, label in ENGINE_LABELS.items()]
RunButtons = list[tuple[gr.Button, bool]]  # a panel's run buttons, each with whether the page load turns it on


@dataclass(frozen=True)
class PageHooks:
    """What the panels share with the Generate tab (all from `ui/layout.py`).

    Attributes:
        session: the page's `gr.State` holding the `ui.session.Session`.
        arm: `(session, request) -> session`, run at a click before a queued run (fresh cancel flag).
        show_new_results: chains the history refresh and the inspector (2D, files, render) after
            an event that made new results the latest run.
    """

    session: gr.State
    arm: Callable
    show_new_results: Callable


def _cancel(session):
    message, session = cancel_run(session)
    gr.Info(message)
    return session


def mount_world_tab(pipe, sessions: SessionRegistry, hooks: PageHooks, steps: int) -> RunButtons:
    """The World tab's components and wiring (inside a `gr.Tab`); returns its run button, off until the
    page load has found the tab's session (`ui.layout`)."""
    state = gr.State(None)
    gr.Markdown("Seamless worlds larger than a tile: overlapping windows of one latent canvas are denoised "
                "together, so neighbouring tiles share their edges. One prompt, or a prompt per cell.")
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=340):
            prompt = gr.Textbox(DEFAULT_WORLD_PROMPT, label="Prompt for the whole world", elem_id="world-prompt",
                                max_lines=3)
            cells = gr.Textbox(label="Per-cell prompts (optional; replace the prompt above): one line per row of "
                                     "tiles, north first, prompts separated by |, stretched over the grid",
                               lines=3, elem_id="world-cell-prompts")
            with gr.Row():
                columns = gr.Slider(1, world_tab.MAX_TILES_PER_SIDE, value=DEFAULT_TILES[0], step=1,
                                    label="Tiles east-west",
                                    elem_id="world-columns")
                rows = gr.Slider(1, world_tab.MAX_TILES_PER_SIDE, value=DEFAULT_TILES[1], step=1,
                                 label="Tiles north-south",
                                 elem_id="world-rows")
            with gr.Row():
                seed = gr.Number(DEFAULT_WORLD_SEED, label=f"World seed (0 to {MAX_UI_SEED:,})", elem_id="world-seed")
                world_steps = gr.Slider(*STEPS_RANGE, value=steps, step=1, label="Denoising steps",
                                        elem_id="world-steps")
            overlap = gr.Dropdown(list(world_tab.OVERLAP_CHOICES.items()), value=DEFAULT_OVERLAP,
                                  label="Window overlap",
                                  elem_id="world-overlap")
            plan = gr.Markdown(partial(world_tab.plan_summary, pipe, DEFAULT_WORLD_PROMPT, "", DEFAULT_WORLD_SEED,
                                       *DEFAULT_TILES, DEFAULT_OVERLAP, steps),
                               elem_id="world-plan")  # the starting settings, evaluated at each page load
            with gr.Row():
                generate = gr.Button("Generate world", variant="primary", elem_id="world-generate",
                                     interactive=False)
                cancel = gr.Button("Cancel", variant="stop", elem_id="world-cancel")
            status = gr.Markdown(elem_id="world-status")
        with gr.Column(scale=3):
            preview = gr.Image(label="Mosaic: colour | shaded elevation", interactive=False, elem_id="world-preview")
            viewer = gr.Model3D(label="The whole world, decimated (GLB)", elem_id="world-3d", height=380,
                                clear_color=(0.93, 0.95, 0.97, 1.0))
            info = gr.Markdown(elem_id="world-info")
            engine = gr.Dropdown(ENGINE_CHOICES, value="none", label="Engine tile set", elem_id="world-engine")
            files = gr.File(label="World downloads (the bundle zip first)", file_count="multiple", interactive=False,
                            elem_id="world-downloads")
            notes = gr.Markdown(elem_id="world-download-notes")
    inputs = [prompt, cells, seed, columns, rows, overlap, world_steps]
    summary = partial(world_tab.plan_summary, pipe)
    for component in (prompt, cells, seed):
        component.blur(summary, inputs, plan, queue=False, show_progress="hidden")
    for component in (columns, rows, world_steps):
        component.release(summary, inputs, plan, queue=False, show_progress="hidden")
    overlap.change(summary, inputs, plan, queue=False, show_progress="hidden")

    def run(prompt, cells, seed, columns, rows, overlap, steps, session, state, progress=gr.Progress()):
        return world_tab.generate_world_tab(pipe, prompt, cells, seed, columns, rows, overlap, steps, session, state,
                                            progress=progress, sessions=sessions)

    export_outputs = [viewer, files, notes]
    event = generate.click(hooks.arm, hooks.session, hooks.session, queue=False).then(
        run, [*inputs, hooks.session, state], [preview, info, status, hooks.session, state], concurrency_id="model",
        concurrency_limit=1, api_name="generate_world")
    event.then(world_tab.export_world_files, [hooks.session, state, engine], export_outputs, concurrency_id="export",
               concurrency_limit=2)
    engine.change(world_tab.export_world_files, [hooks.session, state, engine], export_outputs, concurrency_id="export",
                  concurrency_limit=2)
    cancel.click(_cancel, hooks.session, hooks.session, queue=False)
    return [(generate, pipe is not None)]


@dataclass(frozen=True)
class GenerateControls:
    """Components of the Generate tab the panels read: the prompt parts, seeds and sampling
    settings, the engine and mesh options, and the run gallery the edits' results go to."""

    prompt_inputs: list
    seed: gr.Number
    num_seeds: gr.Slider
    steps: gr.Slider
    guidance: gr.Slider
    sampler: gr.Dropdown
    engine: gr.Dropdown
    exaggeration: gr.Slider
    triangles: gr.Number
    gallery: gr.Gallery
    fast: gr.Checkbox


def mount_edit_and_finish(pipe, sessions: SessionRegistry, hooks: PageHooks, controls: GenerateControls,
                          preview=None) -> RunButtons:
    """The Edit and Finish accordions (below the history) and their wiring; the Edit panel follows the
    Generate panel's "Fast preview" box (`ui.fast_preview`). Returns their run buttons, off until the
    page load has found the tab's session (`ui.layout`)."""
    with gr.Accordion("Edit: texture a heightmap, follow a sketch, repaint a region", open=False, elem_id="edit"):
        edit = _edit_panel(pipe, sessions, hooks, controls, preview)
    with gr.Accordion("Finish for engines: erosion, water, masks, material weight maps", open=False,
                      elem_id="finish"):
        finish = _finish_panel(hooks, controls)
    return [(edit, pipe is not None), (finish, True)]


def _edit_panel(pipe, sessions: SessionRegistry, hooks: PageHooks, controls: GenerateControls,
                preview) -> gr.Button:
    gr.Markdown("Seeds, steps, guidance, sampler and the fast preview box come from the Generate panel above; results "
                "join the gallery, the history and the downloads.")
    mode = gr.Radio([(label, key) for key, label in edit_panel.MODES.items()], value="sketch", label="Edit",
                    elem_id="edit-mode")
    with gr.Row(equal_height=False):
        with gr.Column():
            sketch = gr.ImageEditor(
                type="numpy", image_mode="RGBA", format="png", layers=False, transforms=(), sources=("upload",),
                canvas_size=(edit_panel.SKETCH_CANVAS_PX,) * 2,
                brush=gr.Brush(colors=edit_panel.SKETCH_COLOURS, default_color="#808080", color_mode="fixed"),
                label="Sketch: grey = heights (black low, white high), red = ridges, blue = valleys, "
                      "unpainted = no information", elem_id="edit-sketch")
            strength = gr.Slider(0, 1, value=0.5, step=0.05, elem_id="edit-strength",
                                 label="Strength: 0 ignores the sketch or heightmap, 1 keeps its large shapes")
        with gr.Column():
            mask = gr.ImageEditor(type="numpy", image_mode="RGBA", format="png", layers=False, transforms=(),
                                  sources=(), brush=gr.Brush(colors=[edit_panel.MASK_COLOUR], color_mode="fixed"),
                                  label="Repaint mask: paint over the region to regenerate", elem_id="edit-mask")
            load_mask = gr.Button("Put the selected result under the brush", elem_id="edit-load-mask")
            mask_note = gr.Markdown()
        with gr.Column():
            upload = gr.File(label="Heightmap: .npy, .tif, .exr or 16-bit .png (empty: the selected result's)",
                             file_types=[".npy", ".tif", ".tiff", ".exr", ".png"], type="filepath",
                             elem_id="edit-upload")
            with gr.Row():
                min_m = gr.Number(None, label="16-bit file: lowest m", elem_id="edit-min-m")
                max_m = gr.Number(None, label="highest m", elem_id="edit-max-m")
            spacing = gr.Number(None, label="Metres per pixel of the upload (0: the model's)",
                                elem_id="edit-spacing")
    prompt = gr.Textbox(label="Prompt (empty: the one composed above; repaint: the result's own)", max_lines=3,
                        elem_id="edit-prompt")
    run_button = gr.Button("Run the edit", variant="primary", elem_id="edit-run", interactive=False)
    status = gr.Markdown(elem_id="edit-status")

    def run(mode, prompt, biome, landform, country, month, free_text, use_prefix, seed, num_seeds, steps, guidance,
            sampler, fast, strength, upload, min_m, max_m, spacing, sketch, mask, session, progress=gr.Progress()):
        composed = compose.compose_prompt(biome, landform, country, month, free_text, use_prefix)
        model, steps, guidance, sampler = fast_preview.choose(pipe, preview, fast, steps, guidance, sampler)
        return edit_panel.run_edit(model, mode, prompt, composed, seed, num_seeds, steps, guidance, sampler, strength,
                                   upload, min_m, max_m, spacing, sketch, mask, session, progress=progress,
                                   sessions=sessions)

    c = controls
    event = run_button.click(hooks.arm, hooks.session, hooks.session, queue=False).then(
        run, [mode, prompt, *c.prompt_inputs, c.seed, c.num_seeds, c.steps, c.guidance, c.sampler, c.fast, strength, upload,
              min_m, max_m, spacing, sketch, mask, hooks.session],
        [c.gallery, status, hooks.session], concurrency_id="model", concurrency_limit=1, api_name="edit")
    hooks.show_new_results(event)
    load_mask.click(edit_panel.mask_background, hooks.session, [mask, mask_note], queue=False)
    return run_button


def _finish_panel(hooks: PageHooks, controls: GenerateControls) -> gr.Button:
    state = gr.State(None)
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=320):
            erosion = gr.Dropdown(list(finish_panel.EROSION_CHOICES.items()), value="hydraulic", label="Erosion",
                                  elem_id="finish-erosion")
            strength = gr.Slider(*finish_panel.STRENGTH_RANGE, value=1.0, step=0.25, elem_id="finish-strength",
                                 label="Erosion strength (time: 1 = 100 hydraulic / 50 thermal iterations)")
            with gr.Row(equal_height=True):
                sea_on = gr.Checkbox(False, label="Sea", elem_id="finish-sea-on", scale=0, min_width=80)
                sea = gr.Number(0, label="Sea level in metres (cells below it connected to the border)",
                                elem_id="finish-sea")
            masks = gr.CheckboxGroup(list(MASKS), value=list(finish_panel.DEFAULT_MASKS), label="Masks",
                                     elem_id="finish-masks")
            materials = gr.Checkbox(True, elem_id="finish-materials",
                                    label="Material weight maps (rock, grass, forest, soil, snow, water) read from "
                                          "the colour image")
            with gr.Row():
                run_button = gr.Button("Finish the selected result", variant="primary", elem_id="finish-run",
                                       interactive=False)
                cancel = gr.Button("Cancel", variant="stop", elem_id="finish-cancel")
            summary = gr.Markdown(elem_id="finish-summary")
        with gr.Column(scale=3):
            with gr.Tabs():
                with gr.Tab("Relief"):
                    relief = gr.Image(label="Shaded relief: before | after", interactive=False,
                                      elem_id="finish-relief")
                with gr.Tab("3D"):
                    viewer = gr.Model3D(label="Finished terrain (GLB)", elem_id="finish-3d", height=380,
                                        clear_color=(0.93, 0.95, 0.97, 1.0))
                with gr.Tab("Masks and materials"):
                    overlays = gr.Gallery(label="Masks and the dominant material over the colour image", columns=4,
                                          height="auto", format="png", allow_preview=True, elem_id="finish-overlays")
            files = gr.File(label="Finished files (the bundle zip first; engine preset from the Generate panel)",
                            file_count="multiple", interactive=False, elem_id="finish-downloads")
            notes = gr.Markdown(elem_id="finish-notes")

    def run(session, state, erosion, strength, sea_on, sea, masks, materials, progress=gr.Progress()):
        return finish_panel.run_finish(session, state, erosion, strength, sea if sea_on else None, masks, materials,
                                       progress=progress)

    c = controls
    export_inputs = [hooks.session, state, c.engine, c.exaggeration, c.triangles]
    event = run_button.click(hooks.arm, hooks.session, hooks.session, queue=False).then(
        run, [hooks.session, state, erosion, strength, sea_on, sea, masks, materials],
        [relief, overlays, summary, state],
        concurrency_id="finish", concurrency_limit=2, api_name="finish")
    event.then(finish_panel.finish_downloads, export_inputs, [viewer, files, notes], concurrency_id="export",
               concurrency_limit=2)
    c.engine.change(finish_panel.finish_downloads, export_inputs, [viewer, files, notes], concurrency_id="export",
                    concurrency_limit=2)
    cancel.click(_cancel, hooks.session, hooks.session, queue=False)
    return run_button
