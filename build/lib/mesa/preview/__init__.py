"""Previews: an off-screen PyVista render of the textured terrain and a contact sheet of seeds.
PyVista is imported only when a render is made."""

from mesa.preview.colors import grayscale_rgb, hypsometric_rgb, shaded_relief
from mesa.preview.render import preview_mesh, render_terrain
from mesa.preview.sheet import contact_sheet, tile_grid

__all__ = ["contact_sheet", "grayscale_rgb", "hypsometric_rgb", "preview_mesh", "render_terrain", "shaded_relief", "tile_grid"]
