"""Per-user state kept in `gr.State`: the result history, the selection, a cancel flag and a
temporary folder for this session's files (removed when the session ends)."""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mesa.naming import slug
from mesa.terrain import Terrain

MAX_HISTORY = 48  # results kept per session; the oldest (and its files) go first


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
    """

    number: int
    terrain: Terrain
    relief_rgb: np.ndarray

    @property
    def label(self) -> str:
        """Short caption: "#3 · seed 42 · relief 1,234 m"."""
        return f"#{self.number} · seed {self.terrain.seed} · relief {self.terrain.relief_range_m:,.0f} m"

    @property
    def file_stem(self) -> str:
        """Safe file stem: mesa_<number>_seed<seed>_<prompt words>."""
        return f"mesa_{self.number:03d}_seed{self.terrain.seed}_{slug(short_prompt(self.terrain.prompt), 40, '_', lowercase=False)}"


@dataclass
class Session:
    """Everything that belongs to one browser session."""

    folder: Path
    history: list[Result] = field(default_factory=list)
    latest: list[int] = field(default_factory=list)  # numbers of the last run's results
    selected: int | None = None  # number of the result in the inspector
    cancel: threading.Event = field(default_factory=threading.Event)
    next_number: int = 1

    @classmethod
    def create(cls, root: Path | None = None) -> "Session":
        """A new session with its own temporary folder (under `root` when given)."""
        if root is not None:
            Path(root).mkdir(parents=True, exist_ok=True)
        return cls(Path(tempfile.mkdtemp(prefix="session-", dir=root)))

    def add(self, terrain: Terrain, relief_rgb: np.ndarray) -> Result:
        """Append a result, dropping the oldest (and its files) beyond MAX_HISTORY."""
        result = Result(self.next_number, terrain, relief_rgb)
        self.next_number += 1
        self.history.append(result)
        while len(self.history) > MAX_HISTORY:
            dropped = self.history.pop(0)
            shutil.rmtree(self.result_folder(dropped), ignore_errors=True)
        return result

    def find(self, number: int | None) -> Result | None:
        """The result with this running number, or None if unknown or dropped."""
        return next((r for r in self.history if r.number == number), None)

    def latest_results(self) -> list[Result]:
        return [r for r in (self.find(n) for n in self.latest) if r is not None]

    def result_folder(self, result: Result) -> Path:
        return self.folder / f"result_{result.number:03d}"

    def close(self) -> None:
        """Delete this session's files (called when Gradio drops the session, and at exit)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def close_session(session: Session | None) -> None:
    """`gr.State` delete callback."""
    if session is not None:
        session.close()
