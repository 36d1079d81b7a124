"""Engine files, re-read with independent readers (imageio for PNG, a test-local EXR reader) at
the sizes the engines use."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest

from mesa.errors import UserError
from mesa.finishing import LAYER_WRITERS, MATERIAL_LAYERS, MaterialWeights, quantise_weights, write_masks
from mesa.finishing.writers import terrain3d_control, unity_alphamap_resolution
from mesa.geometry.resample import resample_bilinear
from tests.finishing.exr_reader import read_single_channel_exr


@pytest.fixture(scope="module")
def weights() -> MaterialWeights:
    """(6, 97, 97) smooth random weights that sum to 1."""
    rng = np.random.default_rng(11)
    rows, columns = np.mgrid[0:97, 0:97] / 97.0
    raw = np.stack([np.exp(3 * np.sin(rng.uniform(2, 9) * rows + rng.uniform(1, 7) * columns + k)) for k in range(6)])
    return MaterialWeights(MATERIAL_LAYERS, (raw / raw.sum(axis=0)).astype(np.float32))


@pytest.mark.parametrize("size", [253, 505])
def test_unreal_layers_are_8bit_greyscale_at_the_landscape_size_and_sum_to_255(weights, tmp_path, size):
    result = LAYER_WRITERS["unreal"](weights, tmp_path, "tile", (size, size))
    assert [f.path.name for f in result.files] == [f"tile_layer_{name}.png" for name in MATERIAL_LAYERS]
    layers = np.stack([iio.imread(f.path) for f in result.files])
    assert layers.shape == (6, size, size) and layers.dtype == np.uint8
    np.testing.assert_array_equal(layers.astype(np.int64).sum(axis=0), 255)
    np.testing.assert_array_equal(layers, quantise_weights(resample_bilinear(weights.weights, size, size, dtype=np.float32)))
    assert {(f.role, f.format) for f in result.files} == {("weight_map", "png8")}
    assert result.import_notes["layer_names"] == list(MATERIAL_LAYERS)
    assert (result.width, result.height) == (size, size)


@pytest.mark.parametrize(("heightmap", "alphamap"), [(129, 128), (257, 256), (1025, 1024), (9, 16)])
def test_unity_alphamap_resolution_goes_with_the_heightmap(heightmap, alphamap):
    assert unity_alphamap_resolution((heightmap, heightmap)) == alphamap


def test_unity_splats_hold_four_layers_each_in_order_and_sum_to_255(weights, tmp_path):
    result = LAYER_WRITERS["unity"](weights, tmp_path, "tile", (257, 257))
    assert [f.path.name for f in result.files] == ["tile_splat_0.png", "tile_splat_1.png"]
    splats = [iio.imread(f.path) for f in result.files]
    assert all(s.shape == (256, 256, 4) and s.dtype == np.uint8 for s in splats)
    channels = np.concatenate([np.moveaxis(s, -1, 0) for s in splats])
    np.testing.assert_array_equal(channels[6:], 0)
    np.testing.assert_array_equal(channels.astype(np.int64).sum(axis=0), 255)
    expected = quantise_weights(resample_bilinear(weights.weights, 256, 256, True, np.float32))
    np.testing.assert_array_equal(channels[:6], expected)
    assert result.import_notes["layer_order"] == list(MATERIAL_LAYERS)
    assert "R=rock, G=grass, B=forest, A=soil" in result.files[0].description


def test_godot_control_map_is_terrain3d_bit_field_in_a_float_exr(weights, tmp_path):
    result = LAYER_WRITERS["godot"](weights, tmp_path, "tile", (129, 129))
    control_file = result.files[0]
    assert control_file.path.name == "tile_control.exr" and control_file.format == "exr_r32"
    channel, control = read_single_channel_exr(control_file.path)
    assert channel == "R" and control.shape == (129, 129)
    resampled = resample_bilinear(weights.weights, 129, 129, dtype=np.float32)
    base, overlay, blend = control >> 27 & 0x1F, control >> 22 & 0x1F, control >> 14 & 0xFF
    np.testing.assert_array_equal(base, np.argmax(resampled, axis=0))
    np.testing.assert_array_equal(control & 0x3FFF, 0)  # uv angle, scale, hole, navigation, autoshader
    ranked = np.sort(resampled, axis=0)[::-1]
    np.testing.assert_allclose(blend, 255 * ranked[1] / (ranked[0] + ranked[1]), atol=0.51)
    assert np.all((overlay != base) | (blend == 0))
    assert [f.path.name for f in result.files[1:]] == ["tile_splat_0.png", "tile_splat_1.png"]
    assert result.import_notes["texture_ids"]["water"] == 5


def test_terrain3d_control_by_hand():
    weights = np.zeros((6, 1, 3))
    weights[:, 0, 0] = [0, 0, 1, 0, 0, 0]  # forest only
    weights[:, 0, 1] = [0.6, 0, 0, 0, 0, 0.4]  # rock over water
    weights[:, 0, 2] = [0, 0, 0, 0.25, 0.75, 0]  # snow over soil
    control = terrain3d_control(weights)[0]
    assert control[0] == 2 << 27 | 2 << 22
    assert control[1] == 0 << 27 | 5 << 22 | 102 << 14
    assert control[2] == 4 << 27 | 3 << 22 | 64 << 14


def test_generic_splats_keep_the_native_size(weights, tmp_path):
    result = LAYER_WRITERS["none"](weights, tmp_path, "tile", (97, 97))
    splats = [iio.imread(f.path) for f in result.files]
    assert all(s.shape == (97, 97, 4) for s in splats)
    channels = np.concatenate([np.moveaxis(s, -1, 0) for s in splats])[:6]
    np.testing.assert_array_equal(channels, quantise_weights(weights.weights))


@pytest.mark.parametrize("bits", [8, 16])
def test_masks_are_greyscale_png_at_the_heightmap_size(tmp_path, bits):
    ramp = np.linspace(0.0, 1.0, 97)[None, :].repeat(97, axis=0)
    files = write_masks({"slope": ramp, "water": (ramp > 0.5).astype(np.float32)}, tmp_path, "tile", (193, 193), bits)
    assert [f.path.name for f in files] == ["tile_mask_slope.png", "tile_mask_water.png"]
    slope = iio.imread(files[0].path)
    top = (1 << bits) - 1
    assert slope.shape == (193, 193) and slope.dtype == (np.uint8 if bits == 8 else np.uint16)
    np.testing.assert_allclose(slope[0], np.linspace(0.0, 1.0, 193) * top, atol=0.5 + 1e-3)  # rounded
    assert slope[0, 0] == 0 and slope[0, -1] == top
    assert files[0].format == f"png{bits}" and "90 degrees" in files[0].description
    with pytest.raises(UserError, match="from 0 to 1"):
        write_masks({"slope": ramp * 2.0}, tmp_path, "tile", (97, 97))


@pytest.mark.parametrize("engine", ["unreal", "unity", "godot", "none"])
def test_writing_in_row_blocks_gives_the_same_files_as_in_one_block(weights, tmp_path, monkeypatch, engine):
    import mesa.finishing.writers as writers

    mask = {"slope": np.linspace(0.0, 1.0, 97 * 97, dtype=np.float32).reshape(97, 97) ** 2}
    whole = LAYER_WRITERS[engine](weights, tmp_path, "whole", (129, 129)).files
    whole += write_masks(mask, tmp_path, "whole", (129, 129), 16)
    monkeypatch.setattr(writers, "BLOCK_PIXELS", 1000)  # 7 rows per block, the last one shorter
    assert writers.row_blocks((129, 129))[-1] == (126, 129)
    blocks = LAYER_WRITERS[engine](weights, tmp_path, "blocks", (129, 129)).files
    blocks += write_masks(mask, tmp_path, "blocks", (129, 129), 16)
    for one, other in zip(whole, blocks, strict=True):
        assert one.path.name.replace("whole", "blocks") == other.path.name
        if one.format == "exr_r32":
            np.testing.assert_array_equal(read_single_channel_exr(one.path)[1], read_single_channel_exr(other.path)[1])
        else:
            np.testing.assert_array_equal(iio.imread(one.path), iio.imread(other.path))
