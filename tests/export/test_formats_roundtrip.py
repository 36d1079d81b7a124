"""Every registered format is written by `export_terrain` and read back with an independent reader."""

import base64
import io
import json

import numpy as np
import OpenEXR
import pygltflib
import pytest
import tifffile
from PIL import Image

from mesa.export import FORMATS, export_terrain

MPP = 10.0
_COMPONENTS = {5126: np.float32, 5125: np.uint32, 5123: np.uint16}
_WIDTHS = {"SCALAR": 1, "VEC2": 2, "VEC3": 3}


def _view_bytes(gltf, blobs, index):
    view = gltf.bufferViews[index]
    start = view.byteOffset or 0
    return blobs[view.buffer][start : start + view.byteLength]


def _accessor(gltf, blobs, index):
    accessor = gltf.accessors[index]
    data = _view_bytes(gltf, blobs, accessor.bufferView)
    count = accessor.count * _WIDTHS[accessor.type]
    values = np.frombuffer(data, _COMPONENTS[accessor.componentType], count, accessor.byteOffset or 0)
    return values.reshape(accessor.count, -1)


def _check_gltf(gltf, blobs, elevation_m, rgb):
    primitive = gltf.meshes[0].primitives[0]
    positions = _accessor(gltf, blobs, primitive.attributes.POSITION)
    uv = _accessor(gltf, blobs, primitive.attributes.TEXCOORD_0)
    normals = _accessor(gltf, blobs, primitive.attributes.NORMAL)
    height, width = elevation_m.shape
    assert len(positions) == height * width
    # Y up: x east, y elevation, z south; exact metric extents
    np.testing.assert_allclose(positions.min(axis=0), [0, elevation_m.min(), -(height - 1) * MPP], rtol=1e-6)
    np.testing.assert_allclose(positions.max(axis=0), [(width - 1) * MPP, elevation_m.max(), 0], atol=1e-3)
    assert (normals[:, 1] > 0).all()
    # the north-west vertex samples the centre of pixel (0, 0); glTF's v axis points down
    north_west = np.flatnonzero((positions[:, 0] == 0) & (positions[:, 2] == -(height - 1) * MPP))[0]
    np.testing.assert_allclose(uv[north_west], [0.5 / width, 0.5 / height], rtol=1e-6)
    material = gltf.materials[primitive.material]
    texture = gltf.textures[material.pbrMetallicRoughness.baseColorTexture.index]
    image = gltf.images[texture.source]
    assert image.mimeType == "image/png"
    png = _view_bytes(gltf, blobs, image.bufferView)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png)).convert("RGB")), rgb)


def roundtrip_glb(out, elevation_m, rgb):
    gltf = pygltflib.GLTF2().load(str(out / "terrain.glb"))
    _check_gltf(gltf, [gltf.binary_blob()], elevation_m, rgb)


def roundtrip_gltf(out, elevation_m, rgb):
    gltf = pygltflib.GLTF2().load(str(out / "terrain.gltf"))
    assert all(buffer.uri.startswith("data:") for buffer in gltf.buffers)
    blobs = [base64.b64decode(buffer.uri.split(",", 1)[1]) for buffer in gltf.buffers]
    _check_gltf(gltf, blobs, elevation_m, rgb)


def roundtrip_obj(out, elevation_m, rgb):
    lines = (out / "terrain.obj").read_text().splitlines()
    vertices = np.array([line.split()[1:] for line in lines if line.startswith("v ")], dtype=float)
    faces = [line.split()[1:] for line in lines if line.startswith("f ")]
    height, width = elevation_m.shape
    assert len(vertices) == height * width and len(faces) == 2 * (height - 1) * (width - 1)
    assert np.ptp(vertices[:, 0]) == pytest.approx((width - 1) * MPP)
    assert np.ptp(vertices[:, 2]) == pytest.approx((height - 1) * MPP)
    np.testing.assert_allclose(vertices[:, 1], elevation_m.ravel(), atol=1e-4)
    assert "mtllib terrain.mtl" in lines
    assert "map_Kd terrain_albedo.png" in (out / "terrain.mtl").read_text()
    np.testing.assert_array_equal(np.asarray(Image.open(out / "terrain_albedo.png")), rgb)


def roundtrip_png16(out, elevation_m, rgb):
    image = Image.open(out / "terrain_height.png")
    values = np.asarray(image)
    assert image.mode.startswith("I;16") and values.shape == elevation_m.shape
    assert values.min() == 0 and values.max() == 65535
    low, high = elevation_m.min(), elevation_m.max()
    decoded = low + values.astype(float) * (high - low) / 65535
    assert np.abs(decoded - elevation_m).max() <= (high - low) / 65535


def roundtrip_r16(out, elevation_m, rgb):
    raw = (out / "terrain_height.r16").read_bytes()
    height, width = elevation_m.shape
    assert len(raw) == 2 * height * width
    values = np.frombuffer(raw, "<u2").reshape(height, width)
    peak = np.unravel_index(np.argmax(elevation_m), elevation_m.shape)
    assert values[peak] == 65535
    low = np.unravel_index(np.argmin(elevation_m), elevation_m.shape)
    offset = 2 * (low[0] * width + low[1])
    assert raw[offset : offset + 2] == b"\x00\x00"
    # little-endian: the first byte is the low byte
    first = int(values[0, 0])
    assert raw[0] == first & 0xFF and raw[1] == first >> 8


def roundtrip_exr(out, elevation_m, rgb):
    with OpenEXR.File(str(out / "terrain_height.exr")) as exr:
        pixels = exr.channels()["R"].pixels
    assert pixels.dtype == np.float32
    np.testing.assert_array_equal(pixels, elevation_m.astype(np.float32))


def roundtrip_tif(out, elevation_m, rgb):
    values = tifffile.imread(out / "terrain_height.tif")
    assert values.dtype == np.float32
    np.testing.assert_array_equal(values, elevation_m.astype(np.float32))


def roundtrip_normal(out, elevation_m, rgb):
    normals = np.asarray(Image.open(out / "terrain_normal.png")).astype(float) / 127.5 - 1.0
    assert normals.shape == (*elevation_m.shape, 3)
    np.testing.assert_allclose(np.linalg.norm(normals, axis=-1), 1.0, atol=0.02)
    slope_east = np.gradient(elevation_m, MPP, axis=1)
    steep = np.abs(slope_east) > 0.5
    assert (np.sign(normals[..., 0][steep]) == -np.sign(slope_east[steep])).all()


ROUNDTRIPS = {name[len("roundtrip_") :]: check for name, check in globals().items() if name.startswith("roundtrip_")}


def test_every_registered_format_has_a_roundtrip():
    assert set(ROUNDTRIPS) == set(FORMATS)


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_format_roundtrip(format_name, tmp_path, elevation_m, rgb):
    result = export_terrain(elevation_m, MPP, tmp_path, [format_name], rgb=rgb)
    ROUNDTRIPS[format_name](tmp_path, elevation_m, rgb)
    sidecar = json.loads(result.sidecar.read_text())
    assert {f["path"] for f in sidecar["files"]} == {p.name for p in result.paths() if p != result.sidecar}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in result.paths())


def test_glb_without_colour_has_no_texture(tmp_path, elevation_m):
    export_terrain(elevation_m, MPP, tmp_path, "glb")
    gltf = pygltflib.GLTF2().load(str(tmp_path / "terrain.glb"))
    assert not gltf.images
