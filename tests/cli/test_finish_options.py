"""`export` / `generate` with the finishing options: files re-read with independent readers (imageio,
tifffile, a test-local EXR reader) at the engines' sizes, the sidecar lists them all, the heightmaps
are the library's erosion of the input, and bad options stop in one line before any work."""

import json

import imageio.v3 as iio
import numpy as np
import pytest
import tifffile

from mesa.cli import main
from mesa.cli.finish_options import MASK_NAMES
from mesa.export import estimate_export_memory
from mesa.finishing import MASKS, MATERIAL_LAYERS, FinishOptions, erode, estimate_finish_memory, finish_terrain
from mesa.geometry.resample import resample_bilinear
from tests.finishing.exr_reader import read_single_channel_exr

MPP = 30.0


def hills(size: int = 32) -> np.ndarray:
    """(size, size) float32 hills with about 300 m relief and a little noise (erodes visibly)."""
    rows, columns = np.mgrid[0:size, 0:size].astype(np.float64) / size
    relief = 150.0 * np.sin(6.0 * rows + 1.0) * np.cos(5.0 * columns) + 120.0 * rows + 80.0 * np.sin(11.0 * columns)
    return (800.0 + relief + np.random.default_rng(0).normal(0.0, 2.0, (size, size))).astype(np.float32)


def colours(elevation: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: forest green low, grey rock in the middle, white snow on top."""
    t = (elevation - elevation.min()) / np.ptp(elevation)
    palette = np.array([[40, 80, 35], [120, 115, 110], [245, 245, 250]], np.float64)
    index = np.clip(t * 2, 0, 1.999)
    low, frac = index.astype(int), (index % 1)[..., None]
    return np.rint(palette[low] * (1 - frac) + palette[low + 1] * frac).astype(np.uint8)


@pytest.fixture
def inputs(tmp_path):
    elevation = hills()
    np.save(tmp_path / "dem.npy", elevation)
    iio.imwrite(tmp_path / "rgb.png", colours(elevation))
    return tmp_path, elevation


def export(folder, *extra, rgb=True):
    argv = ["export", "--elevation", str(folder / "dem.npy"), "--meters-per-pixel", str(MPP),
            "--out", str(folder / "out"), *extra]
    return main([*argv, "--rgb", str(folder / "rgb.png")] if rgb else argv)


def sidecar(folder):
    return json.loads((folder / "terrain.json").read_text())


def assert_sidecar_lists_every_file(folder):
    entries = {entry["path"]: entry for entry in sidecar(folder)["files"]}
    assert sorted(p.name for p in folder.iterdir()) == sorted([*entries, "terrain.json"])
    return entries


def test_unreal_export_is_eroded_with_masks_and_one_weight_map_per_layer(inputs, capsys):
    folder, elevation = inputs
    code = export(folder, "--formats", "png16", "--engine", "unreal", "--erosion", "hydraulic",
                  "--masks", "slope,flow,water,wear", "--materials")
    assert code == 0
    out = folder / "out"
    entries = assert_sidecar_lists_every_file(out)
    layers = np.stack([iio.imread(out / f"terrain_layer_{name}.png") for name in MATERIAL_LAYERS])
    assert layers.shape == (6, 127, 127) and layers.dtype == np.uint8  # Unreal's smallest landscape, 127 x 127
    np.testing.assert_array_equal(layers.astype(np.int64).sum(axis=0), 255)
    for name in ("slope", "flow", "water", "wear"):
        mask = iio.imread(out / f"terrain_mask_{name}.png")
        assert mask.shape == (127, 127) and mask.dtype == np.uint8
        assert entries[f"terrain_mask_{name}.png"]["role"] == "mask"
    assert {entries[f"terrain_layer_{name}.png"]["role"] for name in MATERIAL_LAYERS} == {"weight_map"}
    assert all(entry["description"] for path, entry in entries.items() if "_layer_" in path or "_mask_" in path)
    document = sidecar(out)
    assert document["finishing"]["layers"]["order"] == list(MATERIAL_LAYERS)
    assert document["finishing"]["erosion"]["kind"] == "hydraulic"
    eroded = erode(elevation, MPP, "hydraulic").elevation_m
    height = iio.imread(out / "terrain_height.png").astype(np.float64)
    low, high = entries["terrain_height.png"]["range_m"]
    expected = resample_bilinear(eroded, 127, 127)
    np.testing.assert_allclose(low + height * (high - low) / 65535, expected, atol=(high - low) / 65535)
    assert "erosion: hydraulic, 100 iterations" in capsys.readouterr().out


def test_the_eroded_heightmap_is_the_library_erosion_of_the_input(inputs):
    folder, elevation = inputs
    assert export(folder, "--formats", "tif", "--erosion", "hydraulic+thermal", "--erosion-strength", "0.5",
                  "--masks", "deposit,height", "--mask-bits", "16", rgb=False) == 0
    written = tifffile.imread(folder / "out" / "terrain_height.tif")
    library = erode(elevation, MPP, "hydraulic+thermal", 0.5).elevation_m
    np.testing.assert_array_equal(written, library)
    assert np.abs(written - elevation).max() > 1.0
    mask = iio.imread(folder / "out" / "terrain_mask_height.png")
    assert mask.dtype == np.uint16 and mask.shape == (32, 32) and mask.max() == 65535 and mask.min() == 0
    assert sidecar(folder / "out")["elevation"]["max_m"] == pytest.approx(float(library.max()))


def test_unity_gets_rgba_splats_at_the_alphamap_size(inputs):
    folder, _ = inputs
    assert export(folder, "--formats", "r16", "--engine", "unity", "--materials") == 0
    out = folder / "out"
    entries = assert_sidecar_lists_every_file(out)
    splats = [iio.imread(out / f"terrain_splat_{k}.png") for k in (0, 1)]
    assert all(s.shape == (32, 32, 4) and s.dtype == np.uint8 for s in splats)  # heightmap 33 -> alphamap 32
    np.testing.assert_array_equal(sum(s.astype(np.int64).sum(axis=2) for s in splats), 255)
    assert entries["terrain_splat_0.png"]["layers"] == list(MATERIAL_LAYERS[:4])
    assert sidecar(out)["finishing"]["layers"]["import"]["layer_order"] == list(MATERIAL_LAYERS)


def test_godot_gets_a_terrain3d_control_map_at_the_heightmap_size(inputs):
    folder, elevation = inputs
    assert export(folder, "--formats", "exr", "--engine", "godot", "--materials", "--water-level-m", "850") == 0
    out = folder / "out"
    entries = assert_sidecar_lists_every_file(out)
    channel, control = read_single_channel_exr(out / "terrain_control.exr")
    assert channel == "R" and control.shape == (33, 33)
    assert set(np.unique(control >> 27)) <= set(range(len(MATERIAL_LAYERS)))  # base texture id: a layer
    np.testing.assert_array_equal(control & 0x3FFF, 0)
    assert entries["terrain_control.exr"]["role"] == "control_map"
    result = finish_terrain(elevation, MPP, colours(elevation), FinishOptions(sea_level_m=850.0, materials=True))
    assert sidecar(out)["finishing"]["water"]["sea_km2"] == pytest.approx(result.summary()["water"]["sea_km2"])
    assert result.summary()["water"]["sea_km2"] > 0


@pytest.mark.parametrize(("extra", "message"), [
    (["--erosion", "wind"], "--erosion 'wind' is not known; choose one of none, hydraulic, thermal, hydraulic+thermal"),
    (["--masks", "slope,moss"], "--masks: unknown mask(s) moss; choose from slope, height"),
    (["--erosion", "thermal", "--erosion-strength", "0"], "--erosion-strength: erosion strength must be a number"),
    (["--erosion-strength", "lots"], "--erosion-strength must be a number, got 'lots'"),
    (["--mask-bits", "12"], "--mask-bits must be 8 or 16, got '12'"),
    (["--masks", "wear"], "the wear mask(s) show what erosion did: add --erosion"),
    (["--water-level-m", "nan"], "--water-level-m must be a finite number"),
    (["--water-level-m", "900", "--masks", "slope"], "--water-level-m shapes the water masks"),
    (["--river-min-km2", "-1"], "--river-min-km2 must be above 0"),
    (["--erosion", "hydraulic", "--erosion-device", "tpu"], "unknown device 'tpu'"),
])
def test_bad_finishing_options_stop_in_one_line_before_any_work(inputs, capsys, extra, message):
    folder, _ = inputs
    assert export(folder, *extra) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and error.count("\n") == 1 and message in error
    assert not (folder / "out").exists()


def test_materials_need_the_colour_image(inputs, capsys):
    folder, _ = inputs
    assert export(folder, "--materials", rgb=False) == 2
    assert "--materials reads the materials from the colour image: give --rgb" in capsys.readouterr().err


def test_finishing_that_cannot_fit_in_memory_is_refused_before_reading(tmp_path, capsys, monkeypatch):
    np.save(tmp_path / "dem.npy", np.zeros((600, 600), np.float32))
    plain = estimate_export_memory((600, 600), ("png16",), (1009, 1009)).peak_bytes
    finishing = estimate_finish_memory((600, 600), FinishOptions(masks=("slope",)), (1009, 1009))
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", str((plain + finishing / 2) / 1024**3))
    argv = ["export", "--elevation", str(tmp_path / "dem.npy"), "--meters-per-pixel", "10", "--formats", "png16",
            "--engine", "unreal", "--out", str(tmp_path / "out")]
    assert main(argv) == 0  # without finishing it fits
    assert main([*argv[:-1], str(tmp_path / "out2"), "--masks", "slope"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "of memory" in error
    assert not (tmp_path / "out2").exists()


def run_generate(reference_dir, out, *extra):
    return main(["generate", "--model", str(reference_dir / "pipeline"), "--steps", "2", "--height", "32",
                 "--width", "32", "--seeds", "42", "--prompt", "hills", "--out", str(out), *extra])


def test_generate_writes_the_eroded_terrain_and_its_finishing_files(reference_dir, tmp_path):
    assert run_generate(reference_dir, tmp_path / "plain") == 0
    assert run_generate(reference_dir, tmp_path / "done", "--erosion", "thermal", "--masks", "slope",
                        "--materials", "--engine", "unreal") == 0
    plain = np.load(tmp_path / "plain" / "hills-seed42" / "elevation.npy")
    folder = tmp_path / "done" / "hills-seed42"
    eroded = np.load(folder / "elevation.npy")
    meters_per_pixel = sidecar(folder)["meters_per_pixel"]
    np.testing.assert_array_equal(eroded, erode(plain, meters_per_pixel, "thermal").elevation_m)
    assert np.abs(eroded - plain).max() > 0.1
    entries = assert_sidecar_lists_every_file(folder)
    assert entries["elevation.npy"]["erosion"] == "thermal"
    weights = np.stack([iio.imread(folder / f"terrain_layer_{name}.png") for name in MATERIAL_LAYERS])
    assert weights.shape == (6, 127, 127)
    np.testing.assert_array_equal(weights.astype(np.int64).sum(axis=0), 255)
    assert iio.imread(folder / "terrain_mask_slope.png").shape == (127, 127)


def test_generate_refuses_bad_finishing_before_the_model_loads(tmp_path, capsys):
    argv = ["generate", "--model", str(tmp_path / "no-model"), "--prompt", "hills", "--out", str(tmp_path / "out"),
            "--masks", "cliffs"]
    assert main(argv) == 2
    assert "unknown mask(s) cliffs" in capsys.readouterr().err


def test_the_help_names_every_mask_the_library_knows():
    assert MASK_NAMES == tuple(MASKS)
