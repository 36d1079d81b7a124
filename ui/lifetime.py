"""How long sessions live: every session the app creates is registered here; a sweep closes those
idle longer than a limit (their results leave memory, their files the disk) and, beyond a
maximum number of sessions, the least recently used idle ones first.

Browsers that close their tab are also cleaned up by Gradio's state callback; this sweep is what
reaches clients that never send a heartbeat (scripts, crashed browsers, raw HTTP). The clock is
injectable so the sweep is tested without waiting.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import secrets
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from ui.session import Clock, Session
from ui.workspace import remove_old_files

logger = logging.getLogger(__name__)

DEFAULT_IDLE_LIMIT_S = 3600.0  # an hour without any click, as Gradio keeps a closed tab's state
DEFAULT_MAX_SESSIONS = 100
SWEEP_INTERVAL_BOUNDS_S = (1.0, 60.0)
SHUTDOWN_WAIT_S = 10.0  # how long close_all waits for cancelled runs to reach their next step


class SessionRegistry:
    """The live sessions of one app, under one folder.

    Args:
        root: folder the sessions' files go under.
        idle_limit_s: a session unused this long (seconds, no run in progress) is closed.
        max_sessions: at most this many live sessions; opening one more closes the least
            recently used idle session (none is closed while a run is in progress in it).
        clock: seconds, monotonic (time.monotonic; tests pass a fake).
        cache_dir: a folder whose files expire after `idle_limit_s` too (Gradio's cached copies of
            outputs); their age is read from the files' own (wall-clock) times.

    `on_close`, when set, is called with each session the sweep or the cap closed (the app uses
    it to drop Gradio's own per-session copy of the page).
    """

    def __init__(self, root: Path, idle_limit_s: float = DEFAULT_IDLE_LIMIT_S,
                 max_sessions: int = DEFAULT_MAX_SESSIONS, clock: Clock = time.monotonic,
                 cache_dir: Path | None = None):
        if not idle_limit_s > 0 or max_sessions < 1:
            raise ValueError(f"need idle_limit_s > 0 and max_sessions >= 1, got {idle_limit_s}, {max_sessions}")
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.idle_limit_s = float(idle_limit_s)
        self.max_sessions = int(max_sessions)
        self.clock = clock
        self.cache_dir = cache_dir
        self.on_close: Callable[[Session], None] | None = None
        self._sessions: list[Session] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    @property
    def sweep_interval_s(self) -> float:
        """How often the background sweep runs: a quarter of the idle limit, within 1-60 s."""
        low, high = SWEEP_INTERVAL_BOUNDS_S
        return min(high, max(low, self.idle_limit_s / 4))

    def resume(self, session: Session | None) -> Session:
        """`session` marked as used, or a new registered session if it is None or was closed."""
        if session is not None and not session.closed:
            session.touch()
            return session
        session = Session.create(self.root, self.clock)
        with self._lock:
            self._sessions.append(session)
            overflow = self._least_recently_used_idle(len(self._sessions) - self.max_sessions)
        closed = [s for s in overflow if s.close_if_idle(0.0, "the app had too many sessions open")]
        self._forget(closed)
        return session

    def find(self, token: object) -> Session | None:
        """The live session whose `token` this is (a page's browser storage keeps it across reloads),
        marked as used; None for anything else."""
        if not isinstance(token, str) or not token:
            return None
        with self._lock:
            found = next((s for s in self._sessions if not s.closed and secrets.compare_digest(s.token, token)), None)
        if found is not None:
            found.touch()
        return found

    def page_gone(self, client_id: str | None) -> int:
        """The page `client_id` was closed or reloaded: cancel the run it armed, running or still
        queued (its results so far and the session stay, for the reloaded page); returns how many
        sessions were told. A queued run stops at its first step; before, only a running one was
        stopped, so a run still queued behind another when its page was reloaded ran to its end.
        The next click's `arm_run` clears the flag of a session that is not running."""
        if client_id is None:
            return 0
        with self._lock:
            orphans = [s for s in self._sessions if s.run_client == client_id]
        for session in orphans:
            session.cancel.set()
            logger.info("cancelled the run (running or queued) of a page that has gone")
        return len(orphans)

    def sweep(self) -> int:
        """Close the sessions idle past the limit and expire old cached files; returns how many
        sessions were closed."""
        with self._lock:
            candidates = list(self._sessions)
        minutes = self.idle_limit_s / 60
        closed = [s for s in candidates if s.closed or s.close_if_idle(self.idle_limit_s, f"idle for {minutes:g} min")]
        if closed:
            self._forget(closed)
            release_memory()
            logger.info("closed %d idle session(s); %d open", len(closed), len(self))
        if self.cache_dir is not None:
            remove_old_files(self.cache_dir, self.idle_limit_s)
        return len(closed)

    def close_all(self, reason: str = "the app shut down", wait_s: float = SHUTDOWN_WAIT_S) -> None:
        """Stop the sweep, cancel every run, wait up to `wait_s` for the runs to stop (a torch
        thread still computing while the interpreter exits can abort the process), then delete
        every session's files."""
        self.stop_sweeping()
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.cancel.set()
        deadline = time.monotonic() + wait_s
        while any(session.busy for session in sessions) and time.monotonic() < deadline:
            time.sleep(0.05)
        for session in sessions:
            session.close(reason)

    def start_sweeping(self) -> None:
        """Sweep every `sweep_interval_s` in a daemon thread until `stop_sweeping` or `close_all`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._sweep_until_stopped, name="session-sweep", daemon=True)
        self._thread.start()

    def stop_sweeping(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    def _sweep_until_stopped(self) -> None:
        while not self._stop.wait(self.sweep_interval_s):
            try:
                self.sweep()
            except Exception:  # a failed sweep must not end the sweeping
                logger.exception("session sweep failed")

    def _least_recently_used_idle(self, count: int) -> list[Session]:
        """Up to `count` sessions, least recently used first (call with the lock held)."""
        if count <= 0:
            return []
        return sorted(self._sessions, key=lambda s: s.last_used_s)[:count]

    def _forget(self, closed: list[Session]) -> None:
        gone = {id(s) for s in closed}
        with self._lock:
            self._sessions = [s for s in self._sessions if id(s) not in gone]
        for session in closed:
            if self.on_close is not None:
                self.on_close(session)


def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the OS (glibc keeps them otherwise, so
    the process's RSS would stay at its peak after the sessions are gone)."""
    gc.collect()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # musl and other C libraries have no malloc_trim
            pass
