"""Fail if any page of the built book shows a traceback, an error or stderr output.

    python tools/check_html.py [_build/html]

`make book` runs it after every build, and `tests/test_book.py` runs it on the book the tests build.
A notebook that raises while the book is built leaves its traceback in the page (myst-nb renders
error outputs with the class `output traceback`, stderr with `output stderr`). The build reports
the failure too (`book/_ext/rerun_failed.py` makes it do so on every build, not only the first), but
the page is what a reader sees, so it is checked as well.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKERS = {
    "an error output (traceback)": re.compile(r'class="[^"]*\boutput traceback\b'),
    "stderr output": re.compile(r'class="[^"]*\boutput stderr\b'),
    "a Python traceback": re.compile(r"Traceback \(most recent call last\)"),
}


def problems(html_dir: Path) -> list[str]:
    found = []
    for page in sorted(html_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for what, pattern in MARKERS.items():
            m = pattern.search(text)
            if m:
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{page.relative_to(html_dir)}:{line}: {what}")
    return found


def main(argv: list[str]) -> int:
    html_dir = Path(argv[0]) if argv else ROOT / "_build" / "html"
    if not html_dir.is_dir():
        print(f"{html_dir} does not exist: build the book first (make book)")
        return 2
    found = problems(html_dir)
    for f in found:
        print(f)
    if found:
        print(f"{len(found)} page(s) of {html_dir} show errors: a notebook failed while the book was built")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
