"""Synthetic terrain: procedurally generated RGB + elevation tiles with MESA-style captions.

`SyntheticTerrainDataset` yields `mesa.data.sample.TerrainSample`s, the structure the Major TOM
reader produces, so the trainer consumes either (`--data synthetic`). See docs/synthetic_terrain.md.
"""

from mesa.data.synthetic.dataset import SyntheticTerrainDataset
from mesa.data.synthetic.generate import TILE_EXTENT_M, SyntheticTile, generate_tile
from mesa.data.synthetic.params import SyntheticParams, sample_params

__all__ = ["TILE_EXTENT_M", "SyntheticParams", "SyntheticTerrainDataset", "SyntheticTile", "generate_tile", "sample_params"]
