"""Generate terrains from a prompt (or prompt parts) and seeds; writes images, heightmaps and exports.

Per prompt and seed, a folder with rgb.png, elevation.npy (float32 metres), the chosen export
formats (a 16-bit PNG heightmap by default) and terrain.json with every setting and the model id.
Run under `accelerate launch` to split the (prompt, seed) jobs across processes and GPUs.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from mesa.errors import UserError
from mesa.naming import slug
from mesa.cli.control_options import add_control_arguments, control_run
from mesa.cli.export import add_export_options, export_options
from mesa.cli.models import add_model_arguments, load_chosen_model
from mesa.prompts import PromptParts, build_prompt



def add_arguments(parser: argparse.ArgumentParser) -> None:
    prompt = parser.add_argument_group("prompt (free text, parts, or a file)")
    prompt.add_argument("--prompt", help='e.g. "A Sentinel-2 image of montane forests and mountains in Mexico"')
    for part in ("biome", "landform", "country", "month"):
        prompt.add_argument(f"--{part}", help=f"{part} part of the MESA caption (any subset may be given)")
    prompt.add_argument("--prompts-file", type=Path, help="one prompt per line (blank lines and # comments skipped)")
    prompt.add_argument("--negative-prompt", default="")
    sampling = parser.add_argument_group("sampling")
    sampling.add_argument("--seeds", type=int, nargs="+", default=[42, 50])
    sampling.add_argument("--steps", type=int, default=None, help="default: the model's (50 for MESA)")
    sampling.add_argument("--guidance", type=float, default=None, help="default: the model's (7.5 for MESA)")
    sampling.add_argument("--sampler", default=None,
                          help="ddim, dpm++, euler, euler-a or unipc (default: the model's; ddim for MESA)")
    sampling.add_argument("--height", type=int, default=None, help="pixels (default: the model's native size)")
    sampling.add_argument("--width", type=int, default=None)
    sampling.add_argument("--relief-m", type=float, default=None, help="metres from lowest to highest point")
    sampling.add_argument("--base-m", type=float, default=None, help="elevation of the lowest point, metres")
    add_model_arguments(parser)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    add_export_options(parser, default_formats="png16")
    add_control_arguments(parser)  # spatial control: mesa/cli/control_options.py


def collect_prompts(args: argparse.Namespace) -> list[str]:
    """The prompts asked for: --prompts-file lines, else --prompt, else the assembled parts."""
    parts = PromptParts(args.biome, args.landform, args.country, args.month)
    if args.prompts_file:
        if not args.prompts_file.is_file():
            raise UserError(f"prompts file not found: {args.prompts_file}")
        lines = args.prompts_file.read_text(encoding="utf-8").splitlines()
        prompts = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
        if not prompts:
            raise UserError(f"{args.prompts_file} holds no prompt (one per line)")
        return prompts
    if args.prompt is not None:
        return [args.prompt]
    if parts.present():
        return [build_prompt(parts)]
    raise UserError("give --prompt, --prompts-file, or at least one of --biome/--landform/--country/--month")


def write_terrain(terrain, out_dir: Path, model_id: str, options: dict):
    """Write one terrain's rgb.png, elevation.npy, exports and terrain.json into `out_dir`."""
    from PIL import Image

    from mesa.export.exporter import export_terrain

    provenance = {**terrain.provenance(), "model_id": model_id}
    result = export_terrain(terrain.elevation_m, terrain.meters_per_pixel, out_dir, rgb=terrain.rgb,
                            provenance=provenance, **options)
    Image.fromarray(terrain.rgb).save(out_dir / ".rgb.png.tmp", format="PNG")
    (out_dir / ".rgb.png.tmp").replace(out_dir / "rgb.png")
    with open(out_dir / ".elevation.npy.tmp", "wb") as handle:
        np.save(handle, terrain.elevation_m.astype(np.float32))
    (out_dir / ".elevation.npy.tmp").replace(out_dir / "elevation.npy")
    return result


def run(args: argparse.Namespace) -> int:
    from accelerate import PartialState

    control = control_run(args)  # spatial control (None without its options); its files are read before the model
    prompts = collect_prompts(args)
    options = export_options(args)
    from mesa.export.registry import parse_formats

    parse_formats(options["formats"])  # fail before loading a model
    state = PartialState()
    device = str(state.device) if state.num_processes > 1 else args.device
    pipe = load_chosen_model(args, device, announce=state.is_main_process)
    jobs = [(index, prompt, seed) for index, prompt in enumerate(prompts) for seed in args.seeds]
    with state.split_between_processes(jobs) as my_jobs:
        seeds_by_prompt = defaultdict(list)
        for index, prompt, seed in my_jobs:
            seeds_by_prompt[(index, prompt)].append(seed)
        for (index, prompt), seeds in seeds_by_prompt.items():
            if control:
                terrains = control(pipe, prompt, seeds)
            else:
                terrains = pipe(prompt, seeds=seeds, steps=args.steps, guidance=args.guidance, sampler=args.sampler,
                                negative_prompt=args.negative_prompt, height=args.height, width=args.width,
                                relief_m=args.relief_m, base_m=args.base_m)
            for terrain in terrains:
                prefix = f"{index:03d}-" if len(prompts) > 1 else ""
                folder = args.out / f"{prefix}{slug(prompt)}-seed{terrain.seed}"
                write_terrain(terrain, folder, pipe.model_id, options)
                print(f"seed {terrain.seed}: {folder} (relief {terrain.relief_range_m:.0f} m)")
    return 0
