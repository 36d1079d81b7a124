import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from mesa.cli import main
from tests.support.processes import run_ranks


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
    assert sidecar["elevation"]["min_m"] == pytest.approx(float(elevation.min()))
    assert sidecar["engine"]["engine"] == "unity"
    entries = {f["path"]: f for f in sidecar["files"]}
    assert entries["rgb.png"]["role"] == "image" and entries["elevation.npy"]["role"] == "elevation"
    assert entries["elevation.npy"]["range_m"] == [float(elevation.min()), float(elevation.max())]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*entries, "terrain.json"])
    assert "p2-p98" in capsys.readouterr().out


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


def test_two_processes_split_the_seeds(reference_dir, tmp_path):
    """Two CPU ranks of one process group (what `accelerate launch` starts): every seed is
    generated once, by one process, and both processes do part of the work."""
    out = tmp_path / "out"
    arguments = ["mesa", "generate", "--model", str(reference_dir / "pipeline"), "--prompt", "hills",
                 "--seeds", "1", "2", "3", "--steps", "2", "--height", "32", "--width", "32", "--out", str(out)]
    results = run_ranks(arguments, tmp_path, timeout_s=600)
    assert all(r.returncode == 0 for r in results), "\n".join(r.stderr_tail for r in results)
    assert sorted(p.name for p in out.iterdir()) == ["hills-seed1", "hills-seed2", "hills-seed3"]
    seeds = [{line.split(":")[0] for line in r.stdout.splitlines() if line.startswith("seed ")} for r in results]
    assert all(seeds) and not seeds[0] & seeds[1] and seeds[0] | seeds[1] == {"seed 1", "seed 2", "seed 3"}


def one_line_error(capsys):
    """The error line (after any model-loading progress bars on stderr)."""
    error = capsys.readouterr().err
    assert "Traceback" not in error and error.endswith("\n")
    last = error.splitlines()[-1]
    assert last.startswith("error: ") and error.count("error:") == 1
    return last


@pytest.fixture
def no_model(monkeypatch):
    """Fail the test if the command gets as far as loading a model."""
    import mesa.cli.generate as generate

    def refuse(*args, **kwargs):
        raise AssertionError("the model was loaded before the input was checked")

    monkeypatch.setattr(generate, "load_chosen_model", refuse)


@pytest.mark.parametrize(
    ("prepare", "out", "extra", "message"),
    [
        (lambda p: (p / "out").write_text("x"), "out", [], "is a file"),
        (lambda p: (p / "blocker").write_text("x"), "blocker/out", [], "which is a file"),
        (lambda p: ((p / "out" / "hills-seed42").mkdir(parents=True), (p / "out" / "hills-seed42" / "a.txt").touch()),
         "out", [], "holds a.txt and no MESA terrain.json"),
        (lambda p: None, "out", ["--vertical-exaggeration", "nan"], "vertical_exaggeration must be a finite number"),
        (lambda p: None, "out", ["--max-triangles", "1000000000000"], "max_triangles must be an integer"),
        (lambda p: None, "out", ["--formats", "fbx"], "unknown export format"),
    ],
)
def test_outputs_and_export_settings_are_checked_before_the_model_loads(tmp_path, capsys, no_model, prepare, out,
                                                                       extra, message):
    prepare(tmp_path)
    argv = ["generate", "--prompt", "hills", "--seeds", "42", "--out", str(tmp_path / out), *extra]
    assert main(argv) == 2
    error = one_line_error(capsys)
    assert message in error


def test_a_read_only_output_is_one_line_before_the_model_loads(tmp_path, capsys, no_model, monkeypatch):
    import errno

    import mesa.export.destination as destination

    def refuse(prefix, dir):
        raise OSError(errno.EROFS, "Read-only file system", dir)

    monkeypatch.setattr(destination.tempfile, "mkdtemp", refuse)
    assert main(["generate", "--prompt", "hills", "--out", str(tmp_path / "out")]) == 2
    assert f"{tmp_path / 'out'} cannot be written" in one_line_error(capsys)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"hills\n\xff\xfe plains\n", "is not UTF-8 text (byte 6, line 2)"),
     (b"# only a comment\n", "holds no prompt"),
     (b"hills\n" * 200_000, "accepted: at most 1,048,576")],
)
def test_prompts_files_that_cannot_be_read_are_one_line(tmp_path, capsys, no_model, content, message):
    (tmp_path / "prompts.txt").write_bytes(content)
    assert main(["generate", "--prompts-file", str(tmp_path / "prompts.txt"), "--out", str(tmp_path / "out")]) == 2
    assert message in one_line_error(capsys)


def test_the_export_memory_is_checked_before_sampling(reference_dir, tmp_path, capsys, monkeypatch):
    from mesa.pipeline import TerrainPipeline

    def refuse(*args, **kwargs):
        raise AssertionError("sampled before the export memory was checked")

    monkeypatch.setattr(TerrainPipeline, "__call__", refuse)
    monkeypatch.setenv("MESA_MEMORY_LIMIT_GB", "0.05")
    assert run_generate(reference_dir, tmp_path, "--prompt", "hills", "--seeds", "1", "--formats", "glb") == 2
    error = one_line_error(capsys)
    assert "exporting a 32 x 32 px elevation map to glb" in error and "more than the 51 MB" in error


def test_a_failed_write_keeps_the_previous_seed_folder_whole(reference_dir, tmp_path, capsys, monkeypatch):
    import errno

    import mesa.cli.generate as generate

    assert run_generate(reference_dir, tmp_path, "--prompt", "hills", "--seeds", "3", "--formats", "r16") == 0
    folder = tmp_path / "out" / "hills-seed3"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def full(array, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(generate, "_save_npy", full)
    assert run_generate(reference_dir, tmp_path, "--prompt", "hills", "--seeds", "3", "--formats", "exr",
                        "--guidance", "2") == 2
    error = one_line_error(capsys)
    assert "No space left on device (writing elevation.npy)" in error and str(folder) in error
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["hills-seed3"]
    monkeypatch.undo()
    assert run_generate(reference_dir, tmp_path, "--prompt", "hills", "--seeds", "3", "--formats", "exr") == 0
    assert "terrain_height.exr" in {p.name for p in folder.iterdir()} and "terrain_height.r16" not in {
        p.name for p in folder.iterdir()}


def test_no_colour_prior_samples_with_the_unet_alone(reference_dir, tmp_path):
    import shutil

    import torch

    from mesa.models.colour_prior import ColourPrior
    from mesa.pipeline.loading import load_components

    model = shutil.copytree(reference_dir / "pipeline", tmp_path / "model")
    text_config = load_components(model).text_encoder.config
    prior = ColourPrior(text_config, 4, from_timestep=500)
    with torch.no_grad():  # a confident colour far from the UNet's
        prior.head[-1].bias.view(prior.components, -1)[:, 1:5] = 3.0
        prior.head[-1].bias.view(prior.components, -1)[:, 5:] = -6.0
    prior.save(model / "colour_prior")

    def rgb(name, *extra):
        argv = ["generate", "--model", str(model), "--steps", "4", "--height", "32", "--width", "32", "--seeds", "1",
                "--prompt", "a river", "--out", str(tmp_path / name), *extra]
        assert main(argv) == 0
        return np.asarray(Image.open(next((tmp_path / name).iterdir()) / "rgb.png"), np.float32)

    plain, steered = rgb("plain", "--no-colour-prior"), rgb("steered")
    assert np.abs(plain.mean(axis=(0, 1)) - steered.mean(axis=(0, 1))).max() > 5
    shutil.rmtree(model / "colour_prior")
    assert np.array_equal(rgb("without"), plain)  # the flag samples as the model without its prior
