"""Bundle zips: several written files in one download, written atomically."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

from mesa.atomic import atomic_write_with


def zip_files(path: Path, files: Iterable[Path], root: Path | None = None) -> Path:
    """Write `files` into the zip `path` (replaced in one step); names inside are the paths relative
    to `root`, or the bare file names without it. Returns `path`."""
    files = [Path(f) for f in files]
    names = [str(f.relative_to(root)) if root is not None else f.name for f in files]
    if len(set(names)) != len(names):
        raise ValueError(f"two files would share a name in {path.name}")

    def write(temporary: Path) -> None:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file, name in zip(files, names):
                archive.write(file, arcname=name)

    return atomic_write_with(path, write)
