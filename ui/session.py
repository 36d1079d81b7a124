"""Per-user state kept in `gr.State`: the result history (capped), the selection, the exports, a
cancel flag and a folder for this session's files, plus the bookkeeping that gives a session a
lifetime (last use, runs in progress, closed or not; see `ui.lifetime`).

Every image the page shows is a file of its own under the session's folder, written once and
never rewritten (`Session.image_file`): Gradio serves such files straight from disk, so a file
can never be rewritten while a browser reads it (which showed as blank tiles)."""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mesa.atomic import atomic_write_with
from mesa.errors import UserError
from mesa.geometry.relief import HeightRange, height_range
from mesa.naming import slug
from mesa.terrain import Terrain

MAX_HISTORY = 48  # results kept per session; the oldest (and its files) go first
MAX_HISTORY_BYTES = 128 * 1024**2  # and at most this much image memory (about 15 results at 768 px)

Clock = Callable[[], float]


class SessionClosed(UserError):
    """The session was closed (idle too long, tab closed, app shutting down) while it was used."""


def short_prompt(prompt: str) -> str:
    """The prompt without the "A Sentinel-2 image (of)" prefix."""
    return re.sub(r"^A Sentinel-2 image( of)?\s*", "", prompt, flags=re.IGNORECASE) or prompt


@dataclass
class Result:
    """One generated terrain in the history.

    Attributes:
        number: 1-based running number within the session (stable while the history grows).
        terrain: the generated terrain (rgb, elevation in metres, seed, settings).
        relief_rgb: (H, W, 3) uint8 shaded-relief image for the gallery and the inspector.
        heights: full min..max, p2..p98 relief and outlier count of the elevation (metres).
    """

    number: int
    terrain: Terrain
    relief_rgb: np.ndarray
    heights: HeightRange

    @property
    def label(self) -> str:
        """Short caption: "#3 · seed 42 · relief 1,234 m" (relief = p98 - p2, see `heights`)."""
        return f"#{self.number} · seed {self.terrain.seed} · relief {self.heights.relief_m:,.0f} m"

    @property
    def history_label(self) -> str:
        """Caption with the prompt: "#3 · seed 42 · deserts and dunes in Algeria in June"."""
        return f"#{self.number} · seed {self.terrain.seed} · {short_prompt(self.terrain.prompt)}"

    @property
    def file_stem(self) -> str:
        """Safe file stem: mesa_<number>_seed<seed>_<prompt words>."""
        return f"mesa_{self.number:03d}_seed{self.terrain.seed}_{slug(short_prompt(self.terrain.prompt), 40, '_', lowercase=False)}"

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays this result keeps in memory."""
        t = self.terrain
        return t.rgb.nbytes + t.dem.nbytes + t.elevation_m.nbytes + self.relief_rgb.nbytes


@dataclass
class Session:
    """Everything that belongs to one browser session.

    `folder` is only created when a file is first written (`result_folder`). `exports` maps
    (result number, export options) to what `ui.downloads` made of them. `last_used_s` is on
    `clock`'s scale (seconds); a session with a run in progress (`use`) is never idle.
    `client_id` is Gradio's session hash for this browser tab or script, when known; `token` is
    the secret a page keeps in its browser storage to find this session again after a reload;
    `running` is True while a generation runs, started by the page `run_client`.
    """

    folder: Path
    history: list[Result] = field(default_factory=list)
    latest: list[int] = field(default_factory=list)  # numbers of the last run's results
    selected: int | None = None  # number of the result in the inspector
    exports: dict[tuple, Any] = field(default_factory=dict)
    cancel: threading.Event = field(default_factory=threading.Event)
    next_number: int = 1
    clock: Clock = time.monotonic
    last_used_s: float = 0.0
    closed_reason: str | None = None
    client_id: str | None = None
    token: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    running: bool = False
    run_client: str | None = None
    _busy: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.last_used_s = self.clock()

    @classmethod
    def create(cls, root: Path | None = None, clock: Clock = time.monotonic) -> "Session":
        """A new session whose files will go under `root` (the system's temporary folder if None)."""
        root = Path(root) if root is not None else Path(tempfile.gettempdir())
        return cls(root / f"session-{secrets.token_hex(6)}", clock=clock)

    @property
    def closed(self) -> bool:
        return self.closed_reason is not None

    @property
    def busy(self) -> bool:
        """True while a run or an export holds the session (`use`)."""
        return self._busy > 0

    def touch(self) -> None:
        """Mark the session as used now (every callback that reads it calls this)."""
        self.last_used_s = self.clock()

    @contextmanager
    def use(self) -> Iterator["Session"]:
        """Hold the session open for a run or an export; SessionClosed if it was already closed."""
        with self._lock:
            if self.closed:
                raise SessionClosed(f"this session was closed ({self.closed_reason}); reload the page")
            self._busy += 1
            self.touch()
        try:
            yield self
        finally:
            with self._lock:
                self._busy -= 1
                self.touch()

    def close_if_idle(self, idle_limit_s: float, reason: str) -> bool:
        """Close the session if nothing runs in it and it was last used `idle_limit_s` or more ago."""
        with self._lock:
            if self.closed or self._busy or self.clock() - self.last_used_s < idle_limit_s:
                return False
            self._close(reason)
            return True

    def close(self, reason: str = "it ended") -> None:
        """Stop its run, drop its results from memory and delete its files."""
        with self._lock:
            self._close(reason)

    def _close(self, reason: str) -> None:
        self.closed_reason = self.closed_reason or reason
        self.cancel.set()
        self.history.clear()
        self.latest.clear()
        self.exports.clear()
        self.selected = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def add(self, terrain: Terrain, relief_rgb: np.ndarray) -> Result:
        """Append a result, dropping the oldest (and its files) beyond MAX_HISTORY results or
        MAX_HISTORY_BYTES of arrays (the newest result is always kept)."""
        result = Result(self.next_number, terrain, relief_rgb, height_range(terrain.elevation_m))
        self.next_number += 1
        self.history.append(result)
        while len(self.history) > 1 and (len(self.history) > MAX_HISTORY or self.history_bytes > MAX_HISTORY_BYTES):
            self._drop(self.history.pop(0))
        return result

    @property
    def history_bytes(self) -> int:
        return sum(result.nbytes for result in self.history)

    def _drop(self, result: Result) -> None:
        for key in [key for key in self.exports if key[0] == result.number]:
            del self.exports[key]
        shutil.rmtree(self.folder / f"result_{result.number:03d}", ignore_errors=True)

    def find(self, number: int | None) -> Result | None:
        """The result with this running number, or None if unknown or dropped."""
        return next((r for r in self.history if r.number == number), None)

    def selected_result(self) -> Result | None:
        """The result in the inspector (marks the session as used)."""
        self.touch()
        return self.find(self.selected)

    def latest_results(self) -> list[Result]:
        return [r for r in (self.find(n) for n in self.latest) if r is not None]

    def result_folder(self, result: Result) -> Path:
        """This result's folder, created on first use; SessionClosed once the session is closed."""
        if self.closed:
            raise SessionClosed(f"this session was closed ({self.closed_reason}); reload the page")
        self.folder.mkdir(exist_ok=True)  # not parents: the app's folder is gone once it shut down
        path = self.folder / f"result_{result.number:03d}"
        path.mkdir(exist_ok=True)
        return path

    def image_file(self, result: Result | None, name: str, image: Callable[[], np.ndarray]) -> Path:
        """The PNG `name` (a file name whose words fix its content) in `result`'s folder, or in the
        session's own folder for None; `image()` (H, W, 3) uint8 is called and written, in one
        atomic step, only when the file does not exist yet: a file is never rewritten."""
        if result is None:
            if self.closed:
                raise SessionClosed(f"this session was closed ({self.closed_reason}); reload the page")
            self.folder.mkdir(exist_ok=True)
            folder = self.folder
        else:
            folder = self.result_folder(result)
        path = folder / f"{slug(name, 120, '_', lowercase=False)}.png"
        if not path.exists():
            atomic_write_with(path, lambda temporary: Image.fromarray(image()).save(temporary, format="PNG"))
        return path
