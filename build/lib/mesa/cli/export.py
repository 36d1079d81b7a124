"""Export an elevation map (and colour image) to meshes, heightmaps and game-engine presets.

Reads .npy, float TIFF/EXR (metres) or 16-bit PNG (with --min-m/--max-m) and writes the chosen
formats plus terrain.json (size, height range, engine import settings) into --out.
"""

from __future__ import annotations

import argparse

from mesa.export.engines import ENGINES
from mesa.export.registry import FORMATS


def add_export_options(parser: argparse.ArgumentParser, default_formats: str = "glb,png16") -> None:
    """Add --formats, --engine, --max-triangles, --base and --vertical-exaggeration (shared with `generate`)."""
    group = parser.add_argument_group("export")
    group.add_argument(
        "--formats",
        default=default_formats,
        help=f"comma-separated, from: {', '.join(FORMATS)} (default: {default_formats or 'none'})",
    )
    group.add_argument("--engine", choices=ENGINES, default="none", help="resample heightmaps and report import settings")
    group.add_argument("--max-triangles", type=int, default=None, help="decimate meshes to at most N triangles")
    group.add_argument("--base", action="store_true", help="add skirt walls and a bottom (watertight, for printing)")
    group.add_argument("--vertical-exaggeration", type=float, default=1.0, help="factor on mesh heights (default 1)")


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
    parser.add_argument("--meters-per-pixel", type=float, required=True, help="ground spacing in metres")
    parser.add_argument("--min-m", type=float, default=None, help="elevation of 16-bit value 0, in metres")
    parser.add_argument("--max-m", type=float, default=None, help="elevation of 16-bit value 65535, in metres")
    parser.add_argument("--out", required=True, help="output folder")
    add_export_options(parser)


def run(args: argparse.Namespace) -> int:
    from mesa.export.exporter import export_terrain
    from mesa.export.readers import read_elevation, read_rgb

    elevation_m = read_elevation(args.elevation, args.min_m, args.max_m)
    rgb = read_rgb(args.rgb) if args.rgb else None
    result = export_terrain(elevation_m, args.meters_per_pixel, args.out, rgb=rgb, **export_options(args))
    for exported in result.files:
        print(f"{exported.role:<10} {exported.path}")
    if result.mesh is not None:
        print(f"mesh: {result.mesh.triangle_count} triangles, max height error {result.mesh.max_height_error_m:.3f} m")
    for key, value in result.engine.import_settings.items():
        print(f"{result.engine.engine}: {key} = {value}")
    return 0
