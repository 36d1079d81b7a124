"""Write a preview of the synthetic training world: per sample the colour image, a shaded-relief
elevation panel and its caption and parameters, plus one contact sheet of them all.

    python -m mesa synthetic --out DIR [--n 24] [--resolution 128] [--seed 0] [--start 0]

Writes DIR/contact_sheet.png and, per sample, DIR/NNNN_rgb.png, DIR/NNNN_elevation.png and
DIR/NNNN.txt.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument("--n", type=int, default=24, help="number of samples (default 24)")
    parser.add_argument("--resolution", type=int, default=128, help="tile side in pixels (default 128)")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    parser.add_argument("--start", type=int, default=0, help="first sample index (default 0)")
    parser.add_argument("--columns", type=int, default=4, help="contact sheet columns (default 4)")


def run(args: argparse.Namespace) -> int:
    from PIL import Image

    from mesa.data.synthetic import SyntheticTerrainDataset
    from mesa.data.synthetic.captions import make_caption
    from mesa.errors import UserError
    from mesa.preview import shaded_relief, tile_grid

    if args.n < 1 or args.start < 0 or args.columns < 1:
        raise UserError(f"--n and --columns must be >= 1 and --start >= 0, got {args.n}, {args.columns}, {args.start}")
    try:
        dataset = SyntheticTerrainDataset(args.resolution, args.start + args.n, args.seed, augment_captions=False)
    except ValueError as error:
        raise UserError(str(error)) from None
    args.out.mkdir(parents=True, exist_ok=True)
    cells = []
    for index in range(args.start, args.start + args.n):
        params = dataset.sample_params(index)
        terrain = dataset.terrain(index)
        cells.append((f"{params.biome_phrase} | {params.landform} | {params.month_name[:3]} | "
                      f"{terrain.relief_range_m:.0f} m", terrain))
        stem = args.out / f"{index:04d}"
        Image.fromarray(terrain.rgb).save(f"{stem}_rgb.png")
        Image.fromarray(shaded_relief(terrain.elevation_m, terrain.meters_per_pixel)).save(f"{stem}_elevation.png")
        lines = [make_caption(params, augment=False), *(f"{k}: {v}" for k, v in asdict(params).items())]
        Path(f"{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    Image.fromarray(tile_grid(cells, args.columns)).save(args.out / "contact_sheet.png")
    print(f"wrote {args.n} samples and contact_sheet.png to {args.out}")
    return 0
