"""The World tab and the Edit / Finish panels in a real browser: they render, and a 2 x 1 world is
generated and exported (Debian's Chromium driven by Playwright against `python app.py`, started
and stopped as in the main browser test)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

import pytest

from tests.ui.test_app_browser import (
    REPO_ROOT,
    _free_port,
    _require_chromium,
    _wait_until_up,
    browser,  # noqa: F401 (the Chromium fixture)
)

pytestmark = pytest.mark.browser
STARTUP_S = 240  # importing torch and Gradio on a loaded 2-core machine took up to 130 s


@pytest.fixture(scope="module")
def panels_app(tmp_path_factory):
    """`python app.py --model mesa-tiny --steps 4` on a free port with its own TMPDIR; SIGTERM must
    exit 0 and leave no `mesa-studio-*` folder."""
    _require_chromium()
    port = _free_port()
    log_path = tmp_path_factory.mktemp("panels-app") / "app.log"
    temp_dir = tmp_path_factory.mktemp("panels-app-tmp")
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "TMPDIR": str(temp_dir)}
    env.pop("GRADIO_TEMP_DIR", None)
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "app.py", "--model", "mesa-tiny", "--port", str(port), "--steps",
                                    "4", "--threads", "1"], cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, process, log_path, timeout_s=STARTUP_S)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    left = [p.name for p in temp_dir.glob("mesa-studio-*")]
    assert process.returncode == 0 and left == [], f"exit {process.returncode}, left {left}"


def test_panels_render_and_a_world_is_generated(panels_app, browser, tmp_path):  # noqa: F811
    page = browser.new_page(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
    page.goto(panels_app)
    page.wait_for_selector("#generate")
    for accordion, inside in (("Edit: texture a heightmap", "#edit-sketch"), ("Finish for engines", "#finish-run")):
        page.get_by_text(accordion).click()
        page.locator(inside).wait_for(state="visible", timeout=30_000)

    page.get_by_role("tab", name="World").click()
    page.locator("#world-generate").wait_for(state="visible")
    rows = page.locator("#world-rows input[type=number]")
    rows.fill("1")
    rows.press("Enter")
    page.locator("#world-generate").click()
    page.wait_for_function("() => document.querySelector('#world-status').innerText.startsWith('Done')",
                           timeout=120_000)
    assert "2 x 1 tiles" in page.locator("#world-status").inner_text()
    page.locator("#world-preview img").wait_for(timeout=30_000)
    link = page.locator("#world-downloads tr", has_text=".zip").locator("a").first
    link.wait_for(timeout=120_000)
    with page.expect_download() as download_info:
        link.click()
    bundle = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(bundle)
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
    assert "world.json" in names and sum(name.endswith("_lod.glb") for name in names) == 1
    page.close()
