import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from mesa.cli import main


def run_generate(reference_dir, tmp_path, *extra):
    argv = ["generate", "--model", str(reference_dir / "pipeline"), "--steps", "2", "--height", "32", "--width", "32",
            "--out", str(tmp_path / "out"), *extra]
    return main(argv)


def test_generate_from_parts_writes_every_file_with_settings(reference_dir, tmp_path, capsys):
    code = run_generate(reference_dir, tmp_path, "--biome", "montane forests", "--landform", "mountains",
                        "--seeds", "42", "50", "--formats", "png16,r16", "--engine", "unity")
    assert code == 0
    folders = sorted((tmp_path / "out").iterdir())
    assert [f.name for f in folders] == [
        "a-sentinel-2-image-of-montane-forests-and-seed42",
        "a-sentinel-2-image-of-montane-forests-and-seed50",
    ]
    folder = folders[0]
    rgb = np.asarray(Image.open(folder / "rgb.png"))
    assert rgb.shape == (32, 32, 3)
    elevation = np.load(folder / "elevation.npy")
    assert elevation.dtype == np.float32 and elevation.shape == (32, 32)
    height16 = np.asarray(Image.open(folder / "terrain_height.png"))
    assert height16.dtype == np.uint16 and height16.max() == 65535
    sidecar = json.loads((folder / "terrain.json").read_text())
    provenance = sidecar["provenance"]
    assert provenance["prompt"] == "A Sentinel-2 image of montane forests and mountains"
    assert provenance["seed"] == 42 and provenance["steps"] == 2 and provenance["sampler"] == "ddim"
    assert provenance["model_id"] == str(reference_dir / "pipeline")
    assert sidecar["min_m"] == pytest.approx(float(elevation.min()))
    assert sidecar["engine"]["engine"] == "unity"


def test_prompts_file_generates_each_prompt(reference_dir, tmp_path):
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("# comment\nhills in May\n\ndeserts and plains\n")
    assert run_generate(reference_dir, tmp_path, "--prompts-file", str(prompts), "--seeds", "7") == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["000-hills-in-may-seed7", "001-deserts-and-plains-seed7"]


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "give --prompt, --prompts-file"),
        (["--prompt", "hills", "--steps", "0"], "steps must be an integer"),
        (["--prompt", "hills", "--formats", "fbx"], "unknown export format"),
        (["--prompt", "hills", "--seeds", "-3"], "seed -3 is not accepted"),
    ],
)
def test_bad_input_is_one_line_without_traceback(reference_dir, tmp_path, capsys, extra, message):
    assert run_generate(reference_dir, tmp_path, *extra) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from mesa.cli import build_parser; build_parser(None);"
            "print(any(m in sys.modules for m in ('torch', 'pyvista', 'gradio')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_no_model_found_is_a_clear_error(tmp_path, monkeypatch, capsys):
    import mesa.pipeline.model_choice as model_choice

    monkeypatch.setattr(model_choice, "bundled_available", lambda: False)
    assert main(["generate", "--prompt", "hills", "--device", "cpu", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no model found" in err and "hf download NewtNewt/MESA" in err and "Traceback" not in err


def test_accelerate_launch_splits_seeds_across_processes(reference_dir, tmp_path):
    """Two CPU processes under `accelerate launch`: every seed is generated once, by one process."""
    out = tmp_path / "out"
    command = [sys.executable, "-m", "accelerate.commands.launch", "--cpu", "--num_processes", "2",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               "-m", "mesa", "generate", "--model", str(reference_dir / "pipeline"), "--prompt", "hills",
               "--seeds", "1", "2", "3", "--steps", "2", "--height", "32", "--width", "32", "--out", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["hills-seed1", "hills-seed2", "hills-seed3"]
    lines = [line for line in result.stdout.splitlines() if line.startswith("seed ")]
    assert sorted(lines) == sorted(set(lines)) and len(lines) == 3
