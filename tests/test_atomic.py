"""Write-then-rename helpers: whole files and whole folders, old or new, never a mix."""

import os
import stat

import pytest

from mesa.atomic import atomic_write_bytes, atomic_write_text, remove_stale_staging, staged_directory


def test_atomic_file_gets_the_usual_permissions_and_leaves_no_temporary(tmp_path):
    path = atomic_write_text(tmp_path / "a.json", "{}")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    path = atomic_write_text(tmp_path / "a.txt", "old")

    def fail(temporary):
        temporary.write_text("half")
        raise OSError("disk full")

    from mesa.atomic import atomic_write_with

    with pytest.raises(OSError):
        atomic_write_with(path, fail)
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_staged_folder_replaces_the_old_one_whole_or_not_at_all(tmp_path):
    target = tmp_path / "out"
    with staged_directory(target) as staging:
        (staging / "one.txt").write_text("1")
        (staging / "two.txt").write_text("2")
    with pytest.raises(RuntimeError):
        with staged_directory(target) as staging:
            (staging / "one.txt").write_text("new")
            raise RuntimeError("killed halfway")
    assert {p.name: p.read_text() for p in target.iterdir()} == {"one.txt": "1", "two.txt": "2"}
    with staged_directory(target) as staging:
        (staging / "three.txt").write_text("3")
    assert [p.name for p in target.iterdir()] == ["three.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_staging_left_by_a_dead_process_is_removed_and_a_live_one_kept(tmp_path):
    dead = tmp_path / ".out.staging-999999999-abcd"
    live = tmp_path / f".out.staging-{os.getpid()}-abcd"
    dead.mkdir()
    live.mkdir()
    assert remove_stale_staging(tmp_path) == [dead]
    assert live.exists() and not dead.exists()
