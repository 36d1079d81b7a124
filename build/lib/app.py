"""MESA Studio: `python app.py` starts the terrain authoring app in the browser (see docs/app.md)."""

from __future__ import annotations

import argparse
import atexit
import logging
import shutil
import sys
import tempfile
from pathlib import Path

from mesa.errors import UserError
from mesa.pipeline.pipeline import SamplingDefaults
from mesa.pipeline.samplers import SAMPLERS


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
    return parser.parse_args(argv)


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
    if args.threads is not None:
        if args.threads < 1:
            print(f"error: --threads must be at least 1, got {args.threads}", file=sys.stderr)
            return 2
        import torch

        torch.set_num_threads(args.threads)
    from ui.banner import banner
    from ui.layout import Settings, build_app
    from mesa.pipeline.model_choice import load_model

    try:
        choice = load_model(args.model, args.device, args.dtype)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    root = Path(tempfile.mkdtemp(prefix="mesa-studio-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    defaults = choice.pipe.defaults if choice.pipe is not None else SamplingDefaults()
    settings = Settings(steps=args.steps or defaults.steps, guidance=defaults.guidance,
                        sampler=args.sampler or defaults.sampler)
    demo = build_app(choice.pipe, banner(choice), root, settings)
    from ui.layout import CSS

    demo.launch(server_name=args.host, server_port=args.port, share=False, allowed_paths=[str(root)], css=CSS,
                footer_links=["gradio"], show_error=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
