"""`make lab` works: JupyterLab runs a chapter and its slider redraws the figure live (a real kernel).

Marked `book` with the other browser checks. The chapter is copied to a temporary folder first, so that
JupyterLab's autosave can never touch the committed notebook.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from test_book import CHROMIUM_ARGS, chromium_path

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.book
NOTEBOOK = "00_how_to_use.ipynb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, work / NOTEBOOK)
    port = free_port()
    cmd = [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser", f"--port={port}",
           "--ServerApp.ip=127.0.0.1", "--ServerApp.token=", "--ServerApp.password=",
           f"--ServerApp.root_dir={work}", "--allow-root", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
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


def test_widget_redraws_live_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{lab}/lab/tree/{NOTEBOOK}", wait_until="load")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
        page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=90000)
        for attempt in range(3):  # a Run All sent while the kernel is still connecting can be dropped
            page.click("text=Run", timeout=10000)
            page.click("text=Run All Cells", timeout=10000)
            try:
                page.wait_for_selector(".jp-InputPrompt:has-text('[1]')", timeout=30000)
                break
            except Exception:
                if attempt == 2:
                    page.screenshot(path=str(ROOT / "_build" / "lab-failure.png"))
                    raise
        slider = page.locator(".jp-OutputArea .widget-slider").first
        try:
            slider.wait_for(timeout=120000)
        except Exception:
            page.screenshot(path=str(ROOT / "_build" / "lab-failure.png"))
            raise
        output = page.locator(".jp-OutputArea-output:has(.widget-slider)").first
        output.scroll_into_view_if_needed()
        image = output.locator("img").first
        image.wait_for(timeout=60000)
        before = image.get_attribute("src")
        handle = slider.locator(".noUi-handle").first
        handle.focus()
        handle.press("ArrowRight")
        page.wait_for_function(
            "([el, src]) => { const i = el.querySelector('img'); return i && i.src !== src; }",
            arg=[output.element_handle(), before], timeout=60000)
        browser.close()
    assert not errors, errors[:5]
