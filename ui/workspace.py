"""The app's temporary folder (`mesa-studio-*`): every session's files and Gradio's cached copies
live under it, so removing it at exit (Ctrl-C, SIGTERM or a normal end) removes everything.

A folder left by an app that could not clean up (SIGKILL, the kernel's OOM killer, a power cut)
is removed by the next app that starts: each running app holds an exclusive `flock` on its
folder's `.lock`, which the kernel releases when the process dies, however it dies.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: no flock; abandoned folders are then left to the OS's temp cleaning
    fcntl = None

logger = logging.getLogger(__name__)

PREFIX = "mesa-studio-"
LOCK_NAME = ".lock"


@dataclass
class Workspace:
    """An open app folder: `root`, and the locked handle that marks it as in use."""

    root: Path
    lock: IO | None

    def close(self) -> None:
        """Delete the folder and release its lock (idempotent)."""
        shutil.rmtree(self.root, ignore_errors=True)
        if self.lock is not None:
            self.lock.close()
            self.lock = None


def open_workspace(parent: Path | None = None) -> Workspace:
    """A new locked `mesa-studio-*` folder under `parent` (the system temp folder by default),
    after removing the folders of apps that died without cleaning up."""
    parent = Path(parent) if parent is not None else Path(tempfile.gettempdir())
    for folder in remove_abandoned(parent):
        logger.info("removed %s, left behind by an app that did not shut down cleanly", folder)
    root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
    if fcntl is None:
        return Workspace(root, None)
    # Lock first, then give the lock file its visible name: a folder with a `.lock` is always locked.
    pending = root / f"{LOCK_NAME}.pending"
    handle = pending.open("w")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.replace(pending, root / LOCK_NAME)
    return Workspace(root, handle)


def remove_abandoned(parent: Path) -> list[Path]:
    """Remove the `mesa-studio-*` folders under `parent` whose `.lock` no process holds.

    Folders without a `.lock` (older versions, other tools) and folders this user cannot open
    are left alone."""
    if fcntl is None:
        return []
    removed = []
    for folder in sorted(Path(parent).glob(f"{PREFIX}*")):
        try:
            handle = (folder / LOCK_NAME).open("r")
        except OSError:
            continue
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # its app is running
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def remove_old_files(folder: Path, age_s: float, now_s: float | None = None) -> int:
    """Delete the files under `folder` that were last written or copied more than `age_s` seconds
    before `now_s` (wall clock, default now), then the folders left empty; returns how many files.

    Used for Gradio's cached copies of outputs: Gradio's own `delete_cache` task can stop for good
    under concurrent load (it iterates sets that request threads are adding to), so the app's
    session sweep expires them as well."""
    now_s = time.time() if now_s is None else now_s
    removed = 0
    for path in sorted(Path(folder).rglob("*"), reverse=True):  # children before their folders
        try:
            info = path.lstat()
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    path.rmdir()
            elif now_s - max(info.st_mtime, info.st_ctime) > age_s:
                path.unlink()
                removed += 1
        except OSError:  # removed meanwhile, or not ours to remove
            continue
    return removed
