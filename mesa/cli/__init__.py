"""`python -m mesa COMMAND`: one entry point; each command lives beside the code it drives."""

from __future__ import annotations

import argparse
import importlib
import sys

from mesa.errors import UserError

# command -> (module defining `add_arguments(parser)` and `run(args) -> int`, one-line help)
COMMANDS = {
    "generate": ("mesa.cli.generate", "generate terrains from a prompt and seeds"),
    "export": ("mesa.cli.export", "export an elevation map to meshes, heightmaps and engine presets"),
    "caption": ("mesa.cli.caption", "print the MESA caption for a place and date"),
    "train": ("mesa.cli.train", "train or fine-tune the MESA UNet"),
    "train-vae": ("mesa.cli.train_vae", "train or fine-tune the autoencoder"),
    "world": ("mesa.cli.world", "generate a seamless world of tiles (or extend one) and export engine tile sets"),
    "distill": ("mesa.cli.distill", "distil a model into a few-step student (4 steps, no guidance)"),
    "synthetic": ("mesa.cli.synthetic", "preview the synthetic training world (tiles, captions, contact sheet)"),
    "evaluate": ("mesa.cli.evaluate", "score a model: realism against a noise floor, prompt adherence, coupling"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the chosen command's module is imported (keeps start-up fast)."""
    parser = argparse.ArgumentParser(prog="python -m mesa", description="MESA Studio terrain tools.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, (module_name, summary) in COMMANDS.items():
        if name != command:
            subparsers.add_parser(name, help=summary)
            continue
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(name, help=summary, description=module.__doc__,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv and argv[0] in COMMANDS else None
    args = build_parser(command).parse_args(argv)
    try:
        return args.run(args)
    except (UserError, OSError) as error:  # OSError: a last net; commands name the path themselves
        print(f"error: {error}", file=sys.stderr)
        return 2
