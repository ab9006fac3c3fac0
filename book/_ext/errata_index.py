"""Collect every erratum box of the chapters into one page (book/errata.md includes the result).

Chapters state an erratum where it happens, in an admonition whose title starts with "Erratum". At the
start of each build this extension copies those boxes, with a link to their chapter, into
_build/errata_generated.md, so the errata page never drifts from the chapters.
"""
import json
import re
from pathlib import Path

BOX = re.compile(r"^(?P<fence>`{3,}|:{3,})\{admonition\}\s*Erratum.*?^(?P=fence)[ \t]*$", re.M | re.S)
TITLE = re.compile(r"^#\s+(.+)$", re.M)


def collect(notebooks_dir: Path, toc: str) -> list[tuple[str, str, list[str]]]:
    found = []
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        if f"notebooks/{path.stem}" not in toc:  # only chapters that are in the book
            continue
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        boxes = [m.group(0) for m in BOX.finditer(text)]
        if boxes:
            title = TITLE.search(text)
            found.append((path.stem, title.group(1).strip() if title else path.stem, boxes))
    return found


def _write_errata(app):
    root = Path(app.confdir)
    lines = []
    toc = (root / "_toc.yml").read_text(encoding="utf-8")
    for stem, title, boxes in collect(root / "notebooks", toc):
        lines += [f"## {title}", "", f"In {{doc}}`/notebooks/{stem}`:", ""]
        lines += [box + "\n" for box in boxes]
    if not lines:
        lines = ["No errata so far."]
    target = root / "_build" / "errata_generated.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def setup(app):
    app.connect("builder-inited", _write_errata)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
