"""The page: components and the wiring of the callbacks in `ui/` (no logic of its own).

Every callback gets the read-only pipeline and the session registry through `functools.partial`;
everything per user lives in the `gr.State` holding a `ui.session.Session`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import gradio as gr

from mesa.pipeline.samplers import SAMPLERS
from ui import compose, fast_preview, generate, inspector, page_session, panel_layout
from ui.downloads import DEFAULT_TRIANGLES, ENGINE_LABELS, MAX_TRIANGLES, MIN_TRIANGLES
from ui.engine_settings import COPY_SCRIPT
from ui.lifetime import SessionRegistry
from ui.style import CSS
from ui.vocabulary import NONE_CHOICE, dropdown_vocabulary, with_none
HOW_TO = ("**1** Compose a prompt (any part may stay *(none)*) · **2** Generate one or more seeds · "
          "**3** Click a result to inspect it in 2D and 3D · **4** Download engine-ready files · **5** Edit or finish "
          "it below, or build a seamless world of tiles in the World tab.")


@dataclass
class Settings:
    """Defaults the page starts with (command line)."""

    steps: int = 50
    guidance: float = 7.5
    sampler: str = "ddim"


def build_app(pipe, banner: str, sessions: SessionRegistry, settings: Settings | None = None,
              preview: fast_preview.PreviewModel | None = None) -> gr.Blocks:
    """The Blocks app for `pipe` (None: no model, the banner explains). Sessions come from `sessions`;
    Gradio's cached copies of outputs are deleted once they are older than the session idle limit.
    `preview` is what the "Fast preview" box runs (`fast_preview.load_preview`; None: no box)."""
    settings = settings or Settings()
    vocabulary, vocab_source = dropdown_vocabulary(pipe.components.model_dir if pipe is not None else None)
    cache_lifetime = (max(1, round(sessions.sweep_interval_s)), max(1, round(sessions.idle_limit_s)))
    with gr.Blocks(title="MESA Studio", delete_cache=cache_lifetime, analytics_enabled=False) as demo:
        session = gr.State(None)  # closed by the idle sweep, so that a reloaded page can find it again
        token = gr.Textbox(visible=False, elem_id="session-token")
        gr.Markdown("# MESA Studio — text to terrain\n" + HOW_TO)
        gr.Markdown(banner, elem_id="model-banner")
        with gr.Tabs():
            with gr.Tab("Generate", elem_id="generate-tab"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=340):
                        c = _compose_panel(vocabulary, vocab_source, settings, generate.resolution_choices(pipe), pipe,
                                          preview)
                    with gr.Column(scale=3):
                        r = _results_panel()
                with gr.Accordion("Session history and side-by-side comparison", open=False):
                    h = _history_panel()
                _wire_compose(demo, c, pipe)
                hooks = _wire_results(c, r, h, session, sessions, pipe, preview)
                panels = panel_layout.mount_edit_and_finish(pipe, sessions, hooks, panel_layout.GenerateControls(
                    c.prompt_inputs, c.seed, c.num_seeds, c.steps, c.guidance, c.sampler, r.engine, c.exaggeration,
                    c.triangles, r.gallery, c.fast), preview)
            with gr.Tab("World", elem_id="world-tab"):
                panels += panel_layout.mount_world_tab(pipe, sessions, hooks, settings.steps)
        _wire_page(demo, c, r, h, session, token, sessions, [(c.generate, pipe is not None), *panels])
    demo.queue(default_concurrency_limit=4)
    sessions.on_close = partial(_forget_gradio_state, demo)
    return demo


def _forget_gradio_state(demo: gr.Blocks, session) -> None:
    """Drop Gradio's per-session copy of the page (component configs and values) of a closed
    session; Gradio would keep it until `state_session_capacity` sessions push it out. Uses
    Gradio's StateHolder, which is not public API: without it, nothing happens."""
    holder = getattr(demo, "state_holder", None)
    data = getattr(holder, "session_data", None)
    if session.client_id is None or data is None:
        return
    with holder.lock:
        data.pop(session.client_id, None)
        getattr(holder, "time_last_used", {}).pop(session.client_id, None)


@dataclass
class _ResultsPanel:
    gallery: gr.Gallery
    viewer: gr.Model3D
    rgb_view: gr.Image
    relief_view: gr.Image
    legend: gr.Image
    overlay: gr.Slider
    overlay_view: gr.Image
    render_view: gr.Image
    render_note: gr.Markdown
    info: gr.Markdown
    engine: gr.Dropdown
    downloads: gr.File
    download_notes: gr.Markdown
    engine_settings: gr.HTML


def _results_panel() -> _ResultsPanel:
    gallery = gr.Gallery(label="Results: colour image | shaded elevation (click one to inspect)", elem_id="gallery",
                         columns=2, height="auto", format="png", object_fit="contain", allow_preview=False)
    with gr.Tabs():
        with gr.Tab("3D"):
            viewer = gr.Model3D(label="Textured mesh (GLB): drag to orbit, scroll to zoom; the red bar is the scale",
                                elem_id="viewer-3d",
                                height=420, clear_color=(0.93, 0.95, 0.97, 1.0), camera_position=(-60, 55, None))
        with gr.Tab("2D"):
            with gr.Row():
                rgb_view = gr.Image(label="Colour", interactive=False, elem_id="view-rgb")
                with gr.Column():
                    relief_view = gr.Image(label="Elevation (colour map + hillshade)", interactive=False,
                                           elem_id="view-elevation")
                    legend = gr.Image(label="Metres", interactive=False, elem_id="legend", show_label=False,
                                      buttons=[])
            overlay = gr.Slider(0, 1, value=0.5, step=0.05, label="Overlay: colour ← → elevation", elem_id="overlay")
            overlay_view = gr.Image(label="Overlay", interactive=False, elem_id="view-overlay")
        with gr.Tab("Render"):
            render_view = gr.Image(label="Off-screen PyVista render", interactive=False, elem_id="render")
            render_note = gr.Markdown()
    info = gr.Markdown("Generate terrains, then click a tile to inspect it.", elem_id="inspector-info")
    engine = gr.Dropdown([(label, key) for key, label in ENGINE_LABELS.items()], value="none",
                         label="Engine preset for the heightmaps", elem_id="engine")
    downloads = gr.File(label="Downloads", file_count="multiple", interactive=False, elem_id="downloads")
    download_notes = gr.Markdown(elem_id="download-notes")
    engine_settings = gr.HTML(elem_id="engine-settings", js_on_load=COPY_SCRIPT)
    return _ResultsPanel(gallery, viewer, rgb_view, relief_view, legend, overlay, overlay_view, render_view,
                         render_note, info, engine, downloads, download_notes, engine_settings)


@dataclass
class _HistoryPanel:
    gallery: gr.Gallery
    compare_a: gr.Dropdown
    compare_b: gr.Dropdown
    compare: gr.Button
    compare_view: gr.Image
    compare_caption: gr.Markdown


def _history_panel() -> _HistoryPanel:
    gallery = gr.Gallery(label="All results of this session (newest first)", columns=3, height="auto",
                         format="png", allow_preview=False, elem_id="history")
    with gr.Row():
        compare_a = gr.Dropdown([], label="Left", elem_id="compare-a")
        compare_b = gr.Dropdown([], label="Right", elem_id="compare-b")
        compare = gr.Button("Compare", elem_id="compare")
    compare_view = gr.Image(label="Side by side", interactive=False, elem_id="compare-view")
    return _HistoryPanel(gallery, compare_a, compare_b, compare, compare_view, gr.Markdown())


def _wire_compose(demo: gr.Blocks, c: "_ComposePanel", pipe) -> None:
    """Live prompt preview with its length and the relief default, random seed."""
    update_preview = partial(_preview, pipe)
    for component in c.prompt_inputs:
        component.change(update_preview, c.prompt_inputs, [c.preview, c.relief], queue=False, show_progress="hidden")
    demo.load(update_preview, c.prompt_inputs, [c.preview, c.relief], queue=False)
    c.randomise.click(generate.random_seed, None, c.seed, queue=False)


def _wire_page(demo: gr.Blocks, c: "_ComposePanel", r: "_ResultsPanel", h: "_HistoryPanel", session: gr.State,
               token: gr.Textbox, sessions: SessionRegistry, run_buttons: panel_layout.RunButtons) -> None:
    """Page load (`open_session` for scripts) finds the tab's session again after a reload (token
    in sessionStorage) and only then turns the run buttons on (Generate, Generate world, Run the edit,
    Finish; each starts off): a click before it made a second session whose results the tab's token
    did not name, so a reload found the empty one. Closing or reloading a page stops the run it started."""
    def restore(state, stored, request: gr.Request):
        restored = page_session.restore(state, stored, sessions, getattr(request, "session_hash", None))
        return (*restored, *(gr.update(interactive=on) for _, on in run_buttons))

    def page_gone(request: gr.Request):
        sessions.page_gone(getattr(request, "session_hash", None))

    demo.load(restore, [session, token],
              [session, token, r.gallery, c.status, h.gallery, h.compare_a, h.compare_b,
               *(button for button, _ in run_buttons)],
              js=page_session.READ_TOKEN_JS, queue=False, api_name="open_session").then(
        None, token, None, js=page_session.WRITE_TOKEN_JS)
    demo.unload(page_gone)


def _wire_results(c: "_ComposePanel", r: _ResultsPanel, h: _HistoryPanel, session: gr.State,
                  sessions: SessionRegistry, pipe, preview: fast_preview.PreviewModel | None) -> panel_layout.PageHooks:
    """Generate (one model slot), cancel, and the inspector chain: 2D now, then files + GLB, then the render.
    Returns what the World tab and the Edit / Finish panels share with it."""
    view_inputs = [session, r.overlay, c.exaggeration]
    view_outputs = [r.rgb_view, r.relief_view, r.legend, r.overlay_view, r.info]
    export_inputs = [session, r.engine, c.exaggeration, c.triangles]
    export_outputs = [r.viewer, r.downloads, r.download_notes, r.engine_settings]

    def then_export_and_render(event, api_name=None):
        export = event.then(inspector.prepare_3d_and_downloads, export_inputs, export_outputs, concurrency_id="export",
                            concurrency_limit=2, api_name=api_name)
        export.then(inspector.render_3d, [session, c.exaggeration], [r.render_view, r.render_note],
                    concurrency_id="render", concurrency_limit=1)

    def arm_run(state, num_seeds, steps, fast, request: gr.Request):
        steps = fast_preview.choose(pipe, preview, fast, steps, None, None)[1]
        return page_session.run_started(state, num_seeds, steps, sessions, getattr(request, "session_hash", None))

    run = c.generate.click(arm_run, [session, c.num_seeds, c.steps, c.fast], [session, c.generate, c.cancel, c.status],
                           queue=False, api_name="arm_run", show_progress="hidden").then(
        partial(_generate, pipe, preview, sessions), [*c.prompt_inputs, c.seed, c.num_seeds, c.steps, c.guidance,
                                                  c.sampler, c.resolution, c.relief, c.fast, session],
        [r.gallery, c.status, session], concurrency_id="model", concurrency_limit=1, api_name="generate",
        show_progress_on=[r.gallery])
    run = run.then(page_session.run_ended, None, [c.generate, c.cancel], queue=False)

    def show_new_results(event, api_name=None):
        event = event.then(page_session.history_outputs, session, [h.gallery, h.compare_a, h.compare_b], queue=False)
        then_export_and_render(event.then(_select_first, view_inputs, [*view_outputs, session], queue=False), api_name)

    def arm_panel_run(state, request: gr.Request):
        """The panels' runs: a fresh cancel flag, tied to the page that started them."""
        return generate.arm_run(state, sessions, getattr(request, "session_hash", None))

    show_new_results(run, "export")
    c.cancel.click(_cancel, session, session, queue=False)
    for gallery, select in ((r.gallery, _select_run_tile), (h.gallery, _select_history_tile)):
        then_export_and_render(gallery.select(select, view_inputs, [*view_outputs, session], queue=False))
    r.overlay.release(inspector.view_2d, view_inputs, view_outputs, queue=False, show_progress="hidden")
    for control in (r.engine, c.exaggeration, c.triangles):
        control.change(inspector.prepare_3d_and_downloads, export_inputs, export_outputs, concurrency_id="export",
                       concurrency_limit=2)
    c.exaggeration.release(inspector.render_3d, [session, c.exaggeration], [r.render_view, r.render_note],
                           concurrency_id="render", concurrency_limit=1)
    h.compare.click(inspector.compare, [session, h.compare_a, h.compare_b], [h.compare_view, h.compare_caption],
                    queue=False)
    return panel_layout.PageHooks(session, arm_panel_run, show_new_results)


@dataclass
class _ComposePanel:
    biome: gr.Dropdown
    landform: gr.Dropdown
    country: gr.Dropdown
    month: gr.Dropdown
    prompt: gr.Textbox
    prefix: gr.Checkbox
    preview: gr.Textbox
    seed: gr.Number
    randomise: gr.Button
    num_seeds: gr.Slider
    steps: gr.Slider
    guidance: gr.Slider
    sampler: gr.Dropdown
    resolution: gr.Dropdown
    relief: gr.Number
    exaggeration: gr.Slider
    triangles: gr.Number
    generate: gr.Button
    cancel: gr.Button
    status: gr.Markdown
    fast: gr.Checkbox

    @property
    def prompt_inputs(self) -> list:
        """The components the prompt is composed from, in `compose_prompt`'s order."""
        return [self.biome, self.landform, self.country, self.month, self.prompt, self.prefix]


def _compose_panel(vocabulary, vocab_source: str, settings: Settings, resolutions: list[int], pipe,
                   fast_model: fast_preview.PreviewModel | None) -> _ComposePanel:
    gr.Markdown(f"### Prompt\nParts come from the {vocab_source}; *(none)* leaves a part out.")
    with gr.Row():
        biome = gr.Dropdown(with_none(vocabulary.biomes), value=NONE_CHOICE, label="Biome", elem_id="biome")
        landform = gr.Dropdown(with_none(vocabulary.landforms), value=NONE_CHOICE, label="Landform", elem_id="landform")
    with gr.Row():
        country = gr.Dropdown(with_none(vocabulary.countries), value=NONE_CHOICE, label="Country", elem_id="country")
        month = gr.Dropdown(with_none(vocabulary.months), value=NONE_CHOICE, label="Month", elem_id="month")
    prompt = gr.Textbox(label="Free text (optional)", placeholder="e.g. with a winding river", elem_id="prompt",
                        max_lines=3)
    prefix = gr.Checkbox(value=True, label='Start with "A Sentinel-2 image of" (as in training)', elem_id="prefix")
    preview = gr.Textbox(compose.compose_prompt(None, None, None, None), label="Prompt the model will read",
                         interactive=False, elem_id="prompt-preview", lines=2)
    gr.Markdown("### Seeds")
    with gr.Row(equal_height=True):
        seed = gr.Number(42, label=f"Seed (0 to {generate.MAX_UI_SEED:,})", elem_id="seed")
        randomise = gr.Button("Random seed", elem_id="randomise", scale=0, min_width=130)
    num_seeds = gr.Slider(1, generate.MAX_VARIATIONS, value=4, step=1, elem_id="num-seeds",
                          label="Variations: seeds generated side by side (seed, seed+1, …)")
    with gr.Row():
        generate_button = gr.Button(page_session.GENERATE_LABEL, variant="primary", elem_id="generate",
                                    interactive=False)  # on once the page has its session (_wire_page)
        cancel = gr.Button("Cancel", variant="secondary", elem_id="cancel", interactive=False)
    fast = gr.Checkbox(False, label=fast_model.label if fast_model else "Fast preview", elem_id="fast-preview",
                       visible=fast_model is not None)
    status = gr.Markdown(elem_id="status")
    with gr.Accordion("Advanced", open=False):
        steps = gr.Slider(*generate.STEPS_RANGE, value=settings.steps, step=1, label="Denoising steps",
                          elem_id="steps")
        guidance = gr.Slider(*generate.GUIDANCE_RANGE, value=settings.guidance, step=0.5,
                             label="Guidance (1 or less: off)", elem_id="guidance")
        sampler = gr.Dropdown(list(SAMPLERS), value=settings.sampler, label="Sampler", elem_id="sampler")
        native = pipe.native_size if pipe is not None else resolutions[len(resolutions) // 2]
        resolution = gr.Dropdown(resolutions, value=native, label=f"Resolution in px (native {native})",
                                 elem_id="resolution")
        relief = gr.Number(0, label=f"Relief in metres (0 = automatic; at most {generate.RELIEF_RANGE_M[1]:,.0f})",
                           info=compose.RELIEF_EXPLAINED, elem_id="relief")
        exaggeration = gr.Slider(0.5, 5, value=1.0, step=0.25, label="Vertical exaggeration (3D and mesh files)",
                                 elem_id="exaggeration")
        triangles = gr.Number(DEFAULT_TRIANGLES, label=f"Mesh triangle budget ({MIN_TRIANGLES:,} to {MAX_TRIANGLES:,})",
                              elem_id="triangles")
    examples = compose.examples_for(vocabulary)
    if examples:
        gr.Examples(examples, [biome, landform, country, month, prompt], label="Example prompts (click to fill)")
    return _ComposePanel(biome, landform, country, month, prompt, prefix, preview, seed, randomise, num_seeds, steps,
                         guidance, sampler, resolution, relief, exaggeration, triangles, generate_button, cancel, status,
                         fast)


def _preview(pipe, biome, landform, country, month, free_text, use_prefix):
    prompt = compose.compose_prompt(biome, landform, country, month, free_text, use_prefix)
    if pipe is None:
        return prompt, gr.update()
    note = compose.prompt_note(prompt, pipe.dropped_words(prompt) if len(prompt) <= compose.MAX_PROMPT_CHARS else [])
    return gr.update(value=prompt, info=note), gr.update(info=compose.relief_hint(prompt, pipe.checkpoint_elevation))


def _generate(pipe, preview, sessions, biome, landform, country, month, free_text, use_prefix, seed, num_seeds, steps,
              guidance, sampler, resolution, relief, fast, session, progress=gr.Progress()):
    """The run composes the prompt from the parts itself (the preview box may lag behind); a ticked
    "Fast preview" runs the preview model at its settings instead of the Advanced ones."""
    prompt = compose.compose_prompt(biome, landform, country, month, free_text, use_prefix)
    pipe, steps, guidance, sampler = fast_preview.choose(pipe, preview, fast, steps, guidance, sampler)
    return generate.generate(pipe, prompt, seed, num_seeds, steps, guidance, sampler, resolution, relief, session,
                             progress=progress, sessions=sessions)


def _cancel(session):
    """Cancel feedback goes to a toast: the run's own "Cancelled" status must not be overwritten."""
    message, session = generate.cancel_run(session)
    gr.Info(message)
    return session


def _select_first(session, overlay, exaggeration):
    """After a run: the inspector shows the run's first result (generate selected it)."""
    return inspector.select_result(session, session.selected if session else None, overlay, exaggeration)


def _select_run_tile(session, overlay, exaggeration, evt: gr.SelectData):
    number = inspector.number_from_gallery(session, evt.index, history=False)
    return inspector.select_result(session, number, overlay, exaggeration)


def _select_history_tile(session, overlay, exaggeration, evt: gr.SelectData):
    number = inspector.number_from_gallery(session, evt.index, history=True)
    return inspector.select_result(session, number, overlay, exaggeration)
