"""Export an elevation map (and colour image) to meshes, heightmaps and game-engine presets.

Reads .npy, float TIFF/EXR (metres) or 16-bit PNG (with --min-m/--max-m) and writes the chosen
formats plus terrain.json (size, height ranges, engine import settings) as the folder --out,
all at once. Finishing (mesa/cli/finish_options.py) erodes the terrain first and adds masks and
the engine's material weight maps to the same folder:

    python -m mesa export --elevation dem.npy --rgb rgb.png --meters-per-pixel 30 --out out/ \
        --erosion hydraulic --masks slope,flow,water --materials --engine unreal
 Everything is checked before any work: the numbers, the output folder (new, empty
or a previous export), the files' headers and the memory the export needs.
"""

from __future__ import annotations

import argparse

from mesa.cli.finish_options import add_finish_arguments, finish_options, finish_result
from mesa.export.engines import ENGINES
from mesa.export.registry import FORMATS


def add_export_options(parser: argparse.ArgumentParser, default_formats: str = "glb,png16") -> None:
    """Add --formats, --engine, --max-triangles, --base and --vertical-exaggeration (shared with
    `generate`) and the finishing options (`mesa.cli.finish_options`)."""
    group = parser.add_argument_group("export")
    group.add_argument(
        "--formats",
        default=default_formats,
        help=f"comma-separated, from: {', '.join(FORMATS)} (default: {default_formats or 'none'})",
    )
    group.add_argument("--engine", choices=ENGINES, default="none", help="resample heightmaps and report import settings")
    group.add_argument("--max-triangles", type=int, default=None,
                       help="decimate meshes to at most N triangles (at least 2 x (height + width))")
    group.add_argument("--base", action="store_true", help="add skirt walls and a bottom (watertight, for printing)")
    group.add_argument("--vertical-exaggeration", type=float, default=1.0,
                       help="factor on mesh heights, 0.001 to 1000 (default 1)")
    add_finish_arguments(parser)


def export_options(args: argparse.Namespace) -> dict:
    """The `export_terrain` keyword arguments chosen by `add_export_options`' flags."""
    return {
        "formats": args.formats,
        "engine": args.engine,
        "max_triangles": args.max_triangles,
        "base": args.base,
        "vertical_exaggeration": args.vertical_exaggeration,
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--elevation", required=True, help="elevation map: .npy, .tif, .exr or 16-bit .png")
    parser.add_argument("--rgb", default=None, help="colour image of the same size (mesh texture)")
    parser.add_argument("--meters-per-pixel", type=float, required=True, help="ground spacing in metres (0.001 to 100,000)")
    parser.add_argument("--min-m", type=float, default=None, help="elevation of 16-bit value 0, in metres")
    parser.add_argument("--max-m", type=float, default=None, help="elevation of 16-bit value 65535, in metres")
    parser.add_argument("--out", required=True,
                        help="output folder: new, empty, or a previous export (it is replaced as a whole)")
    add_export_options(parser)


def run(args: argparse.Namespace) -> int:
    from mesa.errors import UserError
    from mesa.export.destination import check_export_folder
    from mesa.export.exporter import check_export_request, export_terrain
    from mesa.export.readers import (RGB_READ_BYTES_PER_PIXEL, check_scale_arguments, inspect_elevation,
                                     inspect_rgb, read_elevation, read_rgb)
    from mesa.validation import os_errors_as_user_errors

    with os_errors_as_user_errors("cannot export to", args.out):
        out = check_export_folder(args.out)
        elevation_file = inspect_elevation(args.elevation)
        check_scale_arguments(elevation_file, args.min_m, args.max_m)
        extra_bytes = elevation_file.read_bytes
        if args.rgb:
            rgb_shape = inspect_rgb(args.rgb)
            if rgb_shape != elevation_file.shape:
                raise UserError(f"--rgb is {rgb_shape[1]} x {rgb_shape[0]} px but the elevation is "
                                f"{elevation_file.shape[1]} x {elevation_file.shape[0]} px; they must be the same size")
            extra_bytes += RGB_READ_BYTES_PER_PIXEL * rgb_shape[0] * rgb_shape[1]
        finish = finish_options(args, has_rgb=bool(args.rgb))
        check_export_request(elevation_file.shape, args.meters_per_pixel, has_rgb=bool(args.rgb),
                             extra_bytes=extra_bytes, finish=finish, **export_options(args))
        elevation_m = read_elevation(elevation_file, args.min_m, args.max_m)
        rgb = read_rgb(args.rgb) if args.rgb else None
        finished = finish_result(elevation_m, args.meters_per_pixel, rgb, finish)
        result = export_terrain(elevation_m, args.meters_per_pixel, out, rgb=rgb, finished=finished,
                                **export_options(args))
    _print_result(result)
    return 0


def _print_result(result) -> None:
    for exported in result.files:
        print(f"{exported.role:<10} {exported.path}")
    heights = result.heights
    outliers = f", {heights.outlier_count:,} outlier pixels beyond p2/p98" if heights.outliers else ""
    print(f"heights: {heights.min_m:.1f} .. {heights.max_m:.1f} m in the files, relief {heights.relief_m:.0f} m "
          f"(p2-p98){outliers}")
    if result.mesh is not None:
        print(f"mesh: {result.mesh.triangle_count} triangles, max height error {result.mesh.max_height_error_m:.3f} m")
    for key, value in result.engine.import_settings.items():
        print(f"{result.engine.engine}: {key} = {value}")
