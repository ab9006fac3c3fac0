"""`make lab` works for every chapter: JupyterLab renders its MyST like the book and runs it live.

For each chapter of `_toc.yml`, in one JupyterLab server with the same extensions as `make lab`
(jupyterlab-myst renders the MyST markup), opened as a reader opens a fresh clone (not trusted):

- the rendered markdown shows none of MyST's raw markers (`:class:`, {term}`..`, {eq}`..`, `(label)=`,
  directive fences), so the extension rendered every admonition, role, label and exercise;
- Run All finishes with every code cell executed and no error or stderr output;
- moving the first control of the first interactive figure redraws its image (a real kernel).

Marked `book` with the other browser checks. The chapters are copied to a temporary folder first, so
that JupyterLab's autosave never touches a committed notebook. Screenshots of each chapter (top, and its
exercises) are saved under `_build/lab-screenshots/`.
"""
from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from test_book import CHROMIUM_ARGS, chromium_path, toc_pages

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "_build" / "lab-screenshots"
pytestmark = pytest.mark.book
CHAPTERS = [Path(p).stem + ".ipynb" for p in toc_pages() if p.startswith("notebooks/")]
RAW_MARKERS = [":class:", "{term}`", "{eq}`", "{numref}`", "{doc}`", "{cite}`", "{ref}`", "```{", ":::{",
               "{exercise}", "{solution}", "{admonition}"]
RAW_LABEL = re.compile(r"^\([a-z][a-z0-9]*-[a-z0-9-]*\)=\s*$", re.M)  # our labels all have a hyphen; "(x)=" can be math


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    root = work / "notebooks"
    root.mkdir()
    for name in CHAPTERS:
        shutil.copy(ROOT / "notebooks" / name, root / name)
    # every cell in the DOM (no virtual scrolling), no news pop-up over the page
    settings = work / "settings" / "@jupyterlab"
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    (settings / "apputils-extension").mkdir(parents=True)
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = free_port()
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
           "--ServerApp.disable_check_xsrf=True",  # lets the test shut kernels down over the REST API
           f"--ServerApp.root_dir={root}", f"--LabApp.user_settings_dir={work / 'settings'}", "--allow-root",
           "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def test_markers_are_detected():
    """The marker check itself: raw MyST is caught, rendered text is not."""
    assert RAW_LABEL.search("(ch-04-backprop)=\n# Title") and not RAW_LABEL.search("f(x)= 2\n(θ)=")
    assert any(m in ":class: warning" for m in RAW_MARKERS)


def run_all(page, name):
    for attempt in range(3):  # a Run All sent while the kernel is still connecting can be dropped
        page.click("text=Run", timeout=60000)
        page.click("text=Run All Cells", timeout=60000)
        try:
            page.wait_for_selector(".jp-CodeCell .jp-InputPrompt:has-text('[1]')", state="attached", timeout=120000)
            return
        except Exception:
            if attempt == 2:
                page.screenshot(path=str(SHOTS / f"{name}-failure.png"))
                raise


PROMPTS = "() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim())"


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_renders_and_runs_in_jupyterlab(lab, browser, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1300, "height": 1000})
    page.set_default_timeout(120000)  # generous: a loaded 2-core machine is slow, not broken
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # a workspace of its own, so that no other chapter's tab is open beside it
        page.goto(f"{lab}/lab/workspaces/{Path(name).stem}/tree/{name}?reset", wait_until="load")
        page.wait_for_selector(".jp-Notebook .jp-MarkdownCell :is(.myst, .jp-RenderedMarkdown)", state="attached",
                               timeout=180000)
        page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=240000)
        page.screenshot(path=str(SHOTS / f"{Path(name).stem}-top.png"))

        rendered = "\n".join(page.locator(".jp-Notebook .jp-MarkdownCell :is(.myst, .jp-RenderedMarkdown)").all_inner_texts())
        raw = [m for m in RAW_MARKERS if m in rendered] + RAW_LABEL.findall(rendered)
        assert not raw, f"{name}: JupyterLab shows raw MyST markup: {raw[:5]}"

        run_all(page, name)
        deadline = time.time() + 240
        while True:
            prompts = page.evaluate(PROMPTS)
            if prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
                break
            assert time.time() < deadline, f"{name}: Run All did not finish in 240 s: {prompts}"
            time.sleep(1)
        numbers = [int(p[1:-2]) for p in prompts]
        assert numbers == list(range(1, len(numbers) + 1)), f"{name}: cells ran out of order: {numbers}"
        bad = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert bad.count() == 0, f"{name}: error or stderr output: {bad.first.inner_text()[:500]}"

        exercises = page.locator(".jp-Notebook .jp-MarkdownCell .myst h2:has-text('Exercises')").first
        if exercises.count():
            exercises.scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / f"{Path(name).stem}-exercises.png"))
        check_first_control_redraws(page, name)
    finally:
        page.close()
        shut_down_kernels(lab)
    assert not errors, f"{name}: {errors[:5]}"


def shut_down_kernels(lab):
    sessions = json.load(urllib.request.urlopen(f"{lab}/api/sessions", timeout=10))
    for s in sessions:
        urllib.request.urlopen(urllib.request.Request(f"{lab}/api/sessions/{s['id']}", method="DELETE"), timeout=30)


def check_first_control_redraws(page, name):
    control = page.locator(".jp-OutputArea .widget-slider, .jp-OutputArea .widget-dropdown").first
    if not control.count():
        return  # a chapter without an interactive figure
    output = page.locator(".jp-OutputArea-output:has(.widget-slider), .jp-OutputArea-output:has(.widget-dropdown)").first
    output.scroll_into_view_if_needed()
    image = output.locator("img").first
    image.wait_for(timeout=180000)
    before = image.get_attribute("src")
    handle = control.locator(".noUi-handle").first
    if handle.count():
        handle.focus()
        now, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
        handle.press("ArrowLeft" if now == top else "ArrowRight")
    else:
        select = control.locator("select").first
        select.select_option(index=1 if select.evaluate("s => s.selectedIndex") == 0 else 0)
    page.wait_for_function(
        "([el, src]) => { const i = el.querySelector('img'); return i && i.src !== src; }",
        arg=[output.element_handle(), before], timeout=180000)
    page.screenshot(path=str(SHOTS / f"{Path(name).stem}-widget.png"))
