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
from mesa.limits import check_memory
from mesa.prompts import build_prompt
from mesa.validation import (check_integer, check_number, check_real_dtype, load_npy, os_errors_as_user_errors,
                             read_npy_header)

DEM_LIMITS = {"--lat": (-90.0, 90.0), "--lon": (-180.0, 180.0), "--dem-meters-per-pixel": (1e-3, 1e5)}
MAX_AUGMENTED = 10_000
DEM_BYTES_PER_PIXEL = 24  # float32 copy, validity mask and the sorted valid samples for percentiles


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lat", type=float, required=True, help="latitude, degrees in [-90, 90]")
    parser.add_argument("--lon", type=float, required=True, help="longitude, degrees in [-180, 180]")
    parser.add_argument("--date", required=True, help="acquisition date, YYYY-MM-DD")
    parser.add_argument("--dem", type=Path, help="DEM of the place (GeoTIFF or .npy, metres) to classify the landform")
    parser.add_argument("--dem-meters-per-pixel", type=float, default=30.0, help="DEM pixel size, metres (default 30)")
    parser.add_argument("--ecoregions", type=Path, help="RESOLVE Ecoregions 2017 GeoJSON (ECO_NAME, BIOME_NAME, BIOME_NUM)")
    parser.add_argument("--regions", type=Path, help="GeoJSON of named landform regions (property 'name')")
    parser.add_argument("--augment", type=int, default=0, metavar="N",
                        help=f"also print N augmented training captions (0 to {MAX_AUGMENTED:,})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the augmented captions (>= 0)")


def read_dem(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(elevation_m, valid) from a GeoTIFF or .npy file of metres; its memory is checked from the
    header first, and any unreadable file is one UserError naming it."""
    if not path.is_file():
        raise UserError(f"DEM file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".tif", ".tiff"):
        raise UserError(f"DEM {path} has suffix {path.suffix!r}; accepted: .tif, .tiff, .npy")
    with os_errors_as_user_errors("cannot read DEM", path):
        elevation = _read_npy_dem(path) if suffix == ".npy" else _read_tiff_dem(path)
    if elevation.ndim != 2:
        raise UserError(f"DEM {path} must be a 2-D raster, got shape {elevation.shape}")
    elevation = elevation.astype(np.float32)
    return elevation, np.isfinite(elevation) & (elevation != DEM_NODATA_M)


def _read_npy_dem(path: Path) -> np.ndarray:
    header = read_npy_header(path, "DEM")
    _check_dem_memory(path, header.shape, 0)
    return load_npy(path, header, np.float32)


def _read_tiff_dem(path: Path) -> np.ndarray:
    import tifffile

    try:
        with tifffile.TiffFile(path) as tiff:
            shape, dtype = tiff.series[0].shape, np.dtype(tiff.series[0].dtype)
    except (ValueError, OSError, EOFError, IndexError) as error:
        raise UserError(f"DEM {path} is not a readable GeoTIFF ({error})") from None
    check_real_dtype(dtype, f"DEM {path}")
    _check_dem_memory(path, shape, path.stat().st_size + int(np.prod(shape)) * dtype.itemsize)
    try:
        return decode_geotiff(path.read_bytes(), path.name)
    except CorruptRowError as error:
        raise UserError(f"DEM {path}: {error}") from None


def _check_dem_memory(path: Path, shape: tuple[int, ...], read_bytes: int) -> None:
    pixels = int(np.prod(shape))
    check_memory(read_bytes + DEM_BYTES_PER_PIXEL * pixels, f"reading the {' x '.join(map(str, shape))} DEM {path}",
                 "crop the DEM to the area around the point")


def check_arguments(args: argparse.Namespace) -> None:
    """Every number finite and in range (UserError naming the flag and what is accepted)."""
    for flag, (low, high) in DEM_LIMITS.items():
        check_number(flag, getattr(args, flag[2:].replace("-", "_")), low, high)
    check_integer("--augment", args.augment, 0, MAX_AUGMENTED)
    check_integer("--seed", args.seed, 0, 2**63 - 1)


def run(args: argparse.Namespace) -> int:
    check_arguments(args)
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
