"""Export folders appear whole or not at all, killed runs leave nothing behind after the next run,
and a folder that holds anything but a previous export is refused, never deleted."""

import errno
import json
import os
import subprocess

import pytest

import mesa.atomic
from mesa.errors import UserError
from mesa.export import export_terrain
from mesa.export.exporter import ExtraFile


class Killed(BaseException):
    """Stands for kill -9: raised at a chosen step; no cleanup runs after it (see `kill_at`)."""


def snapshot(folder):
    """{name: bytes} of a folder, or None when it does not exist."""
    if not folder.exists():
        return None
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def dead_pid():
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def kill_at(monkeypatch, dead_pid, step, exchange_supported):
    """Make the `step`-th folder rename (os.rename, os.replace or the atomic exchange) raise `Killed`,
    as if the process died there: the process id is a dead one and no cleanup (rmtree) runs."""
    calls = {"count": 0}

    def counted(function):
        def wrapper(*args, **kwargs):
            calls["count"] += 1
            if calls["count"] == step:
                raise Killed
            return function(*args, **kwargs)
        return wrapper

    exchange = mesa.atomic._exchange if exchange_supported else (lambda first, second: False)
    monkeypatch.setattr(mesa.atomic, "_exchange", counted(exchange))
    monkeypatch.setattr(os, "rename", counted(os.rename))
    monkeypatch.setattr(os, "replace", counted(os.replace))
    monkeypatch.setattr(mesa.atomic.shutil, "rmtree", lambda *args, **kwargs: None)
    monkeypatch.setattr(os, "getpid", lambda: dead_pid)
    return calls


def old_and_new(tmp_path, elevation_m):
    """The expected contents of the old and the new export (different heights and different files)."""
    export_terrain(elevation_m, 10.0, tmp_path / "expected_old", "glb,r16,exr")
    export_terrain(elevation_m * 2 + 5, 10.0, tmp_path / "expected_new", "r16,exr,tif")
    return snapshot(tmp_path / "expected_old"), snapshot(tmp_path / "expected_new")


@pytest.mark.parametrize("exchange_supported", [True, False], ids=["renameat2", "two-renames"])
@pytest.mark.parametrize("step", [1, 2, 3])
def test_a_kill_between_renames_leaves_old_or_new_never_a_mix(tmp_path, elevation_m, monkeypatch, dead_pid,
                                                              step, exchange_supported):
    old, new = old_and_new(tmp_path, elevation_m)
    work = tmp_path / "work"
    out = work / "out"
    export_terrain(elevation_m, 10.0, out, "glb,r16,exr")
    with monkeypatch.context() as patch:
        calls = kill_at(patch, dead_pid, step, exchange_supported)
        try:
            export_terrain(elevation_m * 2 + 5, 10.0, out, "r16,exr,tif")
        except Killed:
            pass
    seen = snapshot(out)
    if exchange_supported:
        assert seen in (old, new)
    else:  # without renameat2 the folder may be missing for a moment, but is never a mix
        assert seen in (old, new, None)
    assert seen == (new if calls["count"] < step else old) or seen is None
    export_terrain(elevation_m * 2 + 5, 10.0, out, "r16,exr,tif")  # the next run
    assert snapshot(out) == new
    assert sorted(p.name for p in work.iterdir()) == ["out"]


def test_a_kill_after_the_swap_leaves_the_new_set_and_the_next_run_cleans_up(tmp_path, elevation_m, monkeypatch,
                                                                           dead_pid):
    old, new = old_and_new(tmp_path, elevation_m)
    out = tmp_path / "work" / "out"
    export_terrain(elevation_m, 10.0, out, "glb,r16,exr")

    def killed_cleanup(path, *args, **kwargs):
        if os.path.exists(path):  # the swapped-out old folder, right after the exchange
            raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(os, "getpid", lambda: dead_pid)
        patch.setattr(mesa.atomic.shutil, "rmtree", killed_cleanup)
        with pytest.raises(Killed):
            export_terrain(elevation_m * 2 + 5, 10.0, out, "r16,exr,tif")
    assert snapshot(out) == new
    leftovers = [p for p in out.parent.iterdir() if p != out]
    assert len(leftovers) == 1 and snapshot(leftovers[0]) == old  # the swapped-out old set
    export_terrain(elevation_m, 10.0, out, "glb,r16,exr")
    assert snapshot(out) == old and sorted(p.name for p in out.parent.iterdir()) == ["out"]


def test_a_kill_while_writing_leaves_the_old_set_and_a_stale_staging_folder_that_the_next_run_removes(
        tmp_path, elevation_m, monkeypatch, dead_pid):
    from mesa.export import exporter as exporter_module
    from mesa.export.registry import FORMATS, ExportFormat

    out = tmp_path / "work" / "out"
    export_terrain(elevation_m, 10.0, out, "r16")
    old = snapshot(out)

    def killed_writer(grid, stem):
        (stem.parent / "half_written.tif").write_bytes(b"II*\0")
        raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(os, "getpid", lambda: dead_pid)
        patch.setattr(mesa.atomic.shutil, "rmtree", lambda *args, **kwargs: None)
        patch.setattr(exporter_module, "FORMATS", dict(FORMATS, tif=ExportFormat("tif", "heightmap", killed_writer, "")))
        with pytest.raises(Killed):
            export_terrain(elevation_m, 10.0, out, "r16,tif")
    assert snapshot(out) == old
    assert len(list(out.parent.iterdir())) == 2  # the killed run's staging folder
    export_terrain(elevation_m, 10.0, out, "exr")
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]
    assert sorted(snapshot(out)) == ["terrain.json", "terrain_height.exr"]


def test_a_folder_with_other_files_is_refused_and_nothing_is_deleted(tmp_path, elevation_m):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "scans").mkdir()
    with pytest.raises(UserError, match=r"holds notes\.txt, scans and no MESA terrain\.json"):
        export_terrain(elevation_m, 10.0, tmp_path, "r16")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "scans"]


def test_a_previous_export_with_a_file_added_by_the_user_is_refused(tmp_path, elevation_m):
    export_terrain(elevation_m, 10.0, tmp_path / "out", "r16")
    (tmp_path / "out" / "my_edit.psd").write_bytes(b"layers")
    with pytest.raises(UserError, match=r"holds my_edit\.psd, not listed in its terrain\.json"):
        export_terrain(elevation_m, 10.0, tmp_path / "out", "exr")
    assert (tmp_path / "out" / "my_edit.psd").read_bytes() == b"layers"
    assert (tmp_path / "out" / "terrain_height.r16").is_file()


def test_empty_folders_and_leftovers_of_older_versions_are_replaced(tmp_path, elevation_m):
    (tmp_path / "empty").mkdir()
    export_terrain(elevation_m, 10.0, tmp_path / "empty", "r16")
    assert sorted(snapshot(tmp_path / "empty")) == ["terrain.json", "terrain_height.r16"]
    (tmp_path / "empty" / ".export-k2j4h1").mkdir()  # staging folder an older version left after a kill
    (tmp_path / "empty" / ".export-k2j4h1" / "terrain.glb").write_bytes(b"partial")
    export_terrain(elevation_m, 10.0, tmp_path / "empty", "exr")
    assert sorted(snapshot(tmp_path / "empty")) == ["terrain.json", "terrain_height.exr"]


def test_a_version_1_generate_folder_is_recognised(tmp_path, elevation_m):
    """generate used to write rgb.png and elevation.npy beside a terrain.json that did not list them."""
    folder = tmp_path / "hills-seed1"
    folder.mkdir()
    for name in ("rgb.png", "elevation.npy", "terrain_height.png"):
        (folder / name).write_bytes(b"old")
    files = [{"path": "terrain_height.png", "role": "heightmap", "format": "png16"}]
    (folder / "terrain.json").write_text(json.dumps({"files": files, "provenance": {"prompt": "hills", "seed": 1}}))
    export_terrain(elevation_m, 10.0, folder, "r16")
    assert sorted(snapshot(folder)) == ["terrain.json", "terrain_height.r16"]


def test_extra_files_are_written_into_the_same_folder_and_listed(tmp_path, elevation_m):
    extra = ExtraFile("notes.txt", "notes", lambda path: path.write_text("hello"), {"lines": 1}, "txt")
    result = export_terrain(elevation_m, 10.0, tmp_path / "out", "r16", extra_files=[extra])
    entries = {f["path"]: f for f in json.loads(result.sidecar.read_text())["files"]}
    assert entries["notes.txt"] == {"path": "notes.txt", "role": "notes", "format": "txt", "lines": 1}
    assert (tmp_path / "out" / "notes.txt").read_text() == "hello"
    assert [f.role for f in result.files] == ["heightmap", "notes", "sidecar"]
    export_terrain(elevation_m, 10.0, tmp_path / "out", "exr")  # recognised as a previous export
    with pytest.raises(ValueError, match="extra file names"):
        export_terrain(elevation_m, 10.0, tmp_path / "x", "r16", extra_files=[ExtraFile("terrain.json", "x", print)])


@pytest.mark.parametrize("case", ["file", "under_file", "cwd", "parent_of_cwd", "root"])
def test_output_folders_that_cannot_be_an_export_folder_are_refused(tmp_path, elevation_m, monkeypatch, case):
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "here").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    target, message = {
        "file": (tmp_path / "a_file", "is a file"),
        "under_file": (tmp_path / "a_file" / "out", "lies under .*a_file, which is a file"),
        "cwd": (".", "is the current folder or holds it"),
        "parent_of_cwd": (tmp_path, "is the current folder or holds it"),
        "root": ("/", "file system root"),
    }[case]
    with pytest.raises(UserError, match=message):
        export_terrain(elevation_m, 10.0, target, "r16")
    assert (tmp_path / "a_file").read_text() == "x"


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_an_output_folder_that_cannot_be_written_is_one_line_naming_it(tmp_path, elevation_m, monkeypatch, code):
    import mesa.export.destination as destination

    def refuse(prefix, dir):
        raise OSError(code, os.strerror(code), dir)

    monkeypatch.setattr(destination.tempfile, "mkdtemp", refuse)
    with pytest.raises(UserError, match=f"{tmp_path / 'new'} cannot be written: .*{os.strerror(code)}"):
        export_terrain(elevation_m, 10.0, tmp_path / "new", "r16")
    assert not (tmp_path / "new").exists()


def test_a_symlinked_output_folder_is_replaced_through_the_link(tmp_path, elevation_m):
    export_terrain(elevation_m, 10.0, tmp_path / "real", "r16")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    export_terrain(elevation_m, 10.0, tmp_path / "link", "exr")
    assert (tmp_path / "link").is_symlink()
    assert sorted(snapshot(tmp_path / "link")) == ["terrain.json", "terrain_height.exr"]


def test_stale_staging_of_a_dead_process_beside_the_folder_is_removed(tmp_path, elevation_m, dead_pid):
    stale = tmp_path / f".out.staging-{dead_pid}-1a2b3c4d"
    stale.mkdir()
    (stale / "terrain.glb").write_bytes(b"x" * 1000)
    export_terrain(elevation_m, 10.0, tmp_path / "out", "r16")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("stem", ["../escape", "a/b", "", ".hidden"])
def test_the_file_stem_must_be_a_plain_name(tmp_path, elevation_m, stem):
    with pytest.raises(UserError, match="file name stem"):
        export_terrain(elevation_m, 10.0, tmp_path / "out", "r16", name=stem)
    assert list(tmp_path.iterdir()) == []
