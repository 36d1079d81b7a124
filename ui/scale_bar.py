"""The 3D viewer's copy of a GLB with a scale bar beside the tile's south edge (the downloads
stay as exported): 1 km long on tiles at least 2 km wide, else 100 m."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from mesa.atomic import atomic_write_with

BAR_RGBA = (220, 38, 38, 255)


def scale_bar_length_m(extent_x_m: float) -> float:
    """1,000 m when the tile is at least 2 km wide, else 100 m (a bar shorter than the tile)."""
    return 1000.0 if extent_x_m >= 2000.0 else 100.0


def scale_bar(extent_x_m: float, base_y_m: float) -> trimesh.Trimesh:
    """A red box `scale_bar_length_m` long along x (east) from the west edge, just south of the
    tile (mesh axes: x east, y up, z south; the tile's south edge is z = 0), resting at height
    `base_y_m` (the top of the terrain, so that no hill hides it)."""
    length = scale_bar_length_m(extent_x_m)
    thickness = max(length / 25.0, extent_x_m / 120.0)
    bar = trimesh.creation.box(extents=[length, thickness, thickness])
    bar.apply_translation([length / 2.0, base_y_m + thickness / 2.0, 2.0 * thickness])
    bar.visual = trimesh.visual.TextureVisuals(material=trimesh.visual.material.PBRMaterial(
        name="scale_bar", baseColorFactor=np.array(BAR_RGBA, dtype=np.uint8), metallicFactor=0.0, roughnessFactor=1.0))
    return bar


def glb_with_scale_bar(source: Path, target: Path) -> Path:
    """`target`: the GLB `source` plus a scale bar, written once (an existing `target` is kept)."""
    if target.exists():
        return target
    scene = trimesh.load(source, force="scene")
    low, high = scene.bounds
    scene.add_geometry(scale_bar(float(high[0] - low[0]), float(high[1])), geom_name="scale_bar")
    return atomic_write_with(target, lambda temporary: temporary.write_bytes(scene.export(file_type="glb")))
