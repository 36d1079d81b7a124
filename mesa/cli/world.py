"""Generate a seamless world of tiles (or extend a saved one) and export it, engine tiles included.

    python -m mesa world --prompt "A Sentinel-2 image of deserts and mountains in Chile" --tiles 3x2 --seed 7 \\
        --engine unreal --out world/
    python -m mesa world --landform-map "plains,hills;hills,mountains" --biome "temperate grasslands" \\
        --tiles 4x4 --seed 7 --out world/
    python -m mesa world --extend world/ --direction east --out world-east/

--out receives the saved world (world.json, rgb.png, elevation.npy, ...), the mosaic in --formats,
one GLB per tile, a decimated GLB of the whole world and, with --engine, the engine's tile set. The
folder is checked before any work and replaced in one step at the end.

Finishing (--erosion, --masks, --materials; mesa/cli/finish_options.py) runs on the whole mosaic
before any tile is cut, so erosion and rivers cross tile seams and neighbouring engine tiles share
their edges; every export is then the finished terrain, with the masks and material files in
mosaic/ and, per engine tile, in the engine folder (the saved world stays as generated).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from mesa.cli.finish_options import add_finish_arguments, finish_options, finish_result
from mesa.cli.models import add_model_arguments, load_chosen_model
from mesa.errors import UserError
from mesa.prompts import PromptParts, build_prompt

ENGINE_CHOICES = ("none", "unreal", "unity", "godot")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    prompt = parser.add_argument_group("prompt (one, a grid, or painted biome / landform maps)")
    prompt.add_argument("--prompt", help="one prompt for the whole world")
    prompt.add_argument("--prompt-grid", type=Path, help="text file: one grid row per line (north first), "
                        "prompts separated by |; stretched over the world")
    for part in ("biome", "landform", "country", "month"):
        prompt.add_argument(f"--{part}", help=f"{part} part of the caption (everywhere)")
    prompt.add_argument("--biome-map", help='rows separated by ";", cells by ",", e.g. "deserts,tundra;deserts,tundra"')
    prompt.add_argument("--landform-map", help='e.g. "plains,hills;hills,mountains"')
    prompt.add_argument("--negative-prompt", default="")
    world = parser.add_argument_group("world")
    world.add_argument("--tiles", default="2x2", help="columns x rows, e.g. 3x2 (default 2x2)")
    world.add_argument("--seed", type=int, default=42)
    world.add_argument("--overlap", type=float, default=0.5, help="share of a window its neighbour shares: 0.5 "
                       "(default), 0.75, or 0 for independent tiles")
    world.add_argument("--window-batch", type=int, default=4, help="windows per UNet call (memory vs speed)")
    world.add_argument("--extend", type=Path, help="a saved world folder to grow instead of generating one")
    world.add_argument("--direction", choices=("north", "south", "east", "west"), help="where --extend adds tiles")
    sampling = parser.add_argument_group("sampling")
    sampling.add_argument("--steps", type=int, default=None, help="default: the model's")
    sampling.add_argument("--guidance", type=float, default=None, help="default: the model's")
    sampling.add_argument("--sampler", default=None, help="ddim, dpm++, euler or unipc (default: the model's)")
    sampling.add_argument("--relief-m", type=float, default=None, help="metres from lowest to highest point")
    sampling.add_argument("--base-m", type=float, default=None, help="elevation of the lowest point, metres")
    add_model_arguments(parser)
    export = parser.add_argument_group("export")
    export.add_argument("--out", type=Path, required=True, help="output folder (new, or an earlier world's)")
    export.add_argument("--formats", default="png16", help="formats of the whole mosaic (default png16)")
    export.add_argument("--engine", choices=ENGINE_CHOICES, default="none", help="also write the engine's tile set")
    export.add_argument("--engine-tile-samples", type=int, default=None, help="samples per engine tile side "
                        "(default: the smallest engine size that keeps a world tile's resolution)")
    export.add_argument("--lod-triangles", type=int, default=200_000, help="triangles of the whole-world GLB")
    export.add_argument("--no-lod", action="store_true", help="skip the decimated whole-world GLB")
    export.add_argument("--no-tile-meshes", action="store_true", help="skip the per-tile GLBs")
    export.add_argument("--vertical-exaggeration", type=float, default=1.0)
    add_finish_arguments(parser)


def parse_tiles(text: str) -> tuple[int, int]:
    """(columns, rows) from "3x2"."""
    parts = str(text).lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise UserError(f"--tiles must look like 3x2 (columns x rows), got {text!r}")
    return int(parts[0]), int(parts[1])


def parse_map(text: str | None) -> list[list[str]] | None:
    """A painted map from "a,b;c,d" (rows north first)."""
    if text is None:
        return None
    rows = [[cell.strip() for cell in row.split(",")] for row in text.split(";") if row.strip()]
    if not rows or any(not cell for row in rows for cell in row):
        raise UserError(f"a map is rows separated by ';' and cells by ',', none empty; got {text!r}")
    return rows


def collect_prompts(args: argparse.Namespace):
    """One prompt or a grid of prompts from the prompt options."""
    from mesa.world import prompt_grid_from_parts

    if args.prompt_grid is not None:
        if not args.prompt_grid.is_file():
            raise UserError(f"prompt grid file not found: {args.prompt_grid}")
        lines = [line for line in args.prompt_grid.read_text(encoding="utf-8").splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
        if not lines:
            raise UserError(f"{args.prompt_grid} holds no grid row")
        return [[cell.strip() for cell in line.split("|")] for line in lines]
    if args.biome_map or args.landform_map:
        biomes, landforms = parse_map(args.biome_map), parse_map(args.landform_map)
        if biomes is None and args.biome:
            biomes = [[args.biome] * len(landforms[0]) for _ in landforms]
        if landforms is None and args.landform:
            landforms = [[args.landform] * len(biomes[0]) for _ in biomes]
        return prompt_grid_from_parts(biomes, landforms, args.country, args.month)
    if args.prompt is not None:
        return args.prompt
    parts = PromptParts(args.biome, args.landform, args.country, args.month)
    if parts.present():
        return build_prompt(parts)
    if args.extend is not None:
        return None
    raise UserError("give --prompt, --prompt-grid, --biome-map/--landform-map or a caption part (--biome, ...)")


def check_out_dir(out: Path) -> None:
    """UserError unless --out is a new folder, an empty one, or an earlier world export (replaced)."""
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "world.json").is_file():
        raise UserError(f"--out {out} is not empty and holds no world.json; give a new folder or an earlier world's "
                        f"(it is replaced)")
    parent = out.resolve().parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK):
        raise UserError(f"cannot write into {parent}")


def run(args: argparse.Namespace) -> int:
    from mesa.export import parse_formats
    from mesa.world import extend_world, generate_world
    from mesa.world.export import export_world
    from mesa.world.storage import load_world

    check_out_dir(args.out)
    parse_formats(args.formats)
    finish = finish_options(args)
    prompts = collect_prompts(args)
    tiles = parse_tiles(args.tiles)
    if args.extend is not None and args.direction is None:
        raise UserError("--extend needs --direction (north, south, east or west)")
    source = load_world(args.extend) if args.extend is not None else None
    pipe = load_chosen_model(args)
    check_finish_memory(finish, source, tiles, args.direction, pipe.native_size)
    report = progress_printer()
    if source is not None:
        world = extend_world(pipe, source, args.direction, prompt=prompts if isinstance(prompts, str) else None,
                             steps=args.steps, guidance=args.guidance, sampler=args.sampler,
                             window_batch=args.window_batch, callback=report)
    else:
        world = generate_world(pipe, prompts, args.seed, tiles, args.overlap, args.steps, args.guidance, args.sampler,
                               args.negative_prompt, args.relief_m, args.base_m, args.window_batch, callback=report)
    finished = finish_result(world.elevation_m, world.meters_per_pixel, world.rgb, finish)
    result = export_world(world, args.out, args.formats, args.engine, tile_meshes=not args.no_tile_meshes,
                          lod_triangles=None if args.no_lod else args.lod_triangles,
                          engine_tile_samples=args.engine_tile_samples,
                          vertical_exaggeration=args.vertical_exaggeration, finished=finished)
    east, north = world.extent_m
    print(f"world: {world.columns} x {world.rows} tiles, {east / 1000:.2f} x {north / 1000:.2f} km, "
          f"{float(world.elevation_m.min()):.0f}..{float(world.elevation_m.max()):.0f} m -> {result.out_dir}")
    if result.engine_tiles is not None:
        print(f"{args.engine}: {len(result.engine_tiles.tiles)} tiles in {result.engine_tiles.folder}")
    return 0


def check_finish_memory(finish, source, tiles: tuple[int, int], direction: str | None, native_px: int) -> None:
    """UserError (before generating) when finishing the world's mosaic cannot fit in memory."""
    from mesa.finishing import estimate_finish_memory
    from mesa.limits import check_memory

    if source is None:
        shape = (tiles[1] * native_px, tiles[0] * native_px)
    else:
        height, width = source.elevation_m.shape
        grows_rows = direction in ("north", "south")
        shape = (height + native_px * grows_rows, width + native_px * (not grows_rows))
    check_memory(estimate_finish_memory(shape, finish), f"finishing a {shape[1]} x {shape[0]} px world",
                 "generate fewer tiles, or leave out --materials / the masks")


def progress_printer():
    """A callback that prints one line per tenth of the run."""
    printed = [-1]

    def report(progress) -> None:
        tenth = int(progress.fraction * 10)
        if tenth > printed[0]:
            printed[0] = tenth
            print(f"{progress.phase}: step {progress.step}/{progress.total_steps}, {progress.fraction:.0%}", flush=True)

    return report
