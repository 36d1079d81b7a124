"""Terrain geometry: grid meshing, border-keeping decimation, normals, hillshade, a solid base and height
statistics (pure numpy)."""

from mesa.geometry.base import add_base, boundary_edges
from mesa.geometry.decimate import DecimationResult, decimate_mesh, max_height_error
from mesa.geometry.grid import TerrainMesh, build_grid_mesh, grid_faces, grid_normals, pixel_uv
from mesa.geometry.rasterize import rasterize_heights
from mesa.geometry.relief import HeightRange, height_range
from mesa.geometry.shading import hillshade, slope_deg

__all__ = [
    "DecimationResult",
    "HeightRange",
    "TerrainMesh",
    "add_base",
    "boundary_edges",
    "build_grid_mesh",
    "decimate_mesh",
    "grid_faces",
    "grid_normals",
    "height_range",
    "hillshade",
    "max_height_error",
    "pixel_uv",
    "rasterize_heights",
    "slope_deg",
]
