"""Finishing options shared by `export`, `generate` and `world`: erosion, water, masks and material
weight maps (`mesa.finishing`, docs/finishing.md).

    --erosion hydraulic --erosion-strength 1 --masks slope,flow,water --materials --engine unreal

`add_finish_arguments(parser)` adds the "finishing" group; `finish_options(args, has_rgb)` turns it
into checked `FinishOptions` (one-line UserError naming the bad value and what is accepted) before
any work; `finish_result(...)` runs `finish_terrain` when the options do anything and prints what
the erosion did. Values are read as text and checked here, so a bad number is one line too.
"""

from __future__ import annotations

import argparse
import math

from mesa.errors import UserError

EROSION_CHOICES = ("none", "hydraulic", "thermal", "hydraulic+thermal")
MASK_BITS = (8, 16)
MASK_NAMES = ("slope", "height", "height_low", "height_mid", "height_high", "convex", "concave", "flow", "water",
              "river", "lake", "wear", "deposit")
"""`mesa.finishing.MASKS`' names, for the help text (importing it would load torch for --help)."""


def add_finish_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --erosion, --erosion-strength, --erosion-device, --masks, --mask-bits, --materials,
    --water-level-m, --lake-min-depth-m and --river-min-km2."""
    group = parser.add_argument_group("finishing (erosion, water, masks, material weight maps; docs/finishing.md)")
    group.add_argument("--erosion", default="none", metavar="KIND", help=f"{', '.join(EROSION_CHOICES)} (default none); the "
                       "heightmaps and meshes are then the eroded terrain")
    group.add_argument("--erosion-strength", default="1", metavar="S", help="time scale of the erosion, above 0 and at most 10: "
                       "1 = 100 hydraulic / 50 thermal iterations, 2 rains twice as long (default 1)")
    group.add_argument("--erosion-device", default="cpu", metavar="DEVICE", help="where erosion runs: cpu (default), cuda, mps or auto")
    group.add_argument("--masks", default="", metavar="NAMES", help="comma-separated masks written as "
                       f"<stem>_mask_<name>.png: {', '.join(MASK_NAMES)}")
    group.add_argument("--mask-bits", default="8", metavar="BITS", help="bit depth of the mask PNGs: 8 (default) or 16")
    group.add_argument("--materials", action="store_true", help="material weight maps (rock, grass, forest, soil, "
                       "snow, water) read from the colour image, written as the --engine imports them")
    group.add_argument("--water-level-m", "--sea-level-m", dest="water_level_m", default=None, metavar="M",
                       help="sea level in metres: low ground connected to the border becomes sea (default: no sea)")
    group.add_argument("--lake-min-depth-m", default="1", metavar="M", help="filled depressions this deep hold lakes (default 1)")
    group.add_argument("--river-min-km2", default="0.5", metavar="KM2", help="upstream area from which rivers flow (default 0.5)")


def finish_options(args: argparse.Namespace, has_rgb: bool = True):
    """The checked `FinishOptions` chosen on the command line (UserError on a bad value).

    Args:
        args: parsed arguments with `add_finish_arguments`' flags.
        has_rgb: whether a colour image will be there (`--materials` reads it).
    """
    from mesa.finishing import MASKS, FinishOptions

    erosion = str(args.erosion).strip().lower()
    if erosion not in EROSION_CHOICES:
        raise UserError(f"--erosion {args.erosion!r} is not known; choose one of {', '.join(EROSION_CHOICES)}")
    bits = str(args.mask_bits).strip()
    if bits not in {str(b) for b in MASK_BITS}:
        raise UserError(f"--mask-bits must be 8 or 16, got {args.mask_bits!r}")
    options = FinishOptions(
        erosion=None if erosion == "none" else erosion,
        erosion_strength=_number("--erosion-strength", args.erosion_strength),
        sea_level_m=None if args.water_level_m is None else _number("--water-level-m", args.water_level_m),
        lake_min_depth_m=_positive("--lake-min-depth-m", args.lake_min_depth_m),
        river_min_km2=_positive("--river-min-km2", args.river_min_km2),
        masks=tuple(str(args.masks).split(",")),
        mask_bits=int(bits),
        materials=bool(args.materials),
        device=str(args.erosion_device),
    )
    try:
        options = options.checked()
    except UserError as error:
        raise UserError(f"{_flag_of(str(error))}{error}") from None
    needs_erosion = [name for name in options.masks if MASKS[name].needs == "erosion"]
    if needs_erosion and options.erosion is None:
        raise UserError(f"the {', '.join(needs_erosion)} mask(s) show what erosion did: add --erosion "
                        f"({', '.join(EROSION_CHOICES[1:])})")
    if options.sea_level_m is not None and not options.needs_water:
        raise UserError("--water-level-m shapes the water masks and the materials' water layer: add --masks water "
                        "(or flow, river, lake) or --materials")
    if options.materials and not has_rgb:
        raise UserError("--materials reads the materials from the colour image: give --rgb")
    if options.erosion is not None:
        from mesa.devices import pick_device

        pick_device(options.device)
    return options


def finish_result(elevation_m, meters_per_pixel: float, rgb, options):
    """`finish_terrain`'s result for the chosen options, or None when they do nothing; prints the
    erosion's figures (volume moved, largest change)."""
    if not options.active:
        return None
    from mesa.finishing import finish_terrain

    result = finish_terrain(elevation_m, meters_per_pixel, rgb, options)
    if result.erosion is not None:
        erosion = result.erosion
        print(f"erosion: {erosion.kind}, {erosion.iterations} iterations, {erosion.volume_moved_m3:,.0f} m^3 moved, "
              f"largest change {erosion.max_change_m:.1f} m", flush=True)
    return result


def _number(flag: str, text) -> float:
    try:
        number = float(text)
    except (TypeError, ValueError):
        raise UserError(f"{flag} must be a number, got {text!r}") from None
    if not math.isfinite(number):
        raise UserError(f"{flag} must be a finite number, got {text!r}")
    return number


def _positive(flag: str, text) -> float:
    number = _number(flag, text)
    if number <= 0:
        raise UserError(f"{flag} must be above 0, got {text!r}")
    return number


def _flag_of(message: str) -> str:
    """The flag a library message is about, as a prefix ("--erosion-strength: "), or ""."""
    for words, flag in (("erosion strength", "--erosion-strength"), ("sea level", "--water-level-m"),
                        ("mask", "--masks")):
        if message.startswith((words, f"unknown {words}")):
            return f"{flag}: "
    return ""
