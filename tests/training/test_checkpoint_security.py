"""`--resume` never runs code from a checkpoint: a pickle whose `__reduce__` creates a marker file is
planted in every file resume reads (and under every name Accelerate's pickle-based checkpoints
use); nothing runs, and each case ends in a clean resume or one clear error line."""

from __future__ import annotations

import io
import json
import pathlib
import pickle
import shutil

import pytest
import torch
from accelerate.state import AcceleratorState
from safetensors.torch import save_file

from mesa.cli import main
from mesa.errors import UserError
from mesa.training.config import TrainConfig
from mesa.training.metrics import read_metrics
from mesa.training.train import train
from tests.training.conftest import RESOLUTION, TINY_UNET, ListSource

CHECKPOINT = pathlib.Path("checkpoints") / "step_00000002"
# Every file a resume of this run reads (EMA on), relative to the run folder.
READ_BY_RESUME = [CHECKPOINT / name for name in ("trainer_state.json", "weights.safetensors", "optimizer.safetensors",
                                                  "ema.safetensors", "process_0.json", "random_0.safetensors")]
READ_BY_RESUME.append(pathlib.Path("metrics.jsonl"))
# What Accelerate's save_state writes (pickled or torch.save'd), plus a garbage model.safetensors.
ACCELERATE_FILES = ["custom_checkpoint_0.pkl", "random_states_0.pkl", "optimizer.bin", "scheduler.bin", "scaler.pt",
                    "sampler.bin", "pytorch_model.bin", "pytorch_model_fsdp_0.bin", "optimizer_0.bin"]


class Planted:
    """Unpickling this creates `marker` (what a real attack would replace with os.system)."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def payloads(marker: pathlib.Path) -> dict[str, bytes]:
    buffer = io.BytesIO()
    torch.save(Planted(marker), buffer)
    return {"pickle": pickle.dumps(Planted(marker)), "torch.save": buffer.getvalue()}


def config_for(folder: pathlib.Path, reference_dir: pathlib.Path, **options) -> TrainConfig:
    unet_config = folder.parent / "tiny_unet.json"
    unet_config.write_text(json.dumps(TINY_UNET))
    values = dict(init_from_config=str(unet_config), components_from=str(reference_dir / "pipeline"),
                  data="synthetic", resolution=RESOLUTION, batch_size=2, max_steps=4, checkpoint_every=2,
                  log_every=1, validation_every=0, learning_rate=1e-3, seed=3, use_ema=True, ema_decay=0.5,
                  output_dir=str(folder))
    return TrainConfig(**{**values, **options})


def reset_accelerate() -> None:
    AcceleratorState._reset_state(reset_partial_state=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, reference_dir) -> dict[str, pathlib.Path]:
    """An uninterrupted 4-step run and one stopped after step 2 (its checkpoint is the target)."""
    root = tmp_path_factory.mktemp("security")
    train(config_for(root / "straight", reference_dir), dataset=ListSource())
    reset_accelerate()
    train(config_for(root / "stopped", reference_dir, stop_after=2), dataset=ListSource())
    reset_accelerate()
    return {"straight": root / "straight", "stopped": root / "stopped"}


def copy_stopped(runs, tmp_path) -> pathlib.Path:
    folder = tmp_path / "run"
    shutil.copytree(runs["stopped"], folder)
    return folder


def test_the_planted_payloads_do_run_code_when_unpickled(tmp_path):
    """Guard for the tests below: these payloads are live (pickle and torch.load without weights_only)."""
    marker = tmp_path / "ran"
    for kind, data in payloads(marker).items():
        if kind == "pickle":
            pickle.loads(data)  # the point of this test
        else:
            torch.load(io.BytesIO(data), weights_only=False)
        assert marker.exists(), kind
        marker.unlink()


@pytest.mark.parametrize("kind", ["pickle", "torch.save"])
@pytest.mark.parametrize("relative", READ_BY_RESUME, ids=lambda path: path.name)
def test_a_pickle_in_any_file_resume_reads_is_refused_in_one_line(runs, tmp_path, reference_dir, relative, kind):
    folder = copy_stopped(runs, tmp_path)
    marker = tmp_path / "ran"
    (folder / relative).write_bytes(payloads(marker)[kind])
    with pytest.raises(UserError) as error:
        train(config_for(folder, reference_dir, resume="latest"), dataset=ListSource())
    assert not marker.exists()
    assert relative.name in str(error.value) and "\n" not in str(error.value)


def test_pickles_under_accelerates_names_are_ignored_and_the_resume_is_exact(runs, tmp_path, reference_dir):
    folder = copy_stopped(runs, tmp_path)
    marker = tmp_path / "ran"
    data = payloads(marker)
    for index, name in enumerate(ACCELERATE_FILES):
        (folder / CHECKPOINT / name).write_bytes(data["pickle" if index % 2 else "torch.save"])
    (folder / CHECKPOINT / "model.safetensors").write_bytes(b"\x00garbage" * 64)
    (folder / CHECKPOINT / "data_position_0.json").write_text("not json")
    train(config_for(folder, reference_dir, resume="latest"), dataset=ListSource())
    assert not marker.exists()
    assert [line["loss"] for line in read_metrics(folder)] == [line["loss"] for line in read_metrics(runs["straight"])]
    unet = pathlib.Path("model") / "unet" / "diffusion_pytorch_model.safetensors"
    assert (folder / unet).read_bytes() == (runs["straight"] / unet).read_bytes()


@pytest.mark.parametrize("relative, damage", [
    ("weights.safetensors", lambda path: path.write_bytes(path.read_bytes()[:100])),
    ("weights.safetensors", lambda path: save_file({"unet.conv_in.weight": torch.zeros(1)}, path)),
    ("random_0.safetensors", lambda path: save_file({"torch": torch.zeros(3)}, path)),
    ("trainer_state.json", lambda path: path.write_text(path.read_text().replace('"step": 2', '"step": "two"'))),
    ("trainer_state.json", lambda path: path.write_text("{" * 100_000)),
    ("process_0.json", lambda path: path.write_text('{"data_position": {"lane_next": [-1], "batches": 0}}')),
    ("process_0.json", lambda path: path.write_bytes(b"\xff\xfe")),
    ("optimizer.safetensors", lambda path: path.unlink()),
])
def test_damaged_files_are_refused_in_one_line(runs, tmp_path, reference_dir, relative, damage):
    folder = copy_stopped(runs, tmp_path)
    damage(folder / CHECKPOINT / relative)
    with pytest.raises(UserError) as error:
        train(config_for(folder, reference_dir, resume="latest"), dataset=ListSource())
    assert relative in str(error.value) and "\n" not in str(error.value)


def test_the_command_line_prints_one_error_line(runs, tmp_path, reference_dir, capsys):
    folder = copy_stopped(runs, tmp_path)
    marker = tmp_path / "ran"
    (folder / CHECKPOINT / "ema.safetensors").write_bytes(payloads(marker)["pickle"])
    settings = tmp_path / "train.json"
    config = config_for(folder, reference_dir)
    settings.write_text(json.dumps({key: getattr(config, key) for key in (
        "init_from_config", "components_from", "data", "resolution", "batch_size", "max_steps", "use_ema",
        "ema_decay", "seed", "output_dir", "validation_every")}))
    assert main(["train", "--config", str(settings), "--resume"]) == 2
    err = capsys.readouterr().err  # besides the loaders' progress bars: one error line, no traceback
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "ema.safetensors" in errors[0] and "Traceback" not in err
    assert not marker.exists()
