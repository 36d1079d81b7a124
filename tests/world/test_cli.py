"""`python -m mesa world`: generate, export engine tiles, extend a saved world; the folder is checked first."""

import json

import pytest

from mesa.cli import main


def run_world(reference_dir, out, *extra):
    return main(["world", "--model", str(reference_dir / "pipeline"), "--steps", "1", "--seed", "7",
                 "--out", str(out), "--lod-triangles", "400", *extra])


def test_generate_a_world_with_engine_tiles_then_extend_it(reference_dir, tmp_path, capsys):
    out = tmp_path / "world"
    assert run_world(reference_dir, out, "--landform-map", "plains,hills", "--tiles", "2x1", "--engine", "unreal") == 0
    document = json.loads((out / "world.json").read_text())
    assert (document["columns"], document["rows"]) == (2, 1)
    assert [p["prompt"] for p in document["prompts"]] == ["A Sentinel-2 image of plains", "A Sentinel-2 image of hills"]
    assert (out / "unreal" / "world_x1_y0.png").is_file() and (out / "tiles" / "x1_y0").is_dir()
    assert "world: 2 x 1 tiles" in capsys.readouterr().out
    grown = tmp_path / "grown"
    assert run_world(reference_dir, grown, "--extend", str(out), "--direction", "south", "--no-tile-meshes",
                     "--no-lod") == 0
    document = json.loads((grown / "world.json").read_text())
    assert (document["columns"], document["rows"]) == (2, 2) and document["history"][-1].startswith("extended south")
    assert not (grown / "tiles").exists()


@pytest.mark.parametrize("extra, message", [
    (["--prompt", "hills", "--tiles", "3by2"], "--tiles must look like 3x2"),
    (["--tiles", "2x1"], "give --prompt, --prompt-grid"),
    (["--prompt", "hills", "--formats", "fbx"], "unknown export format"),
    (["--landform-map", "plains,;hills"], "none empty"),
    (["--extend", "nowhere", "--direction", "east"], "holds no saved world"),
])
def test_bad_options_stop_with_one_line(reference_dir, tmp_path, capsys, extra, message):
    assert run_world(reference_dir, tmp_path / "out", *extra) == 2
    assert message in capsys.readouterr().err


def test_a_folder_that_is_not_a_world_is_never_replaced(reference_dir, tmp_path, capsys):
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"x")
    assert run_world(reference_dir, out, "--prompt", "hills") == 2
    assert "is not empty and holds no world.json" in capsys.readouterr().err
    assert (out / "holiday.jpg").read_bytes() == b"x"


def test_a_prompt_grid_file_paints_the_world(reference_dir, tmp_path):
    grid = tmp_path / "grid.txt"
    grid.write_text("# west | east\nplains | mountains\n")
    assert run_world(reference_dir, tmp_path / "out", "--prompt-grid", str(grid), "--tiles", "2x1", "--no-lod",
                     "--no-tile-meshes") == 0
    cells = json.loads((tmp_path / "out" / "world.json").read_text())["cells"]
    assert cells[0]["prompts"] == {"plains": 1.0} and cells[1]["prompts"] == {"mountains": 1.0}


def test_a_finished_world_has_eroded_engine_tiles_with_weight_maps(reference_dir, tmp_path, capsys):
    import imageio.v3 as iio
    import numpy as np

    out = tmp_path / "world"
    assert run_world(reference_dir, out, "--prompt", "hills", "--tiles", "2x1", "--engine", "unreal", "--no-lod",
                     "--no-tile-meshes", "--erosion", "hydraulic", "--masks", "slope,flow", "--materials") == 0
    assert "erosion: hydraulic, 100 iterations" in capsys.readouterr().out
    west = [iio.imread(out / "unreal" / f"world_layer_{name}_x0_y0.png") for name in ("rock", "grass", "forest")]
    east = [iio.imread(out / "unreal" / f"world_layer_{name}_x1_y0.png") for name in ("rock", "grass", "forest")]
    for one, other in zip(west, east, strict=True):
        np.testing.assert_array_equal(one[:, -1], other[:, 0])
    assert (out / "mosaic" / "world_mask_flow.png").is_file()
    listed = {entry["path"] for entry in json.loads((out / "world.json").read_text())["files"]}
    assert listed == {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}


def test_bad_finishing_options_stop_before_the_model_loads(tmp_path, capsys):
    code = main(["world", "--model", str(tmp_path / "no-model"), "--prompt", "hills", "--out", str(tmp_path / "out"),
                 "--erosion", "glacial"])
    assert code == 2 and "--erosion 'glacial' is not known" in capsys.readouterr().err
