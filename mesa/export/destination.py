"""Where exports go: output folders checked before any work, and the rule that recognises a
folder MESA may replace.

An export replaces its whole folder in one step (`mesa.atomic.staged_directory`), so the folder
must hold nothing but a previous export: its `terrain.json` lists every file it wrote, and a
folder with anything else in it is refused rather than deleted.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from mesa.errors import UserError
from mesa.validation import user_error_from_os

SIDECAR_NAME = "terrain.json"
# what older MESA Studio versions could leave inside an export folder after a kill
_LEFTOVERS = re.compile(r"^\.export-[A-Za-z0-9_]+$|^\.(?:rgb\.png|elevation\.npy)\.tmp$")
# files that generate wrote beside the export before terrain.json listed them (sidecar version 1)
_UNLISTED_IN_VERSION_1 = ("rgb.png", "elevation.npy")


def check_export_folder(target: str | os.PathLike, what: str = "--out") -> Path:
    """The absolute, symlink-free path of a folder an export will replace, after checking that it
    can be written and holds nothing but a previous MESA export; UserError naming the path if not."""
    target = _real_path(target, what)
    cwd = Path(os.path.realpath(Path.cwd()))
    if target == cwd or target in cwd.parents:
        raise UserError(f"{what} {target} is the current folder or holds it; an export replaces its folder "
                        "as a whole: give a folder below it (e.g. export/)")
    if target.is_dir():
        check_replaceable(target, what)
    elif os.path.lexists(target):
        raise UserError(f"{what} {target} is a file; give a folder (new, empty or a previous export)")
    _check_writable(target.parent, what, target)
    return target


def check_parent_folder(folder: str | os.PathLike, what: str = "--out") -> Path:
    """The absolute path of a folder that will hold export folders (created if missing), after
    checking that it is (or can become) a writable folder; UserError naming the path if not."""
    folder = _real_path(folder, what)
    if os.path.lexists(folder) and not folder.is_dir():
        raise UserError(f"{what} {folder} is a file; give a folder")
    _check_writable(folder, what, folder)
    return folder


def check_replaceable(folder: Path, what: str = "--out") -> None:
    """UserError unless the existing `folder` is empty or holds only a previous MESA export."""
    try:
        names = sorted(path.name for path in folder.iterdir())
    except OSError as error:
        raise user_error_from_os(error, f"cannot list {what}", folder) from None
    if not names:
        return
    listed = previous_export_files(folder)
    foreign = [name for name in names if name not in listed and not _LEFTOVERS.match(name)]
    if listed and not foreign:
        return
    shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
    reason = f"holds {shown}, not listed in its {SIDECAR_NAME}" if listed else f"holds {shown} and no MESA {SIDECAR_NAME}"
    raise UserError(f"{what} {folder} {reason}; an export replaces its folder as a whole, so give a new or "
                    "empty folder (or one that holds only a previous export)")


def previous_export_files(folder: Path) -> set[str]:
    """Names of the files a previous export in `folder` wrote (its terrain.json included), read from
    that terrain.json; empty when there is no readable MESA sidecar."""
    try:
        document = json.loads((folder / SIDECAR_NAME).read_text(encoding="utf-8"))
        listed = {str(entry["path"]) for entry in document["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    if any("/" in name or "\\" in name or name in ("", ".", "..") for name in listed):
        return set()
    if document.get("sidecar_version", 1) == 1 and isinstance(document.get("provenance"), dict):
        listed.update(_UNLISTED_IN_VERSION_1 if document["provenance"].get("prompt") else ())
    return listed | {SIDECAR_NAME}


def _real_path(path: str | os.PathLike, what: str) -> Path:
    """Absolute path with symlinks resolved (an export replaces the real folder, the link keeps working)."""
    if str(path).strip() == "":
        raise UserError(f"{what} is empty; give a folder")
    real = Path(os.path.realpath(os.fspath(path)))
    if real.parent == real:
        raise UserError(f"{what} {real} is a file system root; give a folder below it")
    return real


def _check_writable(folder: Path, what: str, target: Path) -> None:
    """UserError unless a folder can be created in `folder` or, when it is missing, in its nearest
    existing ancestor (which must be a folder, not a file)."""
    existing = folder
    while not os.path.lexists(existing):
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"{what} {target} lies under {existing}, which is a file; give a folder")
    try:
        Path(tempfile.mkdtemp(prefix=".mesa-write-check-", dir=existing)).rmdir()
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UserError(f"{what} {target} cannot be written: creating a folder in {existing} failed ({reason})") from None
