"""End to end in a real browser: Debian's Chromium driven by Playwright against `python app.py`.

Compose a prompt with the dropdowns, generate 3 seeds, wait for the gallery and the 3D view,
download the GLB and check it; stopping the app with SIGTERM leaves no `mesa-studio-*` folder.
Set MESA_UPDATE_SCREENSHOT=1 to refresh docs/screenshot-app.png.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
SCREENSHOT = REPO_ROOT / "docs" / "screenshot-app.png"
EXPECTED_PROMPT = "A Sentinel-2 image of montane forests and mountains in Mexico in August"

pytestmark = pytest.mark.browser


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{CHROMIUM} is missing in CI; .ci/run must install the Debian chromium package")
    pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium); the browser test needs it")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"app.py exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"app.py did not answer at {url} within {timeout_s} s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """`python app.py --model mesa-tiny --port <free port>` as a subprocess: the bundled offline
    model, as a first-time user gets it (MESA_E2E_STEPS sets the steps; 4 keeps the test quick)."""
    _require_chromium()
    port = _free_port()
    log_path = tmp_path_factory.mktemp("app") / "app.log"
    temp_dir = tmp_path_factory.mktemp("app-tmp")  # the app's TMPDIR: what it leaves behind shows up here
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "TMPDIR": str(temp_dir)}
    env.pop("GRADIO_TEMP_DIR", None)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py", "--model", "mesa-tiny", "--port", str(port),
             "--steps", os.environ.get("MESA_E2E_STEPS", "4"), "--threads", "1"],
            cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, process, log_path)
        yield url
    finally:
        process.terminate()  # SIGTERM, as systemd and `docker stop` send it
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    left = [p.name for p in temp_dir.glob("mesa-studio-*")]
    assert process.returncode == 0 and left == [], (f"exit {process.returncode}, left {left}:\n"
                                                    f"{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        yield chromium
        chromium.close()


def _choose(page, elem_id: str, value: str) -> None:
    """Pick `value` in a Gradio dropdown by typing to filter and clicking the option."""
    box = page.locator(f"#{elem_id} input")
    box.click()
    box.press("Control+a")
    box.press_sequentially(value)  # typing filters the options; fill() would not
    page.locator(f"#{elem_id} [role=option][aria-label='{value}']").click()


def test_compose_generate_inspect_download(app_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
    page.goto(app_url)
    page.wait_for_selector("#generate")
    for elem_id, value in (("biome", "montane forests"), ("landform", "mountains"), ("country", "Mexico"),
                           ("month", "August")):
        _choose(page, elem_id, value)
    preview = page.locator("#prompt-preview textarea")
    page.wait_for_function("([el, text]) => el.value === text", arg=[preview.element_handle(), EXPECTED_PROMPT])

    seeds = page.locator("#num-seeds input[type=number]")
    seeds.fill("3")
    seeds.press("Enter")
    page.locator("#seed input").fill("7")
    page.locator("#generate").click()

    gallery_images = page.locator("#gallery img")
    gallery_images.nth(2).wait_for(state="attached", timeout=60_000)
    assert gallery_images.count() == 3
    captions = page.locator("#gallery").inner_text()
    assert all(f"seed {seed}" in captions for seed in (7, 8, 9)), captions
    page.locator("#viewer-3d").scroll_into_view_if_needed()  # the viewer draws once it is on screen
    page.locator("#viewer-3d canvas").wait_for(timeout=60_000)

    glb_link = page.locator("#downloads tr", has_text=".glb").locator("a").first
    glb_link.wait_for(timeout=60_000)
    with page.expect_download() as download_info:
        glb_link.click()
    glb_path = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(glb_path)
    assert glb_path.name.startswith("mesa_001_seed7_") and glb_path.suffix == ".glb"
    _check_glb(glb_path)

    if os.environ.get("MESA_UPDATE_SCREENSHOT"):
        page.wait_for_timeout(2_000)  # let the 3D viewer draw
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    _cancel_a_long_run(page)
    page.close()


def _cancel_a_long_run(page) -> None:
    """An 8-seed, 150-step run stops at the step when Cancel is clicked; the earlier results stay."""
    _set_number(page, "num-seeds", 8)
    page.get_by_text("Advanced", exact=True).click()
    _set_number(page, "steps", 150)
    page.locator("#generate").click()
    page.wait_for_timeout(1_500)
    page.locator("#cancel").click()
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('Cancelled')",
                           timeout=90_000)
    status = page.locator("#status").inner_text()
    assert "of 150" in status and "at step 150" not in status, status
    assert page.locator("#gallery img").count() == 3


def _set_number(page, elem_id: str, value: int) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.locator(f"#{elem_id} input[type=number]") if elem_id != "seed" else page.locator("#seed input")
    for attempt in range(3):  # a page still applying its load event can put the old value back once
        box.fill(str(value))
        box.press("Enter")
        box.blur()  # Gradio commits a number box on blur as well; without it a quick Generate can read the old value
        try:
            page.wait_for_function("([el, v]) => el.value === v", arg=[box.element_handle(), str(value)],
                                   timeout=10_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise


def test_two_users_queue_and_keep_their_own_results(app_url, browser):
    """While A runs a long batch, B's page stays responsive and shows its place in the queue;
    each page only ever shows its own seeds."""
    first, second = (browser.new_page(viewport={"width": 1280, "height": 900}) for _ in range(2))
    for page, seed in ((first, 111), (second, 222)):
        page.goto(app_url)
        page.wait_for_selector("#generate")
        _set_number(page, "seed", seed)
        _set_number(page, "num-seeds", 1)
    _set_number(first, "num-seeds", 8)  # a long run: 8 seeds x 150 steps, cancelled below
    first.get_by_text("Advanced", exact=True).click()
    _set_number(first, "steps", 150)
    first.locator("#generate").click()
    first.wait_for_timeout(1_000)
    second.locator("#generate").click()
    second.wait_for_function("() => /queue/i.test(document.querySelector('#gallery').innerText)", timeout=60_000)
    _choose(second, "landform", "dunes")  # the page still answers while queued
    second.wait_for_function("() => document.querySelector('#prompt-preview textarea').value.includes('dunes')",
                             timeout=60_000)
    first.locator("#cancel").click()
    second.wait_for_function("() => document.querySelector('#status').innerText.startsWith('Done')", timeout=120_000)
    assert "seed 222" in second.locator("#gallery").inner_text()
    assert "seed 111" not in second.locator("#gallery").inner_text()
    assert "seed 222" not in first.locator("#gallery").inner_text()
    first.close()
    second.close()


def _check_glb(path: Path) -> None:
    """A binary glTF with one textured mesh spanning mesa-tiny's 128 px tile (127 * 60 m across)."""
    import trimesh

    assert path.read_bytes()[:4] == b"glTF"
    scene = trimesh.load(path, force="scene")
    meshes = list(scene.geometry.values())
    assert len(meshes) == 1
    mesh = meshes[0]
    assert len(mesh.faces) > 0
    extent_x = mesh.bounds[1][0] - mesh.bounds[0][0]
    assert extent_x == pytest.approx(7620.0, rel=1e-3)
    assert mesh.visual.uv is not None and mesh.visual.material.baseColorTexture is not None


def _start_long_run(page) -> None:
    """8 seeds x 150 steps: long enough to act while it runs (each test cancels it)."""
    _set_number(page, "num-seeds", 8)
    if not page.locator("#steps").is_visible():
        page.get_by_text("Advanced", exact=True).click()
    _set_number(page, "steps", 150)
    page.locator("#generate").click()


def _tiles_loaded(page, gallery: str, count: int) -> None:
    """Every tile of `gallery` is a decoded, non-empty image (a 0-byte file never decodes)."""
    page.wait_for_function(
        """([selector, count]) => { const images = [...document.querySelectorAll(selector + ' img')];
           return images.length === count && images.every(i => i.complete && i.naturalWidth > 0); }""",
        arg=[f"#{gallery}", count], timeout=60_000)


def test_the_same_prompt_and_seeds_again_never_shows_a_blank_tile(app_url, browser):
    """Five runs of the same example and seeds in two tabs (the blank tiles came from one file
    being rewritten while it was served): every tile loads, and every tile is its own file."""
    pages = [browser.new_page(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    for page in pages:
        page.goto(app_url)
        page.wait_for_selector("#generate")
        page.get_by_text("Algeria").first.click()  # the deserts / dunes / Algeria / June example
        _set_number(page, "num-seeds", 2)
    sources = set()
    for run in range(5):
        page = pages[run % 2]
        page.locator("#generate").click()
        page.wait_for_function("() => document.querySelector('#status').innerText.startsWith('Done')"
                               " && !document.querySelector('#generate').disabled", timeout=60_000)
        _tiles_loaded(page, "gallery", 2)
        sources |= set(page.locator("#gallery img").evaluate_all("images => images.map(i => i.src)"))
    assert len(sources) == 10  # 5 runs x 2 seeds, each result its own file
    for page in pages:
        page.close()


def test_generate_is_off_during_a_run_and_says_so(app_url, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(app_url)
    page.wait_for_selector("#generate")
    assert page.locator("#cancel").is_disabled()  # nothing runs: nothing to cancel
    _start_long_run(page)
    page.wait_for_function("() => document.querySelector('#generate').disabled", timeout=30_000)
    status = page.locator("#status").inner_text()
    assert "Generate is off until this run ends" in status and "Done" not in status, status
    page.locator("#generate").click(force=True)  # a second click does nothing while it is off
    assert page.locator("#cancel").is_enabled()
    assert page.locator("#gallery .progress-text, #gallery .progress-bar").count() >= 1  # one bar, on the gallery
    assert page.locator("#status .progress-text, #status .progress-bar").count() == 0
    page.locator("#cancel").click()
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('Cancelled')"
                           " && !document.querySelector('#generate').disabled", timeout=90_000)
    assert page.locator("#cancel").is_disabled()
    page.close()


def test_a_reload_keeps_the_history_and_stops_the_run(app_url, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(app_url)
    page.wait_for_selector("#generate")
    _set_number(page, "seed", 31)
    _set_number(page, "num-seeds", 2)
    page.locator("#generate").click()
    page.wait_for_function("() => document.querySelector('#status').innerText.startsWith('Done')", timeout=60_000)
    _start_long_run(page)
    page.wait_for_function("() => document.querySelector('#generate').disabled", timeout=30_000)
    page.reload()
    page.wait_for_selector("#generate")
    page.wait_for_function("() => document.querySelector('#status')?.innerText.startsWith('Welcome back')",
                           timeout=60_000)
    page.get_by_text("Session history and side-by-side comparison").click()
    _tiles_loaded(page, "history", 2)
    assert "seed 31" in page.locator("#history").inner_text()
    page.wait_for_function("() => !document.querySelector('#generate').disabled", timeout=30_000)
    page.locator("#generate").click()  # the abandoned run was stopped, so this one is not refused
    page.wait_for_function("() => /^(Done|Cancelled)/.test(document.querySelector('#status').innerText)"
                           " && !document.querySelector('#generate').disabled", timeout=120_000)
    assert "already has a run going" not in page.locator("#status").inner_text()
    page.close()


def test_phone_width_download_labels_differ_and_are_not_cut(app_url, browser, tmp_path):
    """At 400 px every download's visible label differs and no label or tile caption is clipped."""
    page = browser.new_page(viewport={"width": 400, "height": 900})
    page.goto(app_url)
    page.wait_for_selector("#generate")
    _set_number(page, "num-seeds", 1)
    page.get_by_text("Algeria").first.click()
    page.locator("#generate").click()
    page.locator("#downloads td.filename").nth(7).wait_for(timeout=90_000)
    page.locator("#downloads").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    labels = page.locator("#downloads td.filename").evaluate_all(
        """cells => cells.map(cell => ({text: cell.innerText,
            clipped: [cell, ...cell.querySelectorAll('*')].some(e => e.scrollWidth > e.clientWidth + 1)}))""")
    assert len({label["text"] for label in labels}) == len(labels) == 8, labels
    assert not any(label["clipped"] for label in labels), labels
    caption_clipped = page.locator("#gallery .caption-label").evaluate_all(
        "captions => captions.map(c => c.scrollWidth > c.clientWidth + 1)")
    assert caption_clipped and not any(caption_clipped)
    page.close()
