"""The named training data sources (`--data NAME`): each builds a `TerrainSource` from the config.

    majortom    Major TOM Core-S2L2A + Core-DEM (+ Core-S2L1C), captions from `mesa.captions`
                (the paper's recipe; the default)
    synthetic   procedural terrain generated on the fly (`mesa.data.synthetic`)
    prepared    synthetic tiles generated once into `data_dir` (`prepare_tiles`), then re-read

A trainer also takes any other object that follows `mesa.data.sample.TerrainSource`
(`train(config, dataset=...)`); the names here are what the command line and config files reach.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mesa.captions.builder import CaptionBuilder
from mesa.data.majortom import MajorTomDataset
from mesa.data.sample import TerrainSource
from mesa.data.synthetic.dataset import SyntheticTerrainDataset
from mesa.data.synthetic.prepared import PreparedTiles
from mesa.errors import UserError
from mesa.training.config import DataConfig
from mesa.training.data import normalization_of


def majortom_source(config: DataConfig, seed: int, split: str) -> MajorTomDataset:
    ecoregions = Path(config.ecoregions) if config.ecoregions else None
    caption_builder = CaptionBuilder.from_files(ecoregions, augment=split == "train")
    return MajorTomDataset(config.s2l2a, config.dem, config.s2l1c, resolution=config.resolution,
                           normalization=normalization_of(config), split=split, seed=seed,
                           caption_builder=caption_builder)


def synthetic_source(config: DataConfig, seed: int, split: str) -> SyntheticTerrainDataset:
    return SyntheticTerrainDataset(resolution=config.resolution, length=config.synthetic_length, seed=seed,
                                   split=split)


def prepared_source(config: DataConfig, seed: int, split: str) -> PreparedTiles:
    """Prepared tiles in `config.data_dir`; tiles larger than `resolution` are read as random crops."""
    folder = Path(config.data_dir)
    try:
        tiles = PreparedTiles(folder, seed, split=split)
        if config.resolution > tiles.resolution:
            raise ValueError(f"the tiles are {tiles.resolution} px, smaller than --resolution {config.resolution}")
        if config.resolution < tiles.resolution:
            tiles = PreparedTiles(folder, seed, crop=config.resolution, split=split)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserError(f"--data prepared: {folder} does not hold usable prepared tiles (tiles.json, rgb.npy, "
                        f"elevation_m.npy from mesa.data.synthetic.prepared.prepare_tiles): "
                        f"{str(error).splitlines()[0]}") from None
    return tiles


# name -> builder(config, seed, split); the names are config.DATA_SOURCES (checked by a test)
SOURCES: dict[str, Callable[[DataConfig, int, str], TerrainSource]] = {
    "majortom": majortom_source,
    "synthetic": synthetic_source,
    "prepared": prepared_source,
}


def build_source(config: DataConfig, seed: int, split: str = "train") -> TerrainSource:
    """The source `config.data` names (`split`: "train" or "val", where the source has a split)."""
    if config.data not in SOURCES:
        raise UserError(f"--data must be one of {', '.join(SOURCES)}, got {config.data!r}")
    return SOURCES[config.data](config, seed, split)


def check_source(source: object) -> TerrainSource:
    """`source` itself, if it follows the TerrainSource protocol (else a UserError saying what is missing)."""
    if not isinstance(source, TerrainSource):
        missing = [name for name in ("sample_at", "meters_per_pixel") if not hasattr(source, name)]
        raise UserError(f"a training source needs sample_at(position) and meters_per_pixel; "
                        f"{type(source).__name__} lacks {', '.join(missing)}")
    return source
