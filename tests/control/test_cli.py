"""`python -m mesa generate` with the spatial-control options (mesa/cli/control_options.py)."""

import json

import numpy as np
import pytest
from PIL import Image

from mesa.cli import main


def generate(reference_dir, out, *extra):
    return main(["generate", "--model", str(reference_dir / "pipeline"), "--steps", "2", "--out", str(out), *extra])


def only_folder(out):
    (folder,) = list(out.iterdir())
    return folder


def test_keep_elevation_writes_the_users_map_unchanged(reference_dir, tmp_path, heightmap_m):
    np.save(tmp_path / "map.npy", heightmap_m)
    assert generate(reference_dir, tmp_path / "out", "--prompt", "hills", "--keep-elevation",
                    str(tmp_path / "map.npy"), "--meters-per-pixel", "12.5", "--seeds", "3") == 0
    folder = only_folder(tmp_path / "out")
    assert np.load(folder / "elevation.npy").tobytes() == heightmap_m.tobytes()
    document = json.loads((folder / "terrain.json").read_text())
    assert document["meters_per_pixel"] == 12.5 and document["provenance"]["control"]["mode"] == "texture"
    assert np.asarray(Image.open(folder / "rgb.png")).shape == (32, 32, 3)


def test_a_16_bit_png_needs_its_metres(reference_dir, tmp_path, capsys):
    Image.fromarray(np.linspace(0, 65535, 32 * 32).reshape(32, 32).astype(np.uint16)).save(tmp_path / "map.png")
    assert generate(reference_dir, tmp_path / "out", "--prompt", "hills", "--keep-elevation",
                    str(tmp_path / "map.png")) == 2
    assert "give --min-m and --max-m" in capsys.readouterr().err
    assert generate(reference_dir, tmp_path / "out", "--prompt", "hills", "--keep-elevation",
                    str(tmp_path / "map.png"), "--min-m", "100", "--max-m", "400", "--seeds", "1") == 0
    elevation = np.load(only_folder(tmp_path / "out") / "elevation.npy")
    assert (elevation.min(), elevation.max()) == pytest.approx((100.0, 400.0))


def test_init_elevation_and_sketch_follow_at_a_strength(reference_dir, tmp_path, heightmap_m):
    np.save(tmp_path / "coarse.npy", heightmap_m[::2, ::2])
    assert generate(reference_dir, tmp_path / "guided", "--prompt", "hills", "--init-elevation",
                    str(tmp_path / "coarse.npy"), "--strength", "0.75", "--seeds", "1") == 0
    control = json.loads((only_folder(tmp_path / "guided") / "terrain.json").read_text())["provenance"]["control"]
    assert (control["mode"], control["strength"], control["source"]) == ("guide", 0.75, "heightmap")
    sketch = np.full((32, 32, 3), 90, np.uint8)
    sketch[:, 10] = (255, 0, 0)
    Image.fromarray(sketch).save(tmp_path / "sketch.png")
    assert generate(reference_dir, tmp_path / "sketched", "--prompt", "hills", "--sketch", str(tmp_path / "sketch.png"),
                    "--min-m", "0", "--max-m", "500", "--seeds", "1") == 0
    control = json.loads((only_folder(tmp_path / "sketched") / "terrain.json").read_text())["provenance"]["control"]
    assert (control["source"], control["strength"]) == ("sketch", 0.5)


def test_mask_from_repaints_a_result_folder_keeping_the_rest(reference_dir, tmp_path):
    assert generate(reference_dir, tmp_path / "first", "--prompt", "hills", "--seeds", "7") == 0
    source = only_folder(tmp_path / "first")
    mask = np.zeros((32, 32), np.uint8)
    mask[4:20, 6:18] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    assert generate(reference_dir, tmp_path / "second", "--mask", str(tmp_path / "mask.png"), "--from", str(source),
                    "--seeds", "11") == 0
    folder = only_folder(tmp_path / "second")
    keep = mask == 0
    before, after = np.load(source / "elevation.npy"), np.load(folder / "elevation.npy")
    assert after[keep].tobytes() == before[keep].tobytes() and not np.array_equal(after, before)
    rgb_before, rgb_after = (np.asarray(Image.open(f / "rgb.png")) for f in (source, folder))
    assert np.array_equal(rgb_after[keep], rgb_before[keep])
    provenance = json.loads((folder / "terrain.json").read_text())["provenance"]
    assert provenance["prompt"] == "hills" and provenance["seed"] == 11
    assert provenance["control"]["source"] == "seed 7: hills"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--keep-elevation", "{map}", "--strength", "0.5"], "--strength does not apply to --keep-elevation"),
        (["--init-elevation", "{map}", "--strength", "2"], "strength must be a finite number in [0, 1]"),
        (["--init-elevation", "{map}", "--strength", "nan"], "strength must be"),
        (["--keep-elevation", "{map}", "--sketch", "{map}"], "choose one spatial control"),
        (["--keep-elevation", "{map}", "--height", "64"], "--height/--width does not apply to --keep-elevation"),
        (["--keep-elevation", "{map}", "--relief-m", "500"], "--relief-m/--base-m does not apply"),
        (["--mask", "{mask}"], "needs both --mask PNG"),
        (["--mask", "{mask}", "--from", "{tmp}"], "is not a generate result folder"),
        (["--feather-px", "3"], "--feather-px does not apply here"),
        (["--keep-elevation", "{nan_map}"], "nan_map.npy has 32 NaN"),
        (["--sketch", "{mask}"], "no relief"),
    ],
)
def test_bad_control_options_are_one_line(reference_dir, tmp_path, capsys, heightmap_m, extra, message):
    np.save(tmp_path / "map.npy", heightmap_m)
    np.save(tmp_path / "nan_map.npy", np.where(np.eye(32, dtype=bool), np.nan, heightmap_m))
    Image.fromarray(np.zeros((32, 32), np.uint8)).save(tmp_path / "mask.png")
    names = {"map": tmp_path / "map.npy", "nan_map": tmp_path / "nan_map.npy", "mask": tmp_path / "mask.png",
             "tmp": tmp_path}
    argv = [part.format(**names) for part in extra]
    assert generate(reference_dir, tmp_path / "out", "--prompt", "hills", *argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_mask_of_the_wrong_size_or_with_grey_is_refused(reference_dir, tmp_path, capsys):
    assert generate(reference_dir, tmp_path / "first", "--prompt", "hills", "--seeds", "7") == 0
    source = str(only_folder(tmp_path / "first"))
    Image.fromarray(np.full((16, 32), 255, np.uint8)).save(tmp_path / "small.png")
    grey = np.zeros((32, 32), np.uint8)
    grey[5:9, 5:9] = 128
    Image.fromarray(grey).save(tmp_path / "grey.png")
    assert generate(reference_dir, tmp_path / "a", "--mask", str(tmp_path / "small.png"), "--from", source) == 2
    assert "the mask is 32 x 16 px but the terrain is 32 x 32 px" in capsys.readouterr().err
    assert generate(reference_dir, tmp_path / "b", "--mask", str(tmp_path / "grey.png"), "--from", source) == 2
    assert "only 0 (keep) and 255 (repaint)" in capsys.readouterr().err
