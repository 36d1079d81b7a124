"""MESA Studio: `python app.py` starts the terrain authoring app in the browser (see docs/app.md)."""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys

from mesa.errors import UserError
from mesa.pipeline.pipeline import SamplingDefaults
from mesa.pipeline.samplers import SAMPLERS

DEFAULT_SESSION_IDLE_MINUTES = 60.0
DEFAULT_MAX_SESSIONS = 100


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="MESA Studio: compose a prompt, generate terrains, "
                                                 "inspect them in 2D and 3D and download engine-ready files.")
    parser.add_argument("--model", default="auto",
                        help="MESA-layout folder, bundled model name or Hub repo id; 'auto' (default): the "
                             "published weights on a GPU, the bundled offline model on a CPU")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "float16", "bfloat16"])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--steps", type=int, default=None,
                        help="denoising steps the page starts with (default: the model's, 50 for MESA)")
    parser.add_argument("--sampler", default=None, choices=list(SAMPLERS),
                        help="sampler the page starts with (default: the model's, ddim for MESA)")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch (default: torch's choice; 1 suits small models on a busy machine)")
    parser.add_argument("--session-idle-minutes", type=float, default=DEFAULT_SESSION_IDLE_MINUTES,
                        help="a session nobody used for this long is closed: its results leave memory, its files "
                             f"the disk (default {DEFAULT_SESSION_IDLE_MINUTES:g})")
    parser.add_argument("--max-sessions", type=int, default=DEFAULT_MAX_SESSIONS,
                        help="most sessions kept at once; one more closes the least recently used idle one "
                             f"(default {DEFAULT_MAX_SESSIONS})")
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace) -> None:
    """UserError for option values argparse lets through."""
    if args.threads is not None and args.threads < 1:
        raise UserError(f"--threads must be at least 1, got {args.threads}")
    if not (math.isfinite(args.session_idle_minutes) and args.session_idle_minutes > 0):
        raise UserError(f"--session-idle-minutes must be a number of minutes above 0, got {args.session_idle_minutes}")
    if args.max_sessions < 1:
        raise UserError(f"--max-sessions must be at least 1, got {args.max_sessions}")


def main(argv: list[str] | None = None) -> int:
    """`mesa-studio` (the installed console script) and `python app.py`: the app; with a command
    name first (`mesa-studio generate ...`), that command of `python -m mesa`."""
    argv = sys.argv[1:] if argv is None else argv
    from mesa.cli import COMMANDS

    if argv and argv[0] in COMMANDS:
        from mesa.cli import main as run_command

        return run_command(argv)
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        check_args(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from ui.workspace import open_workspace

    workspace = open_workspace()
    signal.signal(signal.SIGTERM, _interrupt)  # docker stop, systemd: clean up as on Ctrl-C
    try:
        return _serve(args, workspace.root)
    except KeyboardInterrupt:
        return 0
    finally:
        workspace.close()


def _serve(args: argparse.Namespace, root) -> int:
    """Load the model, open the page and serve until interrupted; every session is closed on the way out."""
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    own_cache = "GRADIO_TEMP_DIR" not in os.environ
    if own_cache:  # Gradio's cached copies of outputs live and expire with the sessions
        os.environ["GRADIO_TEMP_DIR"] = str(root / "gradio")
    import gradio as gr

    from mesa.pipeline.model_choice import load_model
    from ui.banner import banner
    from ui.fast_preview import load_preview
    from ui.layout import Settings, build_app
    from ui.lifetime import SessionRegistry
    from ui.style import CSS, FONT_DIR

    try:
        choice = load_model(args.model, args.device, args.dtype)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    sessions = SessionRegistry(root / "sessions", idle_limit_s=60 * args.session_idle_minutes,
                               max_sessions=args.max_sessions, cache_dir=root / "gradio" if own_cache else None)
    # Served from where they are, not copied into Gradio's cache: every session file is written
    # once under a name of its own, so no file is rewritten while a browser reads it.
    gr.set_static_paths([sessions.root, FONT_DIR])
    defaults = choice.pipe.defaults if choice.pipe is not None else SamplingDefaults()
    settings = Settings(steps=args.steps or defaults.steps, guidance=defaults.guidance,
                        sampler=args.sampler or defaults.sampler)
    demo = build_app(choice.pipe, banner(choice), sessions, settings, preview=load_preview(choice.pipe))
    sessions.start_sweeping()
    try:
        demo.launch(server_name=args.host, server_port=args.port, share=False, allowed_paths=[str(root)], css=CSS,
                    footer_links=["gradio"], show_error=True, state_session_capacity=2 * args.max_sessions)
    finally:
        sessions.close_all()
    return 0


def _interrupt(signum, frame) -> None:
    """SIGTERM handler: stop the way Ctrl-C does (Gradio closes the server, `main` cleans up);
    a second SIGTERM cannot interrupt the cleanup."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
