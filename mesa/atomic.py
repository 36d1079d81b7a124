"""Write-then-rename: files and whole folders that a reader sees complete or not at all.

Every writer in MESA Studio (exports, checkpoints, exported models, the bundled model's recipe)
goes through these helpers, so a kill at any moment leaves either the old content or the new one:

    atomic_write_bytes(path, data)          one file: a hidden temporary beside it, then os.replace
    with staged_directory(folder) as tmp:   a whole folder: fill `tmp`, then it replaces `folder`
        ...                                 in one exchange (Linux renameat2), never a mix

Staging folders are named `.<name>.staging-<pid>-<random>` beside their target; one left by a
killed process is removed by `remove_stale_staging` (called by `staged_directory` itself).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

_STAGING = re.compile(r"^\.(?P<name>.+)\.(?:staging|old)-(?P<pid>\d+)-[A-Za-z0-9_]+$")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def atomic_write_with(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call `write(temporary_path)` on a hidden file beside `path`, then rename it onto `path`."""
    path = Path(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; a written file gets the usual mode
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` so that a reader sees the old file or the whole new one."""
    return atomic_write_with(path, lambda temporary: temporary.write_bytes(data))


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Text version of `atomic_write_bytes`."""
    return atomic_write_bytes(path, text.encode(encoding))


def staging_path(target: str | os.PathLike, tag: str | None = None) -> Path:
    """A fresh hidden name beside `target` for staging it (`tag`: a fixed suffix that several
    processes writing one folder agree on; default: unique to this process)."""
    target = Path(target)
    suffix = tag if tag is not None else secrets.token_hex(4)
    return target.with_name(f".{target.name}.staging-{os.getpid()}-{suffix}")


def replace_directory(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Move the folder `source` to `target`, replacing any folder there in one step.

    On Linux the two folders are exchanged atomically (renameat2 RENAME_EXCHANGE) and the old
    content is deleted afterwards; elsewhere the old folder is renamed away first, so a reader may
    briefly find no folder, but never a mix of old and new files.
    """
    source, target = Path(source), Path(target)
    if not target.exists():
        os.rename(source, target)
        return
    if not target.is_dir() or target.is_symlink():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(target))
    if _exchange(source, target):
        shutil.rmtree(source)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(target, old)
    os.rename(source, target)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_directory(target: str | os.PathLike, tag: str | None = None) -> Iterator[Path]:
    """Yield an empty staging folder beside `target`; when the block succeeds it becomes `target`
    (replacing what was there, in one step). On any exception it is removed and `target` is
    untouched. Stale staging folders of killed processes beside `target` are cleaned up first."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging(target.parent)
    staging = staging_path(target, tag)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        replace_directory(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_stale_staging(folder: str | os.PathLike) -> list[Path]:
    """Delete staging and swap-out folders in `folder` whose process is gone; return them."""
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        match = _STAGING.match(path.name)
        if match and not _process_alive(int(match.group("pid"))):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _umask() -> int:
    """This process's umask, read without changing it (Linux); 0o022 where it cannot be read."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _exchange(first: Path, second: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(second))
