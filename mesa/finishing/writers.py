"""Engine files for material weights and masks, written into a folder the caller gives.

One writer per engine behind `LAYER_WRITERS`; each takes the weights, the folder, a file stem and
the engine's heightmap size (rows, columns), and returns `LayerFiles`: typed records of what it
wrote plus the layer order and import notes for the sidecar. Rows run north to south and columns
west to east, as in the heightmaps, in every file.

* unreal - `<stem>_layer_<name>.png`: one 8-bit greyscale PNG per landscape layer at the
  landscape's (heightmap's) size, vertex-aligned; the layers sum to 255 at every vertex
  (weight-blended layers).
* unity - `<stem>_splat_<k>.png`: RGBA 8-bit splat (alphamap) textures, four layers each in layer
  order, at the alphamap resolution (a power of two, heightmap size - 1), texel-centred; all
  channels of all textures sum to 255 at every texel.
* godot - `<stem>_control.exr`: a Terrain3D control map (Terrain3D 1.0.x, docs "Control Map
  Format"): one 32-bit float channel R holding the uint32 bit field, base texture id in bits
  32-28 = the heaviest layer, overlay id in bits 27-23 = the second, blend in bits 22-15 =
  255 * overlay / (base + overlay); texture ids are the layer order. Plus the RGBA splats of
  `none` for HTerrain and custom shaders.
* none - `<stem>_splat_<k>.png`: generic RGBA splats at the heightmap size, vertex-aligned.

Masks: `<stem>_mask_<name>.png`, 8- or 16-bit greyscale at the heightmap size (`write_masks`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mesa.errors import UserError
from mesa.finishing.masks import MASKS, check_unit_range, quantise_mask
from mesa.finishing.materials import MaterialWeights, quantise_weights
from mesa.geometry.resample import resample_bilinear

UNITY_ALPHAMAP_SIZES = (16, 4096)
"""Smallest and largest Unity alphamap (Control Texture) resolution; it must be a power of two."""
TERRAIN3D_VERSION = "1.0.x"
CHANNELS = "RGBA"
BLOCK_PIXELS = 1 << 20
"""Output pixels resampled and quantised at a time: the writers' float temporaries stay bounded
(about 300 bytes per block pixel) whatever the engine's size; only the finished 8/16-bit maps are whole."""
BLOCK_BYTES_PER_PIXEL = 360
"""Peak of one block per block pixel: the resampled float32 layers, sort ranks and quantised bytes
(about 300 measured with benchmarks/bench_finish_memory.py, plus a fifth)."""
WHOLE_BYTES_PER_PIXEL = 24
"""What a writer keeps whole per output pixel: the quantised layers (one byte each), the RGBA splat
copies, the uint32 control map and the PNG / EXR buffers (10 to 12 measured, doubled)."""


def write_bytes(size: tuple[int, int]) -> int:
    """Upper bound of the peak memory of writing the masks and material files at `size` (rows,
    columns) with `write_finish`: one block of temporaries plus the maps that stay whole."""
    pixels = int(size[0]) * int(size[1])
    return BLOCK_BYTES_PER_PIXEL * min(pixels, BLOCK_PIXELS) + WHOLE_BYTES_PER_PIXEL * pixels


@dataclass(frozen=True)
class FinishedFile:
    """One file a finishing writer wrote.

    Attributes:
        path: where it is.
        role: "weight_map", "splat_map", "control_map" or "mask".
        format: "png8" (greyscale), "png16" (greyscale), "png_rgba8" or "exr_r32".
        description: what the file holds, in words, for the sidecar.
        width, height: pixels.
        layers: the material layers it holds: one for a weight map, the channels R, G, B, A in
            order for a splat map, the texture ids 0, 1, ... for a control map; empty for a mask.
    """

    path: Path
    role: str
    format: str
    description: str
    width: int
    height: int
    layers: tuple[str, ...] = ()

    def sidecar_entry(self) -> dict:
        """{"path", "role", "format", "description", "width", "height"} (and "layers" when it holds
        layers) with the file name as path (relative to the sidecar)."""
        entry = {"path": self.path.name, "role": self.role, "format": self.format, "description": self.description,
                 "width": self.width, "height": self.height}
        return {**entry, "layers": list(self.layers)} if self.layers else entry


@dataclass(frozen=True)
class LayerFiles:
    """What one engine writer produced.

    Attributes:
        engine: "unreal", "unity", "godot" or "none".
        files: the files, in writing order.
        layers: layer names in order (texture slot / channel order).
        width, height: size of the written maps, pixels.
        import_notes: JSON-ready engine-specific notes for the sidecar.
    """

    engine: str
    files: tuple[FinishedFile, ...]
    layers: tuple[str, ...]
    width: int
    height: int
    import_notes: dict = field(default_factory=dict)


def write_unreal_layers(weights: MaterialWeights, folder: Path, stem: str, size: tuple[int, int]) -> LayerFiles:
    """One 8-bit greyscale PNG per layer at the landscape size `size` (rows, columns)."""
    quantised = quantised_weights(weights.weights, size)
    files = tuple(
        _write_png(quantised[k], folder / f"{stem}_layer_{name}.png", "weight_map", "png8",
                   f"Unreal landscape layer '{name}': 0..255 weight, layers sum to 255", (name,))
        for k, name in enumerate(weights.layers)
    )
    notes = {
        "layer_names": list(weights.layers),
        "blend": "weight-blended layers (they sum to 255 at every vertex)",
        "import": "Landscape > Import from File: pick each layer's PNG; the landscape material needs "
        "layers with these names",
    }
    return LayerFiles("unreal", files, weights.layers, size[1], size[0], notes)


def write_unity_splats(weights: MaterialWeights, folder: Path, stem: str, size: tuple[int, int]) -> LayerFiles:
    """RGBA alphamaps at the alphamap resolution that goes with a heightmap of `size` (rows, columns)."""
    resolution = unity_alphamap_resolution(size)
    quantised = quantised_weights(weights.weights, (resolution, resolution), texel_centres=True)
    files = _write_splats(quantised, weights.layers, folder, stem, "Unity alphamap")
    notes = {
        "alphamap_resolution": resolution,
        "layer_order": list(weights.layers),
        "import": "Terrain Settings > Control Texture Resolution = alphamap_resolution; add Terrain Layers "
        "in layer_order; Terrain Tools > Terrain Toolbox > Utilities > Replace Splatmaps with these PNGs "
        "(texture import: sRGB off, Alpha Is Transparency off, Read/Write on, compression none)",
    }
    return LayerFiles("unity", files, weights.layers, resolution, resolution, notes)


def write_godot_layers(weights: MaterialWeights, folder: Path, stem: str, size: tuple[int, int]) -> LayerFiles:
    """Terrain3D control map (EXR) plus generic RGBA splats, both at the heightmap size `size`."""
    control = np.empty(size, np.uint32)
    quantised = np.empty((len(weights.layers), *size), np.uint8)
    for first, stop in row_blocks(size):
        block = resample_bilinear(weights.weights, *size, dtype=np.float32, rows=(first, stop))
        control[first:stop] = terrain3d_control(block)
        quantised[:, first:stop] = quantise_weights(block)
    path = folder / f"{stem}_control.exr"
    _write_exr_r32(control.view(np.float32), path)
    del control
    control_file = FinishedFile(
        path, "control_map", "exr_r32",
        f"Terrain3D {TERRAIN3D_VERSION} control map: uint32 bit field in a float32 R channel; base and overlay "
        "texture ids index the layer order", size[1], size[0], weights.layers,
    )
    splats = _write_splats(quantised, weights.layers, folder, stem, "RGBA splat")
    notes = {
        "terrain3d_version": TERRAIN3D_VERSION,
        "texture_ids": {name: k for k, name in enumerate(weights.layers)},
        "import": "Terrain3D importer (addons/terrain_3d/tools/importer.tscn): control file = the EXR, "
        "with the height EXR of the same size; add textures to the asset list in texture_ids order",
        "splats": "RGBA splats in layer order for HTerrain or custom shaders",
    }
    return LayerFiles("godot", (control_file, *splats), weights.layers, size[1], size[0], notes)


def write_rgba_splats(weights: MaterialWeights, folder: Path, stem: str, size: tuple[int, int]) -> LayerFiles:
    """Generic RGBA splats (four layers per texture, vertex-aligned) at `size` (rows, columns)."""
    quantised = quantised_weights(weights.weights, size)
    files = _write_splats(quantised, weights.layers, folder, stem, "RGBA splat")
    return LayerFiles("none", files, weights.layers, size[1], size[0], {"layer_order": list(weights.layers)})


LAYER_WRITERS: dict[str, Callable[[MaterialWeights, Path, str, tuple[int, int]], LayerFiles]] = {
    "unreal": write_unreal_layers,
    "unity": write_unity_splats,
    "godot": write_godot_layers,
    "none": write_rgba_splats,
}


def write_masks(
    masks: Mapping[str, np.ndarray], folder: Path, stem: str, size: tuple[int, int], bits: int = 8
) -> tuple[FinishedFile, ...]:
    """`<stem>_mask_<name>.png` greyscale masks, vertex-aligned at `size` (rows, columns).

    Args:
        masks: name -> (H, W) float in [0, 1] (compute_masks).
        bits: 8 or 16.
    """
    written = []
    for name, mask in masks.items():
        check_unit_range(f"mask {name!r}", mask)
        values = np.empty(size, np.uint8 if bits == 8 else np.uint16)
        for first, stop in row_blocks(size):
            # bilinear never leaves the input's range; only float rounding can step outside [0, 1]
            block = np.clip(resample_bilinear(mask, *size, dtype=np.float32, rows=(first, stop)), 0.0, 1.0)
            values[first:stop] = quantise_mask(block, bits)
        description = MASKS[name].description if name in MASKS else name
        written.append(_write_png(values, folder / f"{stem}_mask_{name}.png", "mask", f"png{bits}", description))
    return tuple(written)


def quantised_weights(weights: np.ndarray, size: tuple[int, int], texel_centres: bool = False) -> np.ndarray:
    """(L, rows, columns) uint8 weights resampled to `size` and quantised to sum to 255 at every
    pixel, BLOCK_PIXELS at a time.

    Args:
        weights: (L, H, W) float weights that sum to 1 at every pixel.
        size: (rows, columns) of the output.
        texel_centres: texel-centred layout (Unity alphamaps) instead of vertex-aligned.
    """
    quantised = np.empty((len(weights), *size), np.uint8)
    for first, stop in row_blocks(size):
        block = resample_bilinear(weights, *size, texel_centres, np.float32, (first, stop))
        quantised[:, first:stop] = quantise_weights(block)
    return quantised


def row_blocks(size: tuple[int, int]) -> list[tuple[int, int]]:
    """(first, stop) output rows of `size` (rows, columns), about BLOCK_PIXELS pixels each."""
    step = max(1, BLOCK_PIXELS // max(size[1], 1))
    return [(first, min(first + step, size[0])) for first in range(0, size[0], step)]


def unity_alphamap_resolution(size: tuple[int, int]) -> int:
    """Power of two for a Unity terrain whose heightmap is `size` (rows, columns): the smallest one
    >= the larger side - 1 (a 2^n + 1 heightmap gets 2^n), within UNITY_ALPHAMAP_SIZES."""
    needed = max(size) - 1
    low, high = UNITY_ALPHAMAP_SIZES
    resolution = low
    while resolution < needed and resolution < high:
        resolution *= 2
    return resolution


def terrain3d_control(weights: np.ndarray) -> np.ndarray:
    """(H, W) uint32 Terrain3D control values from (L, H, W) weights (L <= 32): base id = heaviest
    layer, overlay id = second heaviest, blend = round(255 * overlay / (base + overlay)); other bits 0."""
    if weights.shape[0] > 32:
        raise UserError(f"Terrain3D has 32 texture slots; got {weights.shape[0]} layers")
    order = np.argsort(-weights, axis=0, kind="stable")
    base, overlay = order[0], order[1]
    w_base = np.take_along_axis(weights, base[None], axis=0)[0].astype(np.float64)
    w_overlay = np.take_along_axis(weights, overlay[None], axis=0)[0].astype(np.float64)
    blend = np.rint(255.0 * w_overlay / np.maximum(w_base + w_overlay, 1e-12)).astype(np.uint32)
    overlay = np.where(blend == 0, base, overlay)
    return (base.astype(np.uint32) & 0x1F) << 27 | (overlay.astype(np.uint32) & 0x1F) << 22 | (blend & 0xFF) << 14


def _write_splats(
    quantised: np.ndarray, layers: tuple[str, ...], folder: Path, stem: str, what: str
) -> tuple[FinishedFile, ...]:
    """`<stem>_splat_<k>.png` RGBA textures, layers 4k..4k+3 in R, G, B, A (unused channels 0)."""
    count = -(-len(layers) // 4)
    padded = np.zeros((count * 4, *quantised.shape[1:]), np.uint8)
    padded[: len(layers)] = quantised
    files = []
    for k in range(count):
        names = layers[4 * k : 4 * k + 4]
        channels = ", ".join(f"{CHANNELS[c]}={name}" for c, name in enumerate(names))
        rgba = np.moveaxis(padded[4 * k : 4 * k + 4], 0, -1)
        description = f"{what} {k}: {channels}; all splats sum to 255 per pixel"
        files.append(_write_png(rgba, folder / f"{stem}_splat_{k}.png", "splat_map", "png_rgba8", description, names))
    return tuple(files)


def _write_png(values: np.ndarray, path: Path, role: str, format_name: str, description: str,
               layers: tuple[str, ...] = ()) -> FinishedFile:
    """PNG of (H, W) uint8 / uint16 greyscale or (H, W, 4) uint8 RGBA, through a buffer."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(values))
    expected = "RGBA" if values.ndim == 3 else "I;16" if values.dtype == np.uint16 else "L"
    if image.mode != expected:
        raise ValueError(f"{path.name}: expected a {expected} image, got {image.mode}")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return FinishedFile(path, role, format_name, description, values.shape[1], values.shape[0], layers)


def _write_exr_r32(values: np.ndarray, path: Path) -> None:
    """One-channel ("R") 32-bit float OpenEXR, ZIP-compressed (lossless: the bits are kept)."""
    import OpenEXR

    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, {"R": np.ascontiguousarray(values, dtype=np.float32)}) as exr:
        exr.write(str(path))
