"""All-or-nothing writing: files are staged under a hidden temporary name, then renamed into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def staged_directory(out_dir: Path) -> Iterator[Path]:
    """Yield a hidden staging folder inside `out_dir`; on success move its files into `out_dir`.

    On any exception the staging folder is removed and `out_dir` is left as it was (it is
    created if missing, and removed again if it was created here and stays empty). Renames stay
    on one file system, so each file appears complete or not at all.
    """
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".export-", dir=out_dir))
    try:
        yield staging
        for path in sorted(staging.iterdir()):
            os.replace(path, out_dir / path.name)
    except BaseException:
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
