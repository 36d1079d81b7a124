"""Preview writer: `python -m mesa.data.synthetic --out DIR --n 24 --resolution 128`.

Writes DIR/contact_sheet.png and, per sample, DIR/NNNN_rgb.png, DIR/NNNN_elevation.png (the
hillshaded preview panel) and DIR/NNNN.txt (caption and parameters).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from PIL import Image

from mesa.data.synthetic.captions import make_caption
from mesa.data.synthetic.dataset import SyntheticTerrainDataset
from mesa.data.synthetic.generate import generate_tile
from mesa.data.synthetic.preview import contact_sheet, elevation_panel, to_uint8


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mesa.data.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument("--n", type=int, default=24, help="number of samples (default 24)")
    parser.add_argument("--resolution", type=int, default=128, help="tile side in pixels (default 128)")
    parser.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    parser.add_argument("--start", type=int, default=0, help="first sample index (default 0)")
    parser.add_argument("--columns", type=int, default=4, help="contact sheet columns (default 4)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error(f"--n must be >= 1, got {args.n}")
    try:
        dataset = SyntheticTerrainDataset(args.resolution, args.start + args.n, args.seed)
    except ValueError as error:
        parser.error(str(error))
    args.out.mkdir(parents=True, exist_ok=True)
    items = []
    for index in range(args.start, args.start + args.n):
        params = dataset.sample_params(index)
        tile = generate_tile(params, dataset.resolution, dataset.meters_per_pixel)
        items.append((params, tile))
        stem = args.out / f"{index:04d}"
        Image.fromarray(to_uint8(tile.rgb)).save(f"{stem}_rgb.png")
        Image.fromarray(to_uint8(elevation_panel(tile.elevation_m, tile.meters_per_pixel))).save(f"{stem}_elevation.png")
        lines = [make_caption(params, augment=False), *(f"{k}: {v}" for k, v in asdict(params).items())]
        Path(f"{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    contact_sheet(items, args.columns).save(args.out / "contact_sheet.png")
    print(f"wrote {args.n} samples and contact_sheet.png to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
