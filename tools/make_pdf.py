"""Print the built book to PDF: one file for instructors (with solutions) and one for students.

    python tools/make_pdf.py [_build/html]        # what `make pdf` runs, after `make book`

Each page of `_toc.yml` is served on 127.0.0.1, loaded in headless Chromium (the system's, as in the
browser test), typeset by MathJax and its widgets rendered (an interactive figure prints its default
frame), then printed on A4 with the book's print style (`book/_vendor/book.css`: no sidebars, no
buttons). The instructor edition opens every solution dropdown; the student edition leaves the solutions
out. The pages are joined with pypdf, one bookmark per page, into

    <html>/pdf/neural-networks-executed.pdf           instructors: solutions included
    <html>/pdf/neural-networks-executed-student.pdf   students: no solutions

which the footer of every page of the hosted book links. A code line or output wider than the printed
column is an error (it would be cut off on paper).
"""
from __future__ import annotations

import functools
import http.server
import re
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EDITIONS = {"instructor": "neural-networks-executed.pdf", "student": "neural-networks-executed-student.pdf"}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
CLIPPED = """() => [...document.querySelectorAll('div.cell div.highlight pre, div.cell_output pre')]
    .filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth + 1)
    .map(p => p.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '').slice(0, 100))"""
OPEN_SOLUTIONS = """() => document.querySelectorAll('.solution.dropdown').forEach(s => {
    s.classList.remove('toggle-hidden');
    s.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
    const b = s.querySelector('button.toggle-button'); if (b) b.classList.remove('toggle-button-hidden'); })"""
DROP_SOLUTIONS = "() => document.querySelectorAll('.solution').forEach(s => s.remove())"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def toc_pages() -> list[str]:
    entries = re.findall(r"(?:root|file):\s*(\S+)", (ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [f"{e}.html" for e in entries]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    raise SystemExit("make pdf needs Chromium (Debian package 'chromium'; `make browser-deps` installs it)")


def print_page(browser, url: str, edition: str, out: Path) -> tuple[str, list[str]]:
    """Print one page to `out`; return its title and any code lines too wide for the paper."""
    page = browser.new_page(viewport={"width": 1000, "height": 1400})
    page.set_default_timeout(120000)  # generous: a loaded 2-core machine is slow, not broken
    page.goto(url, wait_until="load")
    if page.locator(".math").count():
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=120000)
        page.evaluate("() => MathJax.startup.promise")
    if page.locator(".nnkit-static-interact").count():
        page.wait_for_selector(".nnkit-static-interact img", timeout=120000)
    page.evaluate(OPEN_SOLUTIONS if edition == "instructor" else DROP_SOLUTIONS)
    page.emulate_media(media="print")
    page.wait_for_timeout(300)
    clipped = page.evaluate(CLIPPED)
    title = page.title().split("—")[0].split(" | ")[0].strip()
    page.pdf(path=str(out), format="A4", print_background=True,
             margin={"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
    page.close()
    return title, clipped


def make_pdfs(html: Path, out_dir: Path, editions=tuple(EDITIONS)) -> dict[str, Path]:
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader, PdfWriter

    handler = functools.partial(_Quiet, directory=str(html))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    out_dir.mkdir(parents=True, exist_ok=True)
    written, problems = {}, []
    try:
        with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
            browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS, headless=True)
            for edition in editions:
                writer = PdfWriter()
                for i, page in enumerate(toc_pages()):
                    part = Path(tmp) / f"{edition}-{i:03d}.pdf"
                    title, clipped = print_page(browser, f"{base}/{page}", edition, part)
                    problems += [f"{page}: {line!r}" for line in clipped]
                    writer.append(PdfReader(part), outline_item=title)
                writer.add_metadata({"/Title": "Neural Networks, Executed" +
                                     (" (student edition)" if edition == "student" else "")})
                target = out_dir / EDITIONS[edition]
                with open(target, "wb") as f:
                    writer.write(f)
                written[edition] = target
            browser.close()
    finally:
        httpd.shutdown()
    if problems:
        raise SystemExit("code cut off on the printed page:\n  " + "\n  ".join(problems[:20]))
    return written


def main(argv: list[str]) -> int:
    html = Path(argv[0]) if argv else ROOT / "_build" / "html"
    if not (html / "index.html").exists():
        print(f"{html} holds no built book: run `make book` first")
        return 2
    for edition, path in make_pdfs(html, html / "pdf").items():
        print(f"{edition:10s} {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
