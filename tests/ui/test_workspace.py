"""The app folder: locked while its app runs, removed at close, and removed by the next app when
its own app was killed without cleaning up."""

import os
import signal
import subprocess
import sys
import time

import pytest

from ui.workspace import LOCK_NAME, PREFIX, open_workspace, remove_abandoned, remove_old_files

fcntl = pytest.importorskip("fcntl")


def test_open_and_close(tmp_path):
    workspace = open_workspace(tmp_path)
    assert workspace.root.parent == tmp_path and workspace.root.name.startswith(PREFIX)
    assert sorted(p.name for p in workspace.root.iterdir()) == [LOCK_NAME]
    assert remove_abandoned(tmp_path) == [] and workspace.root.is_dir()  # held: in use
    workspace.close()
    workspace.close()
    assert list(tmp_path.iterdir()) == []


def test_only_unlocked_app_folders_are_removed(tmp_path):
    abandoned = tmp_path / f"{PREFIX}dead"
    (abandoned / "sessions").mkdir(parents=True)
    (abandoned / LOCK_NAME).touch()
    unmarked = tmp_path / f"{PREFIX}old"  # no lock file: an older app or another tool; left alone
    unmarked.mkdir()
    other = tmp_path / "something-else"
    other.mkdir()
    (other / LOCK_NAME).touch()
    assert remove_abandoned(tmp_path) == [abandoned]
    assert not abandoned.exists() and unmarked.is_dir() and other.is_dir()


def test_a_killed_apps_folder_is_removed_by_the_next_one(tmp_path):
    code = ("import sys, time; from ui.workspace import open_workspace; "
            "w = open_workspace(sys.argv[1]); print(w.root, flush=True); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                             cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        killed_root = child.stdout.readline().strip()
        assert remove_abandoned(tmp_path) == []  # still running
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    workspace = open_workspace(tmp_path)
    assert not os.path.exists(killed_root) and [p.name for p in tmp_path.iterdir()] == [workspace.root.name]
    workspace.close()


def test_old_cached_files_expire_and_empty_folders_go(tmp_path):
    cache = tmp_path / "gradio"
    (cache / "abc123").mkdir(parents=True)
    (cache / "abc123" / "image.png").write_bytes(b"png")
    (cache / "def456").mkdir()
    (cache / "def456" / "mesh.glb").write_bytes(b"glTF")
    now = time.time()
    assert remove_old_files(cache, age_s=60, now_s=now) == 0 and len(list(cache.rglob("*"))) == 4
    assert remove_old_files(cache, age_s=60, now_s=now + 61) == 2
    assert cache.is_dir() and list(cache.iterdir()) == []
