"""`python app.py` as a service manager runs it: SIGTERM (systemd, `docker stop`) removes the app's
temporary folder exactly as Ctrl-C (SIGINT) does (the browser test stops the app the same way)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ui.workspace import PREFIX

REPO_ROOT = Path(__file__).resolve().parents[2]


def start_app(model_dir: Path, temp_dir: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    """The app on a free port with its temporary files under `temp_dir`; returns (process, url)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "TMPDIR": str(temp_dir), "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("GRADIO_TEMP_DIR", None)
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "app.py", "--model", str(model_dir), "--port", str(port),
                                    "--threads", "1"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"app.py exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    pytest.fail(f"app.py did not answer at {url}:\n{log_path.read_text()[-3000:]}")


def test_sigterm_removes_the_apps_folder(reference_dir, tmp_path):
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    process, _ = start_app(reference_dir / "pipeline", temp_dir, tmp_path / "app.log")
    try:
        (workspace,) = temp_dir.glob(f"{PREFIX}*")
        assert (workspace / ".lock").is_file() and (workspace / "sessions").is_dir()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, (tmp_path / "app.log").read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
    assert list(temp_dir.glob(f"{PREFIX}*")) == [], (tmp_path / "app.log").read_text()[-3000:]
