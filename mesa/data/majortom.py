"""Major TOM training data: paired Sentinel-2 L2A and Copernicus DEM cells as TerrainSamples.

Per cell: decode B04/B03/B02 + cloud_mask (10 m) and DEM (30 m) GeoTIFFs, pick a crop window
on the 10 m grid (random from a per-position rng, or centred), upsample the DEM 3x bilinearly
onto that window only, build the valid mask (S2 DN > 0 in every band, cloud_mask == 0, DEM not
nodata, and the L1C bands > 0 when shadow correction uses them), optionally replace colours by
histogram-matched L1C (mesa.data.shadow), and caption the cell (mesa.captions).

Every position of the iteration has its own rng (seed, position), and the visiting order of
epoch e is a permutation drawn from (seed, e): `iter_samples(start=k)` resumes exactly.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from mesa.data.geotiff import CorruptRowError, decode_geotiff
from mesa.data.majortom_source import MajorTomSource
from mesa.data.normalization import ElevationNormalization
from mesa.data.pairing import CellPair, pair_cells
from mesa.data.raster import (ReflectanceScaling, choose_crop, crop, resize_nearest, rgb_from_bands,
                              upsample_dem)
from mesa.data.sample import Captioner, TerrainSample
from mesa.data.shadow import match_histograms
from mesa.data.split import HELD_OUT_FRACTION, in_split

RGB_BANDS = ("B04", "B03", "B02")
S2_COLUMNS = (*RGB_BANDS, "cloud_mask")
DEM_COLUMNS = ("DEM",)
S2_METERS_PER_PIXEL = 10.0
CROP_MODES = ("random", "centre")
_SKIPPABLE = (CorruptRowError, OSError, ValueError, KeyError, TypeError, pa.ArrowException)


@dataclass
class DataStats:
    """What an iteration produced and skipped (counts accumulate over the dataset's lifetime).

    Attributes:
        yielded: samples produced.
        skipped_no_valid: cells whose crop had no valid pixel (cloud / nodata everywhere).
        skipped_corrupt: rows that could not be read or decoded.
        skipped_cells: grid cells of the skipped rows, with the reason, in order.
    """

    yielded: int = 0
    skipped_no_valid: int = 0
    skipped_corrupt: int = 0
    skipped_cells: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the training log."""
        return (f"{self.yielded} samples, skipped {self.skipped_no_valid} with no valid pixel "
                f"and {self.skipped_corrupt} corrupt")


@dataclass(frozen=True)
class CellRasters:
    """Decoded rasters of one cell.

    Attributes:
        bands_dn: (3, H, W) B04, B03, B02 digital numbers of L2A (uint16 as stored).
        cloud_mask: (H, W) integer, > 0 is cloud.
        dem_m: (h, w) float32 metres, nodata -32767; H = factor * h.
        l1c_bands_dn: (3, H, W) L1C digital numbers, or None.
    """

    bands_dn: np.ndarray
    cloud_mask: np.ndarray
    dem_m: np.ndarray
    l1c_bands_dn: np.ndarray | None = None


@dataclass(frozen=True)
class PositionedSample:
    """A sample with the iteration position it came from; resume with start=position + 1."""

    position: int
    sample: TerrainSample


def read_cell(pair: CellPair, s2: MajorTomSource, dem: MajorTomSource, l1c: MajorTomSource | None) -> CellRasters:
    """Read and decode one cell's rows; raises CorruptRowError on any unreadable or inconsistent band."""
    s2_row = s2.read_row(pair.s2.parquet_url, pair.s2.parquet_row, S2_COLUMNS)
    bands = np.stack([decode_geotiff(s2_row[name], name) for name in RGB_BANDS])
    cloud = decode_geotiff(s2_row["cloud_mask"], "cloud_mask")
    dem_row = dem.read_row(pair.dem.parquet_url, pair.dem.parquet_row, DEM_COLUMNS)
    dem_m = decode_geotiff(dem_row["DEM"], "DEM").astype(np.float32)
    l1c_bands = None
    if l1c is not None and pair.l1c is not None:
        l1c_row = l1c.read_row(pair.l1c.parquet_url, pair.l1c.parquet_row, RGB_BANDS)
        l1c_bands = np.stack([decode_geotiff(l1c_row[name], f"L1C {name}") for name in RGB_BANDS])
    check_grids(bands, dem_m, l1c_bands)
    if cloud.shape != bands.shape[1:]:
        cloud = resize_nearest(cloud, bands.shape[1:])
    return CellRasters(bands, cloud, dem_m, l1c_bands)


def check_grids(bands: np.ndarray, dem_m: np.ndarray, l1c_bands: np.ndarray | None) -> int:
    """The DEM-to-S2 integer factor (3 for Major TOM); CorruptRowError if the grids do not nest."""
    height, width = bands.shape[1:]
    if l1c_bands is not None and l1c_bands.shape != bands.shape:
        raise CorruptRowError(f"L1C bands {l1c_bands.shape} do not match L2A bands {bands.shape}")
    factor = height // dem_m.shape[0]
    if factor < 1 or dem_m.shape[0] * factor != height or dem_m.shape[1] * factor != width:
        raise CorruptRowError(f"DEM grid {dem_m.shape} does not divide the S2 grid {(height, width)}")
    return factor


def crop_cell(rasters: CellRasters, pair: CellPair, resolution: int, rng: np.random.Generator | None,
              scaling: ReflectanceScaling, shadow_correction: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Co-registered (rgb (S, S, 3) in [0, 1], elevation_m (S, S), valid (S, S)) for one crop window."""
    factor = check_grids(rasters.bands_dn, rasters.dem_m, rasters.l1c_bands_dn)
    window = choose_crop(*rasters.bands_dn.shape[1:], resolution, rng)
    bands = crop(np.moveaxis(rasters.bands_dn, 0, -1), window)
    elevation_m, dem_valid = upsample_dem(rasters.dem_m, factor, window)
    valid = np.all(bands > 0, axis=-1) & (crop(rasters.cloud_mask, window) == 0) & dem_valid
    rgb = rgb_from_bands(*np.moveaxis(bands, -1, 0), scaling, pair.product_id)
    if shadow_correction and rasters.l1c_bands_dn is not None:
        l1c_bands = crop(np.moveaxis(rasters.l1c_bands_dn, 0, -1), window)
        valid &= np.all(l1c_bands > 0, axis=-1)
        l1c_rgb = rgb_from_bands(*np.moveaxis(l1c_bands, -1, 0), ReflectanceScaling(scaling.quantification, scaling.gain, False))
        rgb = match_histograms(l1c_rgb, rgb, valid)
    return rgb, elevation_m, valid


class MajorTomDataset:
    """Iterable of TerrainSample from Major TOM Core-S2L2A + Core-DEM (+ optional Core-S2L1C).

    Args:
        s2l2a, dem, s2l1c: collections (a MajorTomSource, a local directory, or a Hub id such as
            "Major-TOM/Core-S2L2A"); s2l1c is used only for shadow correction.
        resolution: crop size in 10 m pixels (768 by default; tiny sizes such as 64 for tests).
        normalization: the elevation normalisation the trainer should apply and record with the
            checkpoint; samples themselves stay in metres.
        split: "train", "val" (the deterministic ~10 % held-out cells) or "all".
        caption_builder: writes each cell's caption (a `Captioner`, e.g. mesa.captions.CaptionBuilder:
            country, month, landform, ecoregion; with augmentation for training).
        seed: drives the visiting order, crops and caption augmentation.
        crop: "random" or "centre".
        shuffle: visit cells in a per-epoch permutation (else sorted by grid cell).
        scaling: Sentinel-2 DN -> colour.
        shadow_correction: histogram-match L1C colours to L2A when the L1C product exists.
        held_out_fraction: fraction of cells in the "val" split.
    """

    meters_per_pixel = S2_METERS_PER_PIXEL
    """Ground sampling distance of every sample (Sentinel-2 10 m bands; the DEM is resampled to it)."""

    def __init__(self, s2l2a: MajorTomSource | str | Path, dem: MajorTomSource | str | Path,
                 s2l1c: MajorTomSource | str | Path | None = None, resolution: int = 768,
                 normalization: ElevationNormalization | None = None, split: str = "train",
                 seed: int = 0, crop: str = "random", shuffle: bool = True,
                 scaling: ReflectanceScaling = ReflectanceScaling(), shadow_correction: bool = True,
                 held_out_fraction: float = HELD_OUT_FRACTION, *, caption_builder: Captioner) -> None:
        if crop not in CROP_MODES:
            raise ValueError(f"crop mode {crop!r} is not one of {CROP_MODES}")
        if resolution < 8 or resolution % 8:
            raise ValueError(f"resolution {resolution} must be a positive multiple of 8 (the latent factor)")
        self.s2l2a, self.dem = _as_source(s2l2a), _as_source(dem)
        self.s2l1c = None if s2l1c is None else _as_source(s2l1c)
        self.resolution, self.split, self.seed, self.crop, self.shuffle = resolution, split, seed, crop, shuffle
        self.normalization = normalization or ElevationNormalization()
        self.scaling, self.shadow_correction = scaling, shadow_correction
        self.caption_builder = caption_builder
        all_pairs = pair_cells(self.s2l2a.read_metadata(), self.dem.read_metadata(),
                               None if self.s2l1c is None else self.s2l1c.read_metadata())
        self.grid_cells = [pair.grid_cell for pair in all_pairs]
        self.pairs = [pair for pair in all_pairs if in_split(pair.grid_cell, split, held_out_fraction)]
        self.stats = DataStats()

    def __len__(self) -> int:
        """Cells in this split (an upper bound on samples per epoch: skipped cells yield nothing)."""
        return len(self.pairs)

    def __iter__(self) -> Iterator[TerrainSample]:
        """One epoch of samples."""
        for item in self.iter_samples(0, len(self)):
            yield item.sample

    def pair_at(self, position: int) -> CellPair:
        """The cell visited at a global position (epoch = position // len)."""
        if not self.pairs:
            raise IndexError(f"the {self.split!r} split has no paired cells")
        epoch, index = divmod(position, len(self.pairs))
        if self.shuffle:
            index = int(np.random.default_rng([self.seed, epoch]).permutation(len(self.pairs))[index])
        return self.pairs[index]

    def iter_samples(self, start: int = 0, stop: int | None = None) -> Iterator[PositionedSample]:
        """Samples from position `start` up to `stop` (None: forever, epoch after epoch).

        Skipped positions (corrupt row, no valid pixel) are counted in `stats`, warned about,
        and produce nothing; positions keep counting, so resuming at start=last.position + 1
        reproduces the same continuation.
        """
        position = start
        while (stop is None or position < stop) and self.pairs:
            sample = self.sample_at(position)
            if sample is not None:
                yield PositionedSample(position, sample)
            position += 1

    def sample_at(self, position: int) -> TerrainSample | None:
        """The sample at one position, or None (counted in stats) when it is skipped."""
        pair = self.pair_at(position)
        rng = np.random.default_rng([self.seed, position])
        try:
            rasters = read_cell(pair, self.s2l2a, self.dem, self.s2l1c if self.shadow_correction else None)
            rgb, elevation_m, valid = crop_cell(rasters, pair, self.resolution,
                                                rng if self.crop == "random" else None,
                                                self.scaling, self.shadow_correction)
        except _SKIPPABLE as error:
            warnings.warn(f"skipping Major TOM cell {pair.grid_cell}: {error}", RuntimeWarning, stacklevel=2)
            self.stats.skipped_corrupt += 1
            self.stats.skipped_cells.append(f"{pair.grid_cell}: corrupt ({error})")
            return None
        if not valid.any():
            self.stats.skipped_no_valid += 1
            self.stats.skipped_cells.append(f"{pair.grid_cell}: no valid pixel")
            return None
        caption = self.caption_builder.caption(pair.centre_lat, pair.centre_lon, pair.timestamp, elevation_m, valid,
                                               S2_METERS_PER_PIXEL, rng)
        self.stats.yielded += 1
        return TerrainSample(rgb, elevation_m, valid, caption, pair.grid_cell, S2_METERS_PER_PIXEL)


def _as_source(location: MajorTomSource | str | Path) -> MajorTomSource:
    return location if isinstance(location, MajorTomSource) else MajorTomSource.open(location)
