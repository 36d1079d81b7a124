"""Captions from coordinates, dates and DEMs (country, month, biome/ecoregion, landform)."""
