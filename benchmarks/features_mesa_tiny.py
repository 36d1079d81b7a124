"""What the tiles show: water, snow lines and sharp ridges, generated beside held-out tiles.

    .venv/bin/python -m benchmarks.features_mesa_tiny [--model mesa-tiny] [--tiles 128]

Issue 11 asks that tiles show what the data has: lakes and rivers where the prompt's landform and
biome produce them, snow lines, sharp ridges. Held-out synthetic tiles (`--tiles`, the scorecard's
reference of that size) and one generated terrain per tile caption (seed = tile number, as the
scorecard's realism set), read by the same product code (`mesa.finishing.material_weights`, colour
and slope, no water analysis: the image alone says where water is), so both sets are measured alike:

- water: share of tiles with at least 1 % water pixels, and the mean water share, on flat landforms
  (plains, coastal plains, valleys, wetlands' plains...: relief under 200 m) and on the rest;
- snow line: over tiles with 5-95 % snow, the mean elevation percentile (within the tile) of snow
  pixels - 50 when snow lies anywhere, towards 100 when it lies above a line;
- sharp ridges: the 99th percentile of |Laplacian| of the elevation (1/m) and the 90th percentile of
  slope (degrees) inside a `RIDGE_MARGIN_PX` margin, medians over tiles, and the colour image's mean
  gradient (`image_statistics.sharpness`). The margin keeps a tile's edges out of the reading: a
  128 px tile decoded on its own (the round trip) has a rim and corner steps a few pixels wide, and at
  the 99th percentile (the steepest 164 pixels) they outweigh every ridge inside (session 18, 128 tiles:
  the round trip read 0.0241 over the whole tile and 0.0127 inside the margin; the data 0.0243 and 0.0245).

A third column reads the held-out tiles encoded and decoded by the model's own VAE (posterior means,
the model's elevation normalisation): what the latent space can hold at best. Where the generated
figure sits at the round trip's and both below the data's, the VAE is the limit; where the round trip
keeps the data's and the generated tiles do not, the UNet is (docs/mesa_tiny.md, "What the tiles lack").
"""

from __future__ import annotations

import argparse

import numpy as np

from mesa.control.encoding import encoding_scale, to_model_dem
from mesa.evaluation.elevation_statistics import laplacian_per_m, relief_m
from mesa.evaluation.image_statistics import as_unit_rgb, sharpness
from mesa.evaluation.references import synthetic_reference
from mesa.finishing.materials import material_weights
from mesa.geometry.shading import slope_deg
from mesa.pipeline import TerrainPipeline

FLAT_RELIEF_M = 200.0
WATER_TILE_SHARE = 0.01
SNOW_LINE_RANGE = (0.05, 0.95)
RIDGE_MARGIN_PX = 8


def inside(values: np.ndarray, margin: int = RIDGE_MARGIN_PX) -> np.ndarray:
    """`values` without `margin` pixels on each side (all of it when the tile is too small)."""
    if min(values.shape) <= 4 * margin:
        return values
    return values[margin:-margin, margin:-margin]


def tile_features(rgb: np.ndarray, elevation_m: np.ndarray, meters_per_pixel: float) -> dict[str, float]:
    """Water and snow shares, the snow pixels' mean elevation percentile (NaN without a snow line),
    ridge sharpness and slope of one tile."""
    weights = material_weights(rgb, elevation_m, meters_per_pixel)
    dominant = weights.dominant()
    water = dominant == weights.layers.index("water")
    snow = dominant == weights.layers.index("snow")
    snow_share = float(snow.mean())
    percentile = np.argsort(np.argsort(elevation_m, axis=None)).reshape(elevation_m.shape) / (elevation_m.size - 1)
    low, high = SNOW_LINE_RANGE
    snow_line = float(100 * percentile[snow].mean()) if low <= snow_share <= high else float("nan")
    return {
        "relief_m": relief_m(elevation_m),
        "water_share": float(water.mean()),
        "snow_share": snow_share,
        "snow_percentile": snow_line,
        "laplacian_p99": float(np.percentile(np.abs(inside(laplacian_per_m(elevation_m, meters_per_pixel))), 99)),
        "slope_p90_deg": float(np.percentile(inside(slope_deg(elevation_m, meters_per_pixel)), 90)),
        "image_sharpness": sharpness(rgb),
    }


def summarise(features: list[dict[str, float]]) -> dict[str, float]:
    """Set figures: water per relief class, snow line, ridge medians."""
    relief = np.array([f["relief_m"] for f in features])
    water = np.array([f["water_share"] for f in features])
    flat = relief < FLAT_RELIEF_M
    snow_line = np.array([f["snow_percentile"] for f in features])
    return {
        "tiles flat / rough": f"{int(flat.sum())} / {int((~flat).sum())}",
        "water tiles, flat": float(np.mean(water[flat] >= WATER_TILE_SHARE)) if flat.any() else float("nan"),
        "water tiles, rough": float(np.mean(water[~flat] >= WATER_TILE_SHARE)) if (~flat).any() else float("nan"),
        "water share, flat": float(water[flat].mean()) if flat.any() else float("nan"),
        "water share, rough": float(water[~flat].mean()) if (~flat).any() else float("nan"),
        "snow-line tiles": int(np.isfinite(snow_line).sum()),
        "snow pixels' elevation percentile": float(np.nanmean(snow_line)) if np.isfinite(snow_line).any() else float("nan"),
        "|Laplacian| p99, median (1/m)": float(np.median([f["laplacian_p99"] for f in features])),
        "slope p90, median (deg)": float(np.median([f["slope_p90_deg"] for f in features])),
        "image sharpness, mean": float(np.mean([f["image_sharpness"] for f in features])),
    }


def round_trip(pipe, rgb: np.ndarray, elevation_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One tile through the model's VAE and back: (uint8 colour, metres), with the model's elevation
    normalisation (`mesa.control.encoding`, as a user's heightmap is encoded)."""
    scale = encoding_scale(pipe, elevation_m)
    latents = pipe.encode(as_unit_rgb(rgb)[None], to_model_dem(elevation_m, scale)[None])
    image, dem_channels = pipe.decode(latents)
    colour = np.round(image[0] * 255).astype(np.uint8)
    return colour, (scale.base_m + dem_channels[0].mean(axis=-1) * scale.relief_m).astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.features_mesa_tiny", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mesa-tiny")
    parser.add_argument("--tiles", type=int, default=128)
    args = parser.parse_args(argv)
    pipe = TerrainPipeline.from_pretrained(args.model)
    reference = synthetic_reference(args.tiles, 16, pipe.native_size, pipe.meters_per_pixel, 0, 1)
    held_out = summarise([tile_features(t.rgb, t.elevation_m, t.meters_per_pixel) for t in reference.terrains])
    rebuilt = summarise([tile_features(*round_trip(pipe, t.rgb, t.elevation_m), t.meters_per_pixel)
                         for t in reference.terrains])
    generated = []
    for seed, tile in enumerate(reference.terrains):
        terrain = pipe(tile.prompt, seeds=[seed])[0]
        generated.append(tile_features(terrain.rgb, terrain.elevation_m, terrain.meters_per_pixel))
    made = summarise(generated)
    print(f"{'figure':38s} {'generated':>12s} {'held-out':>12s} {'VAE round trip':>15s}   "
          f"({args.model}, {args.tiles} held-out captions)")
    text = (lambda v: v if isinstance(v, str) else f"{v:.4g}")
    for name, value in made.items():
        print(f"{name:38s} {text(value):>12s} {text(held_out[name]):>12s} {text(rebuilt[name]):>15s}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
