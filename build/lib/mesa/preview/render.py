"""Off-screen PyVista render of a textured terrain mesh, returned as an image array.

Rendering only consumes geometry built by `mesa.geometry`; nothing here changes the data.
Without a display VTK's EGL window (Mesa, CPU) is used, so it runs in CI and on servers.
"""

from __future__ import annotations

import math
import os

import numpy as np

from mesa.errors import UserError
from mesa.geometry import TerrainMesh, build_grid_mesh, pixel_uv
from mesa.preview.colors import hypsometric_rgb
from mesa.validation import check_elevation, check_positive, check_rgb


def preview_mesh(
    elevation_m: np.ndarray, meters_per_pixel: float, vertical_exaggeration: float = 1.0, max_triangles: int = 400_000
) -> TerrainMesh:
    """A grid mesh on every k-th pixel (k as small as the budget allows), UVs into the full image.

    Args:
        elevation_m: (H, W) elevation in metres.
        meters_per_pixel: grid spacing in metres.
        vertical_exaggeration: factor on Z.
        max_triangles: triangle budget for the render.
    """
    height, width = elevation_m.shape
    step = max(1, math.ceil(math.sqrt(2 * (height - 1) * (width - 1) / max_triangles)))
    sub = np.asarray(elevation_m)[::step, ::step]
    mesh = build_grid_mesh(sub, meters_per_pixel * step, vertical_exaggeration)
    mesh.vertices[:, 1] += (height - 1 - step * (sub.shape[0] - 1)) * meters_per_pixel
    mesh.uv = pixel_uv(mesh.vertices[:, 0], mesh.vertices[:, 1], (height, width), meters_per_pixel)
    mesh.grid_shape, mesh.meters_per_pixel = (height, width), float(meters_per_pixel)
    return mesh


def render_terrain(
    elevation_m: np.ndarray,
    meters_per_pixel: float,
    rgb: np.ndarray | None = None,
    window_size: tuple[int, int] = (960, 640),
    vertical_exaggeration: float = 1.0,
    azimuth_deg: float = 200.0,
    elevation_deg: float = 35.0,
    max_triangles: int = 400_000,
) -> np.ndarray:
    """(height, width, 3) uint8 image of the terrain, lit by a low north-west sun.

    Args:
        elevation_m: (H, W) finite elevation in metres, H, W >= 2.
        meters_per_pixel: ground spacing in metres.
        rgb: (H, W, 3) uint8 colour texture; hypsometric tints of the elevation when None.
        window_size: (width, height) of the image in pixels.
        vertical_exaggeration: factor on heights (flat tiles often read better at 1.5-3).
        azimuth_deg: compass direction the camera looks from (0 = north, 90 = east).
        elevation_deg: camera angle above the horizon.
        max_triangles: the mesh is subsampled to at most this many triangles.
    """
    elevation = check_elevation(elevation_m)
    rgb = check_rgb(rgb, elevation.shape)
    meters_per_pixel = check_positive("meters_per_pixel", meters_per_pixel)
    if min(window_size) < 16:
        raise UserError(f"window_size must be at least 16 x 16 pixels, got {window_size}")
    mesh = preview_mesh(elevation, meters_per_pixel, vertical_exaggeration, max_triangles)
    texture = rgb if rgb is not None else hypsometric_rgb(elevation)
    return _render(mesh, texture, window_size, azimuth_deg, elevation_deg)


def _render(
    mesh: TerrainMesh, texture: np.ndarray, window_size: tuple[int, int], azimuth_deg: float, elevation_deg: float
) -> np.ndarray:
    """Draw `mesh` with `texture` off screen and return the frame."""
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")
    import pyvista as pv

    faces = np.column_stack([np.full(len(mesh.faces), 3), mesh.faces]).ravel()
    surface = pv.PolyData(mesh.vertices, faces)
    surface.active_texture_coordinates = mesh.uv
    surface.point_data["Normals"] = mesh.normals
    surface.point_data.active_normals_name = "Normals"
    plotter = pv.Plotter(off_screen=True, window_size=list(window_size), lighting="none")
    try:
        plotter.set_background("#f2f5f8", top="#9db8d3")
        plotter.add_mesh(surface, texture=pv.Texture(texture), ambient=0.3, diffuse=0.75, specular=0.0)
        plotter.add_light(pv.Light(position=_direction(315.0, 35.0), light_type="scene light", intensity=1.0, positional=False))
        plotter.add_light(pv.Light(light_type="headlight", intensity=0.25))
        plotter.view_vector(_direction(azimuth_deg, elevation_deg), viewup=(0.0, 0.0, 1.0))
        plotter.camera.zoom(1.3)
        return np.ascontiguousarray(plotter.screenshot(return_img=True)[:, :, :3], dtype=np.uint8)
    finally:
        plotter.close()


def _direction(azimuth_deg: float, elevation_deg: float) -> tuple[float, float, float]:
    """Unit vector towards compass `azimuth_deg` (0 = north = +Y, 90 = east = +X), `elevation_deg` up."""
    azimuth, elevation = math.radians(azimuth_deg), math.radians(elevation_deg)
    return (math.sin(azimuth) * math.cos(elevation), math.cos(azimuth) * math.cos(elevation), math.sin(elevation))
