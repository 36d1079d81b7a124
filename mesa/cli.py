"""`python -m mesa COMMAND`: one entry point; each command lives beside the code it drives."""

from __future__ import annotations

import argparse
import importlib
import sys

from mesa.errors import UserError

# command name -> module that defines `add_arguments(parser)` and `run(args) -> int`
COMMANDS = {
    "generate": "mesa.pipeline.cli",
    "export": "mesa.export.cli",
    "caption": "mesa.captions.cli",
    "train": "mesa.training.cli",
    "train-vae": "mesa.training.vae_cli",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mesa", description="MESA Studio terrain tools.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(name, help=module.__doc__.strip().splitlines()[0], description=module.__doc__)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (UserError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
