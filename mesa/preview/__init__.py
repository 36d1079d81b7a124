"""Previews: an off-screen PyVista render of the textured terrain and a contact sheet of seeds.
PyVista is imported only when a render is made."""

from mesa.preview.colors import grayscale_rgb, hypsometric_rgb
from mesa.preview.render import preview_mesh, render_terrain
from mesa.preview.sheet import contact_sheet

__all__ = ["contact_sheet", "grayscale_rgb", "hypsometric_rgb", "preview_mesh", "render_terrain"]
