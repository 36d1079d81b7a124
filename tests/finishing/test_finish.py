"""finish_terrain + write_finish: what the export, the command line and the app will call."""

from __future__ import annotations

import json

import imageio.v3 as iio
import numpy as np
import pytest

from mesa.data.synthetic import SyntheticTerrainDataset
from mesa.errors import UserError
from mesa.finishing import MATERIAL_LAYERS, FinishOptions, finish_terrain, write_finish

ALL_MASKS = ("slope", "height", "convex", "concave", "flow", "water", "wear", "deposit", "height_mid")


@pytest.fixture(scope="module")
def terrain():
    return SyntheticTerrainDataset(resolution=64, length=4, seed=0).terrain(2)


@pytest.fixture(scope="module")
def finished(terrain):
    options = FinishOptions(erosion="hydraulic", erosion_strength=0.5, masks=ALL_MASKS, materials=True, sea_level_m=0.0)
    return finish_terrain(terrain.elevation_m, terrain.meters_per_pixel, terrain.rgb, options)


def test_finishing_erodes_then_reads_water_masks_and_materials_on_the_eroded_grid(terrain, finished):
    assert finished.elevation_m.shape == terrain.elevation_m.shape
    np.testing.assert_array_equal(finished.elevation_m, finished.erosion.elevation_m)
    assert finished.erosion.iterations == 50 and finished.erosion.conservation_error < 1e-4
    assert finished.water is not None and finished.water.filled_m.shape == terrain.elevation_m.shape
    assert tuple(finished.masks) == ALL_MASKS
    assert all(m.shape == terrain.elevation_m.shape and 0 <= m.min() <= m.max() <= 1 for m in finished.masks.values())
    np.testing.assert_allclose(finished.materials.weights.sum(axis=0), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    ("engine", "size", "layer_files"),
    [
        ("unreal", (127, 127), [f"t_layer_{n}.png" for n in ("rock", "grass", "forest", "soil", "snow", "water")]),
        ("unity", (65, 65), ["t_splat_0.png", "t_splat_1.png"]),
        ("godot", (65, 65), ["t_control.exr", "t_splat_0.png", "t_splat_1.png"]),
        ("none", None, ["t_splat_0.png", "t_splat_1.png"]),
    ],
)
def test_write_finish_lists_every_file_for_the_sidecar(finished, tmp_path, engine, size, layer_files):
    files = write_finish(finished, tmp_path, "t", engine, size)
    names = [f.path.name for f in files.files]
    assert names == [f"t_mask_{m}.png" for m in ALL_MASKS] + layer_files
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    mask = iio.imread(tmp_path / "t_mask_slope.png")
    assert mask.shape == (size or (64, 64)) and mask.dtype == np.uint8
    entries = files.sidecar_entries()
    assert all({"path", "role", "format", "description", "width", "height"} <= set(e) and e["description"]
               for e in entries)
    layers = {e["path"]: e["layers"] for e in entries if e["role"] != "mask"}
    splats = {"t_splat_0.png": list(MATERIAL_LAYERS[:4]), "t_splat_1.png": list(MATERIAL_LAYERS[4:])}
    expected = {f"t_layer_{n}.png": [n] for n in MATERIAL_LAYERS} if engine == "unreal" else splats
    assert layers == expected | ({"t_control.exr": list(MATERIAL_LAYERS)} if engine == "godot" else {})
    document = json.loads(json.dumps({"files": entries, "finishing": files.sidecar}))
    assert document["finishing"]["erosion"]["kind"] == "hydraulic"
    assert document["finishing"]["layers"]["engine"] == engine
    assert document["finishing"]["layers"]["order"] == ["rock", "grass", "forest", "soil", "snow", "water"]
    assert sum(document["finishing"]["materials"]["dominant_share"].values()) == pytest.approx(1.0)


def test_without_erosion_the_elevation_is_untouched_and_16_bit_masks_are_written(terrain, tmp_path):
    options = FinishOptions(masks=("slope", "height"), mask_bits=16)
    result = finish_terrain(terrain.elevation_m, terrain.meters_per_pixel, options=options)
    np.testing.assert_array_equal(result.elevation_m, terrain.elevation_m)
    assert result.erosion is None and result.water is None and result.materials is None
    files = write_finish(result, tmp_path, "t")
    assert [f.format for f in files.files] == ["png16", "png16"] and files.layers is None
    assert iio.imread(files.files[1].path).max() == 65535


def test_options_do_nothing_by_default_and_bad_ones_are_user_errors(terrain):
    assert not FinishOptions().active and FinishOptions(masks=("slope",)).active
    z, mpp = terrain.elevation_m, terrain.meters_per_pixel
    with pytest.raises(UserError, match="colour image"):
        finish_terrain(z, mpp, None, FinishOptions(materials=True))
    with pytest.raises(UserError, match="unknown erosion"):
        finish_terrain(z, mpp, options=FinishOptions(erosion="wind"))
    with pytest.raises(UserError, match="unknown mask"):
        finish_terrain(z, mpp, options=FinishOptions(masks=("moss",)))
    with pytest.raises(UserError, match="8- or 16-bit"):
        finish_terrain(z, mpp, options=FinishOptions(mask_bits=10))
    with pytest.raises(UserError, match="erosion"):
        finish_terrain(z, mpp, options=FinishOptions(masks=("wear",)))


def test_unknown_engine_is_refused(finished, tmp_path):
    with pytest.raises(UserError, match="unknown engine"):
        write_finish(finished, tmp_path, "t", "cryengine")
