"""Generation callbacks as plain functions against the tiny reference pipeline (no server)."""

import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ui.generate import arm_run, cancel_run, generate, random_seed, seeds_for
from ui.session import Session
from mesa.errors import UserError

PROMPT = "A Sentinel-2 image of hills in May"


def run(pipe, session, *, prompt=PROMPT, seed=5, num_seeds=3, steps=2, resolution=32, relief=None, progress=None):
    return generate(pipe, prompt, seed, num_seeds, steps, 7.5, "ddim", resolution, relief, session, progress=progress)


def test_seeds_and_variations():
    assert seeds_for(7, 3) == [7, 8, 9]
    assert 0 <= random_seed() <= 2**32 - 1
    for seed, count in ((-1, 1), (1.5, 1), (None, 1), (1, 0), (1, 9)):
        with pytest.raises(UserError):
            seeds_for(seed, count)


def test_batch_appears_in_gallery_and_history_with_progress(tiny_pipeline, session):
    reports = []
    tiles, status, session = run(tiny_pipeline, session, progress=lambda *a, **k: reports.append(a[0]))
    assert len(tiles) == 3 and [t[1] for t in tiles][0].startswith("#1 · seed 5 · relief ")
    assert tiles[0][1].endswith(" m (p2–p98)")
    with Image.open(tiles[0][0]) as tile:
        assert tile.height >= 256 and tile.mode == "RGB"
    assert len({path for path, _ in tiles}) == 3  # each result its own file
    assert status.startswith("Done: 3 terrain(s)")
    assert [r.terrain.seed for r in session.history] == [5, 6, 7] and session.selected == 1
    assert reports == [(1, 2), (2, 2)]


def test_bad_input_keeps_the_history(tiny_pipeline, session):
    run(tiny_pipeline, session, num_seeds=1)
    for kwargs, message in ((dict(prompt="hills " * 200), "at most"), (dict(resolution=33), "multiple of"),
                            (dict(seed=-4), "seed"), (dict(relief=-10), "relief"), (dict(prompt=""), "empty")):
        tiles, status, session = run(tiny_pipeline, session, num_seeds=1, **kwargs)
        assert status.startswith("Not generated") and message in status, status
        assert len(tiles) == 1 and len(session.history) == 1


def test_cancel_stops_the_run(tiny_pipeline, session):
    session = arm_run(session)
    status, session = cancel_run(session)
    assert "Cancelling" in status
    tiles, status, session = run(tiny_pipeline, session)
    assert status.startswith("Cancelled") and tiles == [] and session.history == []
    assert not arm_run(session).cancel.is_set()


def test_cancel_mid_run(tiny_pipeline, session):
    def progress(step, **_):
        if step[0] == 1:
            session.cancel.set()
    tiles, status, _ = run(tiny_pipeline, session, steps=5, progress=progress)
    assert "step 1 of 5" in status


class BrokenPipeline:
    """A model that accepts the request's sizes and then fails."""

    native_size, size_factor = 32, 16

    def __call__(self, *args, **kwargs):
        raise RuntimeError("CUDA out of memory")


def test_model_error_is_reported_and_app_survives(session):
    tiles, status, session = run(BrokenPipeline(), session)
    assert status.startswith("Error: the model failed: RuntimeError: CUDA out of memory")
    tiles, status, _ = run(None, session)
    assert "No model is loaded" in status


def test_two_sessions_never_share_results(tiny_pipeline, tmp_path):
    first, second = Session.create(tmp_path), Session.create(tmp_path)
    threads = [threading.Thread(target=run, args=(tiny_pipeline, s), kwargs=dict(seed=seed, num_seeds=2))
               for s, seed in ((first, 100), (second, 200))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.terrain.seed for r in first.history] == [100, 101]
    assert [r.terrain.seed for r in second.history] == [200, 201]
    assert first.folder != second.folder


def test_relief_zero_means_from_the_prompt(tiny_pipeline, session):
    run(tiny_pipeline, session, num_seeds=1, steps=1, relief=0)
    run(tiny_pipeline, session, num_seeds=1, steps=1, relief=1234)
    auto, manual = (r.terrain.settings.relief_m for r in session.history)
    assert manual == 1234.0 and auto != 1234.0 and auto > 0


def test_long_prompt_names_the_ignored_words(tiny_pipeline, session):
    prompt = "A Sentinel-2 image of " + " ".join(["a"] * 90) + " and glaciers"
    _, status, _ = run(tiny_pipeline, session, prompt=prompt, num_seeds=1, steps=1)
    assert status.startswith("Done") and "ignored" in status and "glaciers" in status


BAD_VALUES = [
    # (argument, value, words the status must contain)
    ("steps", 2.7, "steps must be a whole number from 1 to 150"),
    ("steps", float("nan"), "steps must be a whole number"),
    ("steps", float("inf"), "steps must be a whole number"),
    ("steps", 0, "steps must be a whole number"),
    ("steps", 151, "steps must be a whole number"),
    ("steps", "4", "steps must be a number"),
    ("guidance", float("nan"), "guidance must be a finite number in [0, 20]"),
    ("guidance", 1e30, "guidance must be a finite number in [0, 20]"),
    ("guidance", -1.0, "guidance must be a finite number in [0, 20]"),
    ("guidance", None, "guidance must be a number"),
    ("seed", float("nan"), "the seed must be a whole number from 0 to 4,294,967,295"),
    ("seed", float("inf"), "the seed must be a whole number"),
    ("seed", 2.5, "the seed must be a whole number"),
    ("seed", 2**32, "the seed must be a whole number"),
    ("num_seeds", 2.7, "variations must be a whole number from 1 to 8"),
    ("num_seeds", float("nan"), "variations must be a whole number"),
    ("num_seeds", 9, "variations must be a whole number"),
    ("resolution", 64, "resolution must be one of 16, 32, 48 px"),
    ("resolution", 24, "resolution must be one of 16, 32, 48 px"),
    ("resolution", float("nan"), "resolution must be one of 16, 32, 48 px"),
    ("resolution", 32.5, "resolution must be one of 16, 32, 48 px"),
    ("relief", 1e308, "relief (0 for the prompt's default) must be a finite number in [1, 20000] m"),
    ("relief", 1e39, "relief (0 for the prompt's default) must be a finite number in [1, 20000]"),
    ("relief", float("nan"), "relief (0 for the prompt's default) must be a"),
    ("relief", float("inf"), "relief (0 for the prompt's default) must be a"),
    ("relief", 0.5, "relief (0 for the prompt's default) must be a finite number in [1"),
    ("sampler", "plms", "unknown sampler 'plms'"),
]


@pytest.mark.parametrize("name, value, message", BAD_VALUES)
def test_every_bad_number_is_one_status_line(tiny_pipeline, generated_once, name, value, message):
    session, first_tiles = generated_once
    history = list(session.history)
    kwargs = dict(prompt=PROMPT, seed=5, num_seeds=1, steps=2, guidance=7.5, sampler="ddim", resolution=32, relief=0)
    kwargs[name] = value
    tiles, status, same = generate(tiny_pipeline, kwargs["prompt"], kwargs["seed"], kwargs["num_seeds"],
                                   kwargs["steps"], kwargs["guidance"], kwargs["sampler"], kwargs["resolution"],
                                   kwargs["relief"], session)
    assert status.startswith("Not generated: ") and message in status and "\n" not in status, status
    assert same is session and session.history == history and not session.closed
    assert [t[1] for t in tiles] == [t[1] for t in first_tiles]


@pytest.fixture(scope="module")
def generated_once(tiny_pipeline, tmp_path_factory):
    session = Session.create(tmp_path_factory.mktemp("bad-values"))
    tiles, status, session = generate(tiny_pipeline, PROMPT, 5, 1, 1, 7.5, "ddim", 32, 0, session)
    assert status.startswith("Done")
    yield session, tiles
    session.close()


def test_whole_floats_and_large_reliefs_within_range_are_accepted(tiny_pipeline, session):
    tiles, status, session = run(tiny_pipeline, session, seed=9.0, num_seeds=1.0, steps=1.0, relief=19_000.0)
    assert status.startswith("Done"), status
    (result,) = session.history
    assert result.terrain.seed == 9 and result.terrain.settings.steps == 1
    assert result.terrain.settings.relief_m == 19_000.0 and np.isfinite(result.terrain.elevation_m).all()


def test_same_prompt_and_seeds_again_get_new_files_and_old_ones_stay(tiny_pipeline, session):
    """Regenerating identical terrains never rewrites a file a browser may be reading (blank tiles)."""
    first, _, _ = run(tiny_pipeline, session, num_seeds=2, steps=1)
    written = {path: (Path(path).stat().st_mtime_ns, Path(path).read_bytes()) for path, _ in first}
    second, _, _ = run(tiny_pipeline, session, num_seeds=2, steps=1)
    assert not {path for path, _ in first} & {path for path, _ in second}
    assert [Path(path).read_bytes() for path, _ in second] == [data for _, data in written.values()]
    assert all(Path(path).stat().st_mtime_ns == stamp for path, (stamp, _) in written.items())
    assert generate_gallery_again(session) == [path for path, _ in second]


def generate_gallery_again(session):
    from ui.generate import gallery_items

    return [path for path, _ in gallery_items(session, session.latest_results())]


def test_a_second_run_in_the_same_session_is_refused_while_one_runs(tiny_pipeline, session):
    statuses = []

    def progress(step, **_):
        if step[0] == 1 and not statuses:
            statuses.append(run(tiny_pipeline, session, num_seeds=1)[1])
    tiles, status, _ = run(tiny_pipeline, session, num_seeds=1, steps=2, progress=progress)
    assert statuses[0].startswith("Not generated: this session already has a run going")
    assert status.startswith("Done") and len(session.history) == 1 and not session.running
