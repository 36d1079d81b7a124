"""Generation callbacks as plain functions against the tiny reference pipeline (no server)."""

import threading

import pytest

from ui.generate import arm_run, cancel_run, generate, random_seed, seeds_for
from ui.session import Session
from mesa.errors import UserError

PROMPT = "A Sentinel-2 image of hills in May"


def run(pipe, session, *, prompt=PROMPT, seed=5, num_seeds=3, steps=2, resolution=32, relief=None, progress=None):
    return generate(pipe, prompt, seed, num_seeds, steps, 7.5, "ddim", resolution, relief, session, progress=progress)


@pytest.fixture
def session(tmp_path):
    session = Session.create(tmp_path)
    yield session
    session.close()


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
    assert tiles[0][0].shape[0] >= 256 and tiles[0][0].dtype.name == "uint8"
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


def test_model_error_is_reported_and_app_survives(session):
    def broken(*args, **kwargs):
        raise RuntimeError("CUDA out of memory")
    tiles, status, session = run(broken, session)
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
