"""Generate terrains from a prompt (or prompt parts) and seeds; writes images, heightmaps and exports.

Per prompt and seed, a folder with rgb.png, elevation.npy (float32 metres), the chosen export
formats (a 16-bit PNG heightmap by default) and terrain.json listing every file with every setting
and the model id; each folder appears whole or not at all. The output folders and the export
settings are checked before the model is loaded, the export's memory before sampling. With the
finishing options (--erosion, --masks, --materials; mesa/cli/finish_options.py) each terrain is
finished before it is written: elevation.npy and the heightmaps hold the eroded terrain, and the
masks and material weight maps join the folder.
Run under `accelerate launch` to split the (prompt, seed) jobs across processes and GPUs.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from mesa.cli.control_options import add_control_arguments, control_run
from mesa.cli.export import add_export_options, export_options
from mesa.cli.finish_options import finish_options, finish_result
from mesa.cli.models import add_model_arguments, load_chosen_model
from mesa.errors import UserError
from mesa.naming import slug
from mesa.prompts import PromptParts, build_prompt

PROMPTS_FILE_LIMIT_BYTES = 1024**2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    prompt = parser.add_argument_group("prompt (free text, parts, or a file)")
    prompt.add_argument("--prompt", help='e.g. "A Sentinel-2 image of montane forests and mountains in Mexico"')
    for part in ("biome", "landform", "country", "month"):
        prompt.add_argument(f"--{part}", help=f"{part} part of the MESA caption (any subset may be given)")
    prompt.add_argument("--prompts-file", type=Path,
                        help="UTF-8 text, one prompt per line (blank lines and # comments skipped)")
    prompt.add_argument("--negative-prompt", default="")
    sampling = parser.add_argument_group("sampling")
    sampling.add_argument("--seeds", type=int, nargs="+", default=[42, 50])
    sampling.add_argument("--steps", type=int, default=None, help="default: the model's (50 for MESA)")
    sampling.add_argument("--guidance", type=float, default=None, help="default: the model's (7.5 for MESA)")
    sampling.add_argument("--sampler", default=None,
                          help="ddim, dpm++, euler, euler-a, unipc, or lcm for a distilled student (1-8 steps) "
                               "(default: the model's; ddim for MESA)")
    sampling.add_argument("--height", type=int, default=None, help="pixels (default: the model's native size)")
    sampling.add_argument("--width", type=int, default=None)
    sampling.add_argument("--relief-m", type=float, default=None, help="metres from lowest to highest point")
    sampling.add_argument("--base-m", type=float, default=None, help="elevation of the lowest point, metres")
    sampling.add_argument("--no-colour-prior", dest="colour_prior", action="store_false",
                          help="sample with the UNet alone, without the model's colour prior (mesa-tiny has one)")
    sampling.add_argument("--overscan", type=int, default=None,
                          help="pixels sampled beyond each edge and cropped, keeping the model's edges out of the "
                               "tile (default: the model's; 16 for mesa-tiny, 0 for MESA)")
    add_model_arguments(parser)
    parser.add_argument("--out", type=Path, required=True,
                        help="output folder; each prompt and seed gets a folder in it (replaced if it holds a "
                             "previous result, refused if it holds anything else)")
    add_export_options(parser, default_formats="png16")
    add_control_arguments(parser)  # spatial control: mesa/cli/control_options.py


def collect_prompts(args: argparse.Namespace) -> list[str]:
    """The prompts asked for: --prompts-file lines, else --prompt, else the assembled parts."""
    parts = PromptParts(args.biome, args.landform, args.country, args.month)
    if args.prompts_file:
        prompts = read_prompts_file(args.prompts_file)
        if not prompts:
            raise UserError(f"{args.prompts_file} holds no prompt (one per line)")
        return prompts
    if args.prompt is not None:
        return [args.prompt]
    if parts.present():
        return [build_prompt(parts)]
    raise UserError("give --prompt, --prompts-file, or at least one of --biome/--landform/--country/--month")


def read_prompts_file(path: Path) -> list[str]:
    """The prompt lines of a UTF-8 text file (at most 1 MiB), blank lines and # comments skipped."""
    from mesa.validation import os_errors_as_user_errors

    if not path.is_file():
        raise UserError(f"prompts file not found: {path}")
    with os_errors_as_user_errors("cannot read --prompts-file", path):
        if path.stat().st_size > PROMPTS_FILE_LIMIT_BYTES:
            raise UserError(f"--prompts-file {path} is {path.stat().st_size:,} bytes; accepted: at most "
                            f"{PROMPTS_FILE_LIMIT_BYTES:,} (one prompt per line)")
        data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UserError(f"--prompts-file {path} is not UTF-8 text (byte {error.start}, line {line}); "
                        "save it as UTF-8") from None
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def seed_folders(out: Path, prompts: list[str], seeds: list[int]) -> dict[tuple[int, int], Path]:
    """The folder of every (prompt index, seed): `[NNN-]<prompt slug>-seed<seed>` inside `out`."""
    prefix = (lambda index: f"{index:03d}-") if len(prompts) > 1 else (lambda index: "")
    return {(index, seed): out / f"{prefix(index)}{slug(prompt)}-seed{seed}"
            for index, prompt in enumerate(prompts) for seed in seeds}


def write_terrain(terrain, out_dir: Path, model_id: str, options: dict, finish=None):
    """Write one terrain's rgb.png, elevation.npy, exports and terrain.json as the folder `out_dir`,
    finished first as `finish` (`FinishOptions`, or None) asks: elevation.npy is then the finished
    (eroded) elevation the heightmaps hold."""
    from mesa.export.exporter import ExtraFile, export_terrain

    height, width = terrain.elevation_m.shape
    finished = None if finish is None else finish_result(terrain.elevation_m, terrain.meters_per_pixel, terrain.rgb,
                                                         finish)
    elevation = (terrain.elevation_m if finished is None else finished.elevation_m).astype(np.float32)
    eroded = {} if finished is None or finished.erosion is None else {"erosion": finished.erosion.kind}
    extras = [
        ExtraFile("rgb.png", "image", lambda path: _save_png(terrain.rgb, path), {"width": width, "height": height},
                  "png"),
        ExtraFile("elevation.npy", "elevation", lambda path: _save_npy(elevation, path),
                  {"width": width, "height": height, "encoding": "float32 metres",
                   "range_m": [float(elevation.min()), float(elevation.max())], **eroded}, "npy"),
    ]
    provenance = {**terrain.provenance(), "model_id": model_id}
    return export_terrain(terrain.elevation_m, terrain.meters_per_pixel, out_dir, rgb=terrain.rgb,
                          provenance=provenance, extra_files=extras, finished=finished, **options)


def run(args: argparse.Namespace) -> int:
    import torch
    from accelerate import PartialState
    from accelerate.utils import parse_flag_from_env

    from mesa.export.destination import check_export_folder, check_parent_folder
    from mesa.export.exporter import check_export_request, check_export_settings
    from mesa.validation import os_errors_as_user_errors

    control = control_run(args)  # spatial control (None without its options); its files are read before the model
    prompts = collect_prompts(args)
    options = export_options(args)
    check_export_settings(options["formats"], options["engine"], options["max_triangles"],
                          options["vertical_exaggeration"])
    finish = finish_options(args)
    with os_errors_as_user_errors("cannot write to --out", args.out):
        out = check_parent_folder(args.out)
        folders = seed_folders(out, prompts, args.seeds)
        for folder in folders.values():
            check_export_folder(folder, "output folder")
    # CPU ranks (accelerate launch --cpu, or no GPU at all) form a gloo group only when told so
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU") or not torch.cuda.is_available())
    device = str(state.device) if state.num_processes > 1 else args.device
    with os_errors_as_user_errors("cannot read the model", args.model):
        pipe = load_chosen_model(args, device, announce=state.is_main_process)
    requests = [pipe.request(prompt, args.seeds, args.steps, args.guidance, args.sampler, args.negative_prompt,
                             args.height, args.width, args.relief_m, args.base_m,
                             None if control else args.overscan) for prompt in prompts]
    check_export_request((requests[0].height, requests[0].width), None, has_rgb=True, finish=finish, **options)
    jobs = [(index, prompt, seed) for index, prompt in enumerate(prompts) for seed in args.seeds]
    with state.split_between_processes(jobs) as my_jobs:
        seeds_by_prompt = defaultdict(list)
        for index, prompt, seed in my_jobs:
            seeds_by_prompt[(index, prompt)].append(seed)
        for (index, prompt), seeds in seeds_by_prompt.items():
            if control:
                terrains = control(pipe, prompt, seeds)
            else:
                request = replace(requests[index], seeds=tuple(seeds))
                terrains = pipe.to_terrains(pipe.sample_latents(request, steer_colour=args.colour_prior), request)
            for terrain in terrains:
                folder = folders[(index, terrain.seed)]
                heights = write_terrain(terrain, folder, pipe.model_id, options, finish).heights
                outliers = f", {heights.outlier_count} outlier pixels" if heights.outliers else ""
                print(f"seed {terrain.seed}: {folder} (relief {heights.relief_m:.0f} m p2-p98, "
                      f"{heights.full_relief_m:.0f} m min-max{outliers})")
    return 0


def _save_png(rgb: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(rgb).save(path, format="PNG")


def _save_npy(array: np.ndarray, path: Path) -> None:
    with open(path, "wb") as handle:
        np.save(handle, array)
