"""The book builds with warnings as errors, and every page works in a real browser with no internet.

Marked `book`: it runs `jupyter-book build` (cached execution, so unchanged notebooks are not re-run)
and then loads each page of `_build/html` in headless Chromium, served on 127.0.0.1.
"""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import unicodedata
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
pytestmark = pytest.mark.book

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def toc_pages() -> list[str]:
    """Pages in the order of _toc.yml, as paths relative to _build/html."""
    entries = re.findall(r"(?:root|file):\s*(\S+)", (ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [f"{e}.html" for e in entries]


@pytest.fixture(scope="module")
def built_book():
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run(
        [str(jb), "build", str(ROOT), "-W", "-n", "--keep-going"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
        env={**os.environ, "NNKIT_WIDGETS": "static"},  # precomputed widget frames (nnkit/widgets.py)
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "build succeeded" in log, "book build failed:\n" + log[-6000:]
    return HTML


@pytest.fixture(scope="module")
def server(built_book):
    handler = functools.partial(QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("Chromium is not installed: `make test` installs the Debian package 'chromium' (make browser-deps)")


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def test_build_succeeds_and_lists_every_toc_page(built_book):
    for page in toc_pages():
        assert (built_book / page).is_file(), f"{page} missing from the built book"
    assert (built_book / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is not served locally"
    assert (built_book / "_static" / "widgets" / "embed-amd.js").is_file(), "widget manager is not served locally"


def test_no_page_shows_a_traceback_or_stderr(built_book):
    """A notebook that raised while the book was built leaves its traceback in the page."""
    sys.path.insert(0, str(ROOT / "tools"))
    import check_html

    found = check_html.problems(built_book)
    assert not found, f"pages show errors: {found[:10]}"


def test_check_html_finds_an_error_output(tmp_path):
    """The scanner itself: a page with myst-nb's error output block is reported, a clean page is not."""
    sys.path.insert(0, str(ROOT / "tools"))
    import check_html

    (tmp_path / "ok.html").write_text('<div class="cell_output"><pre>loss 0.1</pre></div>')
    assert check_html.problems(tmp_path) == []
    (tmp_path / "bad.html").write_text('<div class="output traceback highlight-ipythontb notranslate">'
                                       "<pre>AssertionError</pre></div>")
    assert check_html.problems(tmp_path) == ["bad.html:1: an error output (traceback)"]


def test_pages_reference_no_external_scripts_or_styles(built_book):
    pattern = re.compile(r"<(?:script|link)[^>]+(?:src|href)=\"(https?:)?//(?!127\.0\.0\.1)[^\"]+\"")
    for page in toc_pages():
        html = (built_book / page).read_text(encoding="utf-8")
        external = [m.group(0) for m in pattern.finditer(html) if "rel=\"canonical\"" not in m.group(0)]
        assert not external, f"{page} loads from the internet: {external[:3]}"


@pytest.mark.parametrize("page", toc_pages())
def test_page_in_browser(browser, server, page):
    """No console errors, no request leaving 127.0.0.1, math typeset, images loaded, widgets rendered."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(120000)  # generous: a loaded 2-core machine is slow, not broken
    errors: list[str] = []
    external: list[str] = []
    pg.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    pg.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    pg.goto(f"{server}/{page}", wait_until="load")
    html = (HTML / page).read_text(encoding="utf-8")

    math_nodes = html.count('class="math')
    if math_nodes:
        pg.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=90000)
        pg.evaluate("() => MathJax.startup.promise")
        typeset = pg.locator("mjx-container").count()
        assert typeset >= math_nodes, f"{page}: {typeset} typeset equations for {math_nodes} math nodes"
        assert pg.locator("mjx-merror").count() == 0, f"{page}: MathJax reported a TeX error"

    broken = pg.evaluate(
        "() => [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert not broken, f"{page}: images that did not load: {broken}"
    clipped = pg.evaluate(CLIPPED_CODE)
    assert not clipped, f"{page}: code or output cut off at 1280 px (wider than the column): {clipped[:3]}"

    if "application/vnd.jupyter.widget-view+json" in html:
        check_interactive_figures(pg, page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SCREENSHOTS / (Path(page).stem + ".png")), full_page=True)

    assert not external, f"{page}: requests left 127.0.0.1: {external[:5]}"
    assert not errors, f"{page}: {errors[:5]}"
    ctx.close()


# A code cell or a text output whose longest line is wider than its box, so a scrollbar hides its end.
CLIPPED_CODE = """() => [...document.querySelectorAll('div.cell div.highlight pre, div.cell_output pre')]
    .filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth + 1)
    .map(p => p.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '').slice(0, 100))"""

VISIBLE_FRAME = """b => [...b.querySelectorAll('img')]
    .filter(i => i.offsetParent !== null && i.complete && i.naturalWidth > 0).map(i => i.src).join(' ')"""


def check_interactive_figures(pg, page):
    """Every widget on a page is an nnkit.widgets.interact figure whose slider swaps the frame."""
    pg.wait_for_selector(".widget-slider, .widget-dropdown", timeout=90000)
    figures = pg.locator(".nnkit-static-interact")
    count = figures.count()
    assert count >= 1, f"{page}: widgets render, but none is an nnkit.widgets.interact figure"
    for k in range(count):
        fig = figures.nth(k)
        fig.scroll_into_view_if_needed()
        pg.wait_for_function(f"() => ({VISIBLE_FRAME})(document.querySelectorAll('.nnkit-static-interact')[{k}])")
        before = fig.evaluate(VISIBLE_FRAME)
        handle = fig.locator(".noUi-handle").first
        if handle.count():
            handle.focus()
            now = handle.get_attribute("aria-valuenow")
            handle.press("ArrowLeft" if now == handle.get_attribute("aria-valuemax") else "ArrowRight")
        else:  # a dropdown: choose another option
            select = fig.locator("select").first
            options = select.locator("option").all_inner_texts()
            current = select.input_value()
            select.select_option(index=1 if select.evaluate("s => s.selectedIndex") == 0 else 0)
            assert len(options) > 1 and select.input_value() != current
        pg.wait_for_function(
            f"() => {{ const s = ({VISIBLE_FRAME})(document.querySelectorAll('.nnkit-static-interact')[{k}]);"
            f" return s !== '' && s !== {before!r}; }}",
            timeout=60000,
        )
        after = fig.evaluate(VISIBLE_FRAME)
        assert after and after != before, f"{page}: moving the control of figure {k} did not change the figure"


class _Links(__import__("html.parser").parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("href", "src"):
            if a.get(key) and not (tag == "link" and a.get("rel") in ("canonical",)):
                self.links.append(a[key])


@pytest.fixture(scope="module")
def pdfs(built_book):
    """The printable editions, printed from the built pages into _build/html/pdf (as `make pdf`)."""
    sys.path.insert(0, str(ROOT / "tools"))
    import make_pdf

    # In a process of its own: Playwright's sync API refuses to start while this module's browser
    # fixture (another sync Playwright) is open in the same thread.
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "make_pdf.py"), str(built_book)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr  # fails if code is cut off on paper
    return {edition: built_book / "pdf" / name for edition, name in make_pdf.EDITIONS.items()}


def test_pdf_holds_every_chapter_with_its_figures(built_book, pdfs):
    from pypdf import PdfReader

    titles = [re.search(r"<h1>((?:(?!</h1>).)*?)<a class=\"headerlink", (built_book / page).read_text(encoding="utf-8"), re.S)
              for page in toc_pages()]
    titles = [re.sub(r"<[^>]+>", "", m.group(1)).strip() for m in titles if m]
    assert len(titles) == len(toc_pages())
    figures = sum(len(re.findall(r'<img[^>]+src="[^"]*_images/', (built_book / p).read_text(encoding="utf-8")))
                  for p in toc_pages())
    texts = {}
    for edition, path in pdfs.items():
        reader = PdfReader(path)
        text = "".join("".join(unicodedata.normalize("NFKC", page.extract_text()).split())  # ligatures, spaces
                       for page in reader.pages)
        texts[edition] = text
        # a title's words, without its section number (printed apart) and without spaces
        missing = [t for t in titles if "".join(re.sub(r"^\d+\.\s*", "", t).split()) not in text]
        assert not missing, f"{edition} PDF lacks the chapters {missing}"
        images = sum(len(page.images) for page in reader.pages)
        assert images >= figures, f"{edition} PDF embeds {images} images for {figures} figures in the pages"
        assert [o.title for o in reader.outline][:len(titles)] == titles, "one bookmark per page, in book order"
        assert len(reader.pages) >= 5 * len(titles)
    assert "Solutionto" in texts["instructor"] and "Solutionto" not in texts["student"]


def test_every_page_links_the_pdfs(built_book):
    for page in toc_pages():
        html = (built_book / page).read_text(encoding="utf-8")
        assert "neural-networks-executed.pdf" in html and "neural-networks-executed-student.pdf" in html, page


def test_internal_links_resolve(built_book, pdfs):
    """Every relative href/src in the built site points to a file that exists (and to an existing id)."""
    parsed = {}

    def parse(page: Path) -> _Links:
        if page not in parsed:
            p = _Links()
            p.feed(page.read_text(encoding="utf-8"))
            parsed[page] = p
        return parsed[page]

    broken = []
    for page in sorted(built_book.rglob("*.html")):
        for link in parse(page).links:
            if re.match(r"^(https?:|mailto:|javascript:|data:|blob:|//)", link) or link.startswith("{"):
                continue
            target, _, frag = link.partition("#")
            target = target.split("?")[0]
            path = (page.parent / target).resolve() if target else page
            if path.is_dir():
                path = path / "index.html"
            if not path.exists():
                broken.append(f"{page.relative_to(built_book)} -> {link}")
            elif frag and path.suffix == ".html" and frag not in parse(path).ids:
                broken.append(f"{page.relative_to(built_book)} -> {link} (no id {frag!r})")
    assert not broken, f"{len(broken)} broken internal links: {broken[:10]}"


def test_student_edition_is_published(built_book):
    assert (built_book / "student-edition.zip").stat().st_size > 0
    html = (built_book / "book" / "how_to_use.html").read_text(encoding="utf-8")
    assert 'href="../student-edition.zip"' in html
