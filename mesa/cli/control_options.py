"""Spatial-control options of `python -m mesa generate`: texture a heightmap, follow a guide or a
sketch, repaint a region of a previous result.

    --keep-elevation FILE [--min-m M --max-m M] [--meters-per-pixel S]     texture this heightmap
    --init-elevation FILE [--min-m M --max-m M] --strength S               follow a coarse heightmap
    --sketch PNG [--min-m M --max-m M] --strength S                        follow a sketch
    --mask PNG --from DIR [--feather-px P]                                 repaint a region of DIR

`control_run(args)` checks the options and reads every file before a model is loaded, and returns
the run (a callable `(pipe, prompt, seeds) -> list[Terrain]`) or None when no control option is
given; `generate` writes what it returns like any generated terrain (terrain.json gets a
"control" entry). Heavy modules are imported only when a control run is built.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from mesa.errors import UserError

DEFAULT_STRENGTH = 0.5
MODE_OPTIONS = ("--keep-elevation", "--init-elevation", "--sketch", "--mask/--from")


def add_control_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "spatial control (one of: texture a heightmap, follow a heightmap or sketch, repaint a region)")
    group.add_argument("--keep-elevation", type=Path, metavar="FILE",
                       help="texture this heightmap (.npy, .tif, .exr, 16-bit .png, or a generate result's "
                            "elevation.npy): a colour image for it, the elevation returned unchanged")
    group.add_argument("--init-elevation", type=Path, metavar="FILE",
                       help="a coarse heightmap (any size with the output's aspect ratio) the elevation follows")
    group.add_argument("--sketch", type=Path, metavar="PNG",
                       help="a sketch the elevation follows: grey = rough heights (black low, white high), red "
                            "lines = ridges, blue lines = valleys, transparent = no information (docs/control.md)")
    group.add_argument("--strength", type=float, default=None,
                       help=f"how closely to follow --init-elevation/--sketch: 0 ignores it, 1 keeps its large "
                            f"shapes (default {DEFAULT_STRENGTH})")
    group.add_argument("--min-m", type=float, default=None,
                       help="metres of value 0 of a 16-bit heightmap, or of black in --sketch")
    group.add_argument("--max-m", type=float, default=None,
                       help="metres of value 65535 of a 16-bit heightmap, or of white in --sketch")
    group.add_argument("--meters-per-pixel", type=float, default=None,
                       help="ground spacing of --keep-elevation (default: the model's)")
    group.add_argument("--mask", type=Path, metavar="PNG",
                       help="repaint: white = regenerate, black = keep exactly; the size of the --from result")
    group.add_argument("--from", dest="from_dir", type=Path, metavar="DIR",
                       help="the generate result folder to repaint (rgb.png, elevation.npy, terrain.json); "
                            "its prompt is used unless another is given")
    group.add_argument("--feather-px", type=float, default=None,
                       help="repaint: width of the blend inside the mask's edge, pixels (default: 2 latent pixels)")


@dataclass
class ControlRun:
    """One control mode with its inputs read; called once per (prompt, seeds) by `generate`."""

    mode: str
    args: argparse.Namespace
    elevation_m: np.ndarray | None = None
    guide: object | None = None
    terrain: object | None = None
    mask: np.ndarray | None = None

    def __call__(self, pipe, prompt: str, seeds: list[int]) -> list:
        from mesa.control import follow_guide, repaint, texture_heightmap

        args = self.args
        sampling = {"steps": args.steps, "guidance": args.guidance, "sampler": args.sampler,
                    "negative_prompt": args.negative_prompt}
        if self.mode == "texture":
            return texture_heightmap(pipe, self.elevation_m, args.meters_per_pixel, prompt, seeds, **sampling)
        if self.mode == "guide":
            strength = DEFAULT_STRENGTH if args.strength is None else args.strength
            return follow_guide(pipe, self.guide, strength, prompt, seeds, height=args.height, width=args.width,
                                relief_m=args.relief_m, base_m=args.base_m, **sampling)
        return repaint(pipe, self.terrain, self.mask, prompt, seeds, feather_px=args.feather_px, **sampling)


def control_run(args: argparse.Namespace) -> ControlRun | None:
    """The control run the options ask for (files read and checked), or None without any.

    With --from and no prompt option, the folder's prompt becomes `args.prompt`."""
    chosen = [name for name, value in zip(MODE_OPTIONS, (args.keep_elevation, args.init_elevation, args.sketch,
                                                         args.mask or args.from_dir)) if value is not None]
    if len(chosen) > 1:
        raise UserError(f"choose one spatial control: {' or '.join(chosen)} were given together")
    check_option_use(args, chosen[0] if chosen else None)
    if not chosen:
        return None
    if args.keep_elevation is not None:
        from mesa.control.encoding import check_user_elevation
        from mesa.export.readers import read_elevation

        elevation_m = read_elevation(args.keep_elevation, args.min_m, args.max_m)
        return ControlRun("texture", args, elevation_m=check_user_elevation(elevation_m, args.keep_elevation.name))
    if args.init_elevation is not None or args.sketch is not None:
        from mesa.control.follow import check_strength

        if args.strength is not None:
            check_strength(args.strength)
        return ControlRun("guide", args, guide=read_guide(args))
    terrain = read_result_folder(args.from_dir)
    if args.prompt is None and args.prompts_file is None and not any(
            getattr(args, part) for part in ("biome", "landform", "country", "month")):
        args.prompt = terrain.settings.prompt
    return ControlRun("repaint", args, terrain=terrain, mask=read_mask(args.mask, terrain.dem.shape))


def check_option_use(args: argparse.Namespace, mode: str | None) -> None:
    """UserError for an option that the chosen mode (or no mode) does not use."""
    guide_modes = ("--init-elevation", "--sketch")
    rules = [
        ("--strength", args.strength is not None, guide_modes),
        ("--min-m/--max-m", args.min_m is not None or args.max_m is not None, ("--keep-elevation", *guide_modes)),
        ("--meters-per-pixel", args.meters_per_pixel is not None, ("--keep-elevation",)),
        ("--feather-px", args.feather_px is not None, ("--mask/--from",)),
        ("--relief-m/--base-m", args.relief_m is not None or args.base_m is not None, (None, *guide_modes)),
        ("--height/--width", args.height is not None or args.width is not None, (None, *guide_modes)),
    ]
    for option, given, modes in rules:
        if given and mode not in modes:
            used = ", ".join(m for m in modes if m) or "plain generation"
            reason = "the size and metres come from the input" if mode in ("--keep-elevation", "--mask/--from") \
                else f"it is used with {used}"
            raise UserError(f"{option} does not apply {'here' if mode is None else 'to ' + mode} ({reason})")
    if mode == "--mask/--from" and (args.mask is None or args.from_dir is None):
        raise UserError("repainting needs both --mask PNG (white = repaint) and --from DIR (a generate result)")


def read_guide(args: argparse.Namespace):
    """The `Guide` of --init-elevation or --sketch."""
    from mesa.control import guide_from_heightmap, guide_from_sketch
    from mesa.export.readers import read_elevation

    if args.init_elevation is not None:
        return guide_from_heightmap(read_elevation(args.init_elevation, args.min_m, args.max_m))
    return guide_from_sketch(read_image(args.sketch, "sketch"), args.min_m, args.max_m)


def read_image(path: Path, what: str) -> np.ndarray:
    """The pixels of an 8-bit image file (greyscale, RGB or RGBA kept as they are)."""
    from PIL import Image

    if not path.is_file():
        raise UserError(f"{what} file {path} does not exist")
    try:
        with Image.open(path) as image:
            if image.mode == "1":
                return np.asarray(image.convert("L"))
            if image.mode not in ("L", "RGB", "RGBA"):
                image = image.convert("RGBA" if "A" in image.mode else "RGB")
            return np.asarray(image)
    except (OSError, ValueError) as error:
        raise UserError(f"cannot read {what} {path}: {error}") from None


def read_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """The repaint mask (PNG or another image, or a .npy of bools / 0-1) as (H, W) bool."""
    from mesa.control import check_mask

    if path.suffix.lower() == ".npy":
        if not path.is_file():
            raise UserError(f"mask file {path} does not exist")
        try:
            values = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise UserError(f"cannot read mask {path}: {error}") from None
    else:
        values = read_image(path, "mask")
    return check_mask(values, shape)


def read_result_folder(folder: Path):
    """The `Terrain` a `generate` result folder holds (rgb.png, elevation.npy, terrain.json)."""
    from mesa.export.readers import read_rgb
    from mesa.terrain import GenerationSettings, Terrain

    names = ("rgb.png", "elevation.npy", "terrain.json")
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise UserError(f"{folder} is not a generate result folder: {', '.join(missing)} missing (it needs "
                        f"{', '.join(names)})")
    try:
        elevation_m = np.load(folder / "elevation.npy", allow_pickle=False)
        document = json.loads((folder / "terrain.json").read_text(encoding="utf-8"))
        provenance = document["provenance"]
        meters_per_pixel = float(document["meters_per_pixel"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(f"cannot read the result in {folder}: {error}") from None
    rgb = read_rgb(folder / "rgb.png")
    if elevation_m.ndim != 2 or rgb.shape[:2] != elevation_m.shape:
        raise UserError(f"{folder}: rgb.png is {rgb.shape[1]} x {rgb.shape[0]} px but elevation.npy has shape "
                        f"{elevation_m.shape}; they must be one terrain")
    known = {f.name for f in fields(GenerationSettings)}
    settings = GenerationSettings(**{key: value for key, value in provenance.items() if key in known})
    relief_m, base_m = settings.relief_m, settings.base_m
    dem = ((elevation_m - base_m) / relief_m if relief_m > 0 else np.zeros_like(elevation_m)).astype(np.float32)
    return Terrain(rgb, dem, elevation_m, meters_per_pixel, int(provenance.get("seed", 0)), settings)
