"""Session lifetimes with a fake clock: idle sessions are closed (results out of memory, files off
the disk), running ones never, the count is capped, and a closed session is replaced on next use."""

import time

import numpy as np
import pytest

from mesa.terrain import GenerationSettings, Terrain
from ui.generate import arm_run, generate
from ui.lifetime import SessionRegistry
from ui.session import MAX_HISTORY, MAX_HISTORY_BYTES, Session, SessionClosed


class FakeClock:
    def __init__(self):
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def terrain(size: int = 8) -> Terrain:
    """A (size, size) terrain: rgb 3 bytes, dem 4, elevation 4 and relief image 3 per pixel."""
    dem = np.linspace(0, 1, size * size, dtype=np.float32).reshape(size, size)
    return Terrain(np.zeros((size, size, 3), np.uint8), dem, 100 * dem, 60.0, 1,
                   GenerationSettings("A Sentinel-2 image of hills"))


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def registry(tmp_path, clock):
    registry = SessionRegistry(tmp_path / "sessions", idle_limit_s=60, max_sessions=3, clock=clock)
    yield registry
    registry.close_all()


def with_a_file(session: Session) -> Session:
    result = session.add(terrain(), np.zeros((8, 8, 3), np.uint8))
    (session.result_folder(result) / "mesa_001.glb").write_bytes(b"glTF" + bytes(1000))
    return session


def test_an_idle_session_is_closed_and_its_files_deleted(registry, clock):
    session = with_a_file(registry.resume(None))
    assert session.folder.is_dir() and len(registry) == 1
    clock.now_s += 59
    assert registry.sweep() == 0 and session.folder.is_dir()
    assert registry.resume(session) is session  # a click: the idle time starts again
    clock.now_s += 59
    assert registry.sweep() == 0
    clock.now_s += 2
    assert registry.sweep() == 1
    assert session.closed and session.closed_reason == "idle for 1 min"
    assert not session.folder.exists() and session.history == [] and session.cancel.is_set()
    assert len(registry) == 0 and list(registry.root.iterdir()) == []


def test_closed_sessions_are_reported_to_the_hook(registry, clock):
    reported = []
    registry.on_close = reported.append
    first, second = registry.resume(None), registry.resume(None)
    clock.now_s += 30
    registry.resume(second)
    clock.now_s += 31
    registry.sweep()
    assert reported == [first]


def test_a_session_with_a_run_in_progress_is_never_closed(registry, clock):
    session = registry.resume(None)
    with session.use():
        clock.now_s += 3600
        assert registry.sweep() == 0 and not session.closed
    clock.now_s += 59  # the idle time counts from the end of the run
    assert registry.sweep() == 0
    clock.now_s += 1
    assert registry.sweep() == 1
    with pytest.raises(SessionClosed, match="idle for 1 min"):
        with session.use():
            pass


def test_a_closed_session_is_replaced_on_its_next_use(registry, clock):
    old = with_a_file(registry.resume(None))
    clock.now_s += 61
    registry.sweep()
    new = registry.resume(old)
    assert new is not old and not new.closed and new.folder != old.folder and len(registry) == 1


def test_generating_after_the_session_closed_says_so_and_keeps_going(registry, clock):
    old = registry.resume(None)
    clock.now_s += 61
    registry.sweep()
    tiles, status, new = generate(None, "hills", 1, 1, 2, 7.5, "ddim", 32, 0, old, sessions=registry)
    assert new is not old and not new.closed
    assert status.startswith("No model is loaded")
    tiles, status, newer = generate(object(), "", 1, 1, 2, 7.5, "ddim", 32, 0, old, sessions=registry)
    assert status.startswith("Your earlier session was closed (idle for 1 min). Not generated: the prompt is empty")


def test_beyond_max_sessions_the_least_recently_used_idle_one_closes(registry, clock):
    sessions = []
    for _ in range(3):
        sessions.append(registry.resume(None))
        clock.now_s += 1
    registry.resume(sessions[0])  # the oldest was used again: the second is now least recent
    with sessions[2].use():
        fourth = registry.resume(None)
    assert len(registry) == 3
    assert sessions[1].closed and sessions[1].closed_reason == "the app had too many sessions open"
    assert not any(s.closed for s in (sessions[0], sessions[2], fourth))


def test_close_all_cancels_runs_and_deletes_everything(registry):
    sessions = [with_a_file(registry.resume(None)) for _ in range(2)]
    registry.close_all()
    assert all(s.closed and s.cancel.is_set() and not s.folder.exists() for s in sessions)
    assert len(registry) == 0


def test_close_all_waits_for_a_cancelled_run_before_deleting_its_files(registry):
    """A run still computing when the interpreter exits can abort the app (exit -6): shutdown
    cancels, waits for the run to reach its next step, then deletes."""
    import threading

    session = with_a_file(registry.resume(None))
    entered, seen = threading.Event(), {}

    def run():
        with session.use():
            entered.set()
            session.cancel.wait()
            time.sleep(0.2)  # the rest of the step
            seen["folder_at_end_of_run"] = session.folder.exists()

    worker = threading.Thread(target=run)
    worker.start()
    entered.wait()
    registry.close_all()
    assert not worker.is_alive() and seen["folder_at_end_of_run"]
    assert session.closed and not session.folder.exists()


def test_sweeping_thread_starts_and_stops(registry):
    registry.start_sweeping()
    registry.stop_sweeping()
    assert registry._thread is None
    assert registry.sweep_interval_s == 15.0  # a quarter of the 60 s limit


def test_history_is_capped_by_count_and_by_bytes(tmp_path, monkeypatch):
    session = Session.create(tmp_path)
    for _ in range(MAX_HISTORY + 3):
        session.add(terrain(), np.zeros((8, 8, 3), np.uint8))
    assert len(session.history) == MAX_HISTORY and session.history[0].number == 4
    assert session.history[0].nbytes == 8 * 8 * (3 + 4 + 4 + 3)
    monkeypatch.setattr("ui.session.MAX_HISTORY_BYTES", 3 * 896 + 100)  # room for three 8 x 8 results
    session.add(terrain(), np.zeros((8, 8, 3), np.uint8))
    assert [r.number for r in session.history] == [MAX_HISTORY + 2, MAX_HISTORY + 3, MAX_HISTORY + 4]
    session.add(terrain(64), np.zeros((64, 64, 3), np.uint8))  # alone above the cap: kept, the rest go
    assert [r.number for r in session.history] == [MAX_HISTORY + 5]
    assert MAX_HISTORY_BYTES >= MAX_HISTORY * 128 * 128 * 14  # mesa-tiny: the count is the limit


def test_dropped_results_lose_their_files_and_exports(tmp_path, monkeypatch):
    monkeypatch.setattr("ui.session.MAX_HISTORY", 2)
    session = Session.create(tmp_path)
    first = session.add(terrain(), np.zeros((8, 8, 3), np.uint8))
    folder = session.result_folder(first)
    session.exports[(first.number, "none", 1.0, 1000)] = "downloads"
    session.add(terrain(), np.zeros((8, 8, 3), np.uint8))
    session.add(terrain(), np.zeros((8, 8, 3), np.uint8))
    assert session.find(first.number) is None and not folder.exists() and session.exports == {}


def test_the_sweep_expires_cached_files_too(tmp_path):
    cache = tmp_path / "gradio"
    (cache / "abc").mkdir(parents=True)
    (cache / "abc" / "tile.png").write_bytes(b"png")
    registry = SessionRegistry(tmp_path / "sessions", idle_limit_s=3600, cache_dir=cache)
    registry.sweep()
    assert (cache / "abc" / "tile.png").is_file()  # younger than the limit
    registry.idle_limit_s = 1e-6
    time.sleep(0.01)
    registry.sweep()
    assert list(cache.iterdir()) == []


def test_registry_limits_are_checked(tmp_path):
    with pytest.raises(ValueError):
        SessionRegistry(tmp_path, idle_limit_s=0)
    with pytest.raises(ValueError):
        SessionRegistry(tmp_path, max_sessions=0)


def test_a_reloaded_page_finds_its_session_by_token(registry, clock):
    session = with_a_file(registry.resume(None))
    assert registry.find(session.token) is session and len(session.token) >= 24
    last = "y" if session.token.endswith("x") else "x"  # a token ending in "x" made this flaky (1 run in 64)
    for wrong in ("", None, 42, session.token[:-1] + last):
        assert registry.find(wrong) is None
    clock.now_s += 61
    registry.sweep()
    assert registry.find(session.token) is None  # closed sessions cannot be found again


def test_a_page_that_has_gone_stops_its_run_only(registry):
    mine, other = registry.resume(None), registry.resume(None)
    for session, page in ((mine, "page-a"), (other, "page-b")):
        session.running, session.run_client = True, page
    assert registry.page_gone("page-a") == 1
    assert mine.cancel.is_set() and not other.cancel.is_set() and not mine.closed
    assert registry.page_gone(None) == 0 and registry.page_gone("page-c") == 0


def test_a_page_that_has_gone_stops_its_queued_run_too(registry):
    # Armed at the click, not yet running (queued behind another run): it must not run to its end
    # for a page that is gone; the reloaded page's next click arms it afresh.
    queued = arm_run(registry.resume(None), registry, client_id="page-a")
    assert not queued.running and not queued.cancel.is_set()
    assert registry.page_gone("page-a") == 1 and queued.cancel.is_set()
    assert not arm_run(queued, registry, client_id="page-b").cancel.is_set()
