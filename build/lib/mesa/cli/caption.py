"""Print the MESA caption of a place and date, and the facts it was built from.

Country comes offline from the coordinates, the month from the date, the landform from an
optional DEM (GeoTIFF or .npy, metres; -32767 and non-finite values are nodata), the
ecoregion/biome from an optional RESOLVE Ecoregions 2017 GeoJSON and a named region from an
optional regional landform GeoJSON. --augment N also prints N training-style variants.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mesa.captions.builder import CaptionBuilder
from mesa.data.geotiff import CorruptRowError, decode_geotiff
from mesa.data.raster import DEM_NODATA_M
from mesa.errors import UserError
from mesa.prompts import build_prompt


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lat", type=float, required=True, help="latitude, degrees in [-90, 90]")
    parser.add_argument("--lon", type=float, required=True, help="longitude, degrees in [-180, 180]")
    parser.add_argument("--date", required=True, help="acquisition date, YYYY-MM-DD")
    parser.add_argument("--dem", type=Path, help="DEM of the place (GeoTIFF or .npy, metres) to classify the landform")
    parser.add_argument("--dem-meters-per-pixel", type=float, default=30.0, help="DEM pixel size, metres (default 30)")
    parser.add_argument("--ecoregions", type=Path, help="RESOLVE Ecoregions 2017 GeoJSON (ECO_NAME, BIOME_NAME, BIOME_NUM)")
    parser.add_argument("--regions", type=Path, help="GeoJSON of named landform regions (property 'name')")
    parser.add_argument("--augment", type=int, default=0, metavar="N", help="also print N augmented training captions")
    parser.add_argument("--seed", type=int, default=0, help="seed of the augmented captions")


def read_dem(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(elevation_m, valid) from a GeoTIFF or .npy file of metres."""
    if not path.is_file():
        raise UserError(f"DEM file {path} does not exist")
    if path.suffix.lower() == ".npy":
        elevation = np.load(path)
    elif path.suffix.lower() in (".tif", ".tiff"):
        try:
            elevation = decode_geotiff(path.read_bytes(), path.name)
        except CorruptRowError as error:
            raise UserError(str(error)) from error
    else:
        raise UserError(f"DEM {path} has suffix {path.suffix!r}; accepted: .tif, .tiff, .npy")
    if elevation.ndim != 2:
        raise UserError(f"DEM {path} must be a 2-D raster, got shape {elevation.shape}")
    elevation = elevation.astype(np.float32)
    return elevation, np.isfinite(elevation) & (elevation != DEM_NODATA_M)


def run(args: argparse.Namespace) -> int:
    if args.augment < 0:
        raise UserError(f"--augment must be 0 or more, got {args.augment}")
    builder = CaptionBuilder.from_files(args.ecoregions, args.regions)
    elevation, valid = read_dem(args.dem) if args.dem else (None, None)
    facts = builder.describe(args.lat, args.lon, args.date, elevation, valid, args.dem_meters_per_pixel)
    print(f"caption: {build_prompt(builder.choose_parts(facts))}")
    rows = {"country": facts.country, "month": facts.month, "ecoregion": facts.ecoregion,
            "biome": facts.biome_phrases[0] if facts.biome_phrases else None,
            "landform": facts.landform, "regional landform": facts.regional_landform}
    for name, value in rows.items():
        print(f"{name}: {value if value else '-'}")
    rng = np.random.default_rng(args.seed)
    for _ in range(args.augment):
        print(f"augmented: {build_prompt(builder.choose_parts(facts, rng))}")
    return 0
