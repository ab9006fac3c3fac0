"""Collect the chapters' boxes about the lecture notes into one page (book/errata.md includes the result).

Chapters comment on a lecture note where the comment applies, in an admonition. Two kinds are collected:

- **errata**: the title starts with "Erratum", e.g. ``{admonition} Erratum (lecture note 004)``: the note
  has a slip, and the box gives the correct value;
- **comments**: the notes differ from each other or use a term in an unusual way, and the box says which
  reading the book follows. Their titles start with one of ``COMMENT_TITLES`` (e.g. "Notes differ
  (lecture notes 000 and 001)", "Terminology (lecture note 000)", "A note on the note").

At the start of each build this extension copies those boxes, with a link to their chapter, into
_build/errata_generated.md, so the page never drifts from the chapters. On that page a box stands
without the chapter around it, so it must read on its own: a box that points at its surroundings
("above", "below", "the next cell") is reported, as a build warning (an error under ``-W``) when the
Sphinx option ``errata_strict_pointers`` is on.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

BOX = re.compile(r"^(?P<fence>`{3,}|:{3,})\{admonition\}[ \t]*(?P<title>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                 re.MULTILINE | re.DOTALL)
TITLE = re.compile(r"^#\s+(.+)$", re.MULTILINE)
ERRATUM = re.compile(r"^Erratum\b", re.IGNORECASE)
COMMENT_TITLES = re.compile(r"^(notes? differ|the notes differ|terminology|a note on the note|"
                            r"notes? on (the )?lecture note)", re.IGNORECASE)
# words that point at the chapter around the box, and mean nothing on the errata page
POINTERS = re.compile(r"\b(above|below|the (next|previous|following) (cell|code|figure|section))\b", re.IGNORECASE)
NOTE_NUMBER = re.compile(r"\bnotes? (\d{3})((?:,? (?:and )?\d{3})*)", re.IGNORECASE)


def kind_of(title: str) -> str | None:
    """"erratum", "comment" or None (a box the errata page does not collect)."""
    title = title.strip()
    if ERRATUM.match(title):
        return "erratum"
    if COMMENT_TITLES.match(title):
        return "comment"
    return None


def notes_named(title: str) -> list[str]:
    """The lecture-note numbers a title names: "Notes differ (lecture notes 000 and 003)" -> ["000", "003"]."""
    found = []
    for m in NOTE_NUMBER.finditer(title):
        found += [m.group(1)] + re.findall(r"\d{3}", m.group(2))
    return sorted(set(found))


def collect(notebooks_dir: Path, toc: str) -> list[dict]:
    """Every collected box of the chapters in the table of contents, in reading order."""
    found = []
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        if f"notebooks/{path.stem}" not in toc:  # only chapters that are in the book
            continue
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        title = TITLE.search(text)
        chapter = title.group(1).strip() if title else path.stem
        for m in BOX.finditer(text):
            kind = kind_of(m.group("title"))
            if kind:
                found.append({"stem": path.stem, "chapter": chapter, "kind": kind, "box": m.group(0),
                              "title": m.group("title").strip(), "body": m.group("body"),
                              "notes": notes_named(m.group("title"))})
    return found


def dangling_pointers(box: dict) -> list[str]:
    """The words of a box that point at its chapter ("above", "below", ...)."""
    return sorted({m.group(0).lower() for m in POINTERS.finditer(box["body"])})


def _short(stem: str) -> str:
    """A chapter's short name for the table: "ch. 3" for 03_computational_graphs."""
    head = stem.split("_", 1)[0]
    return f"ch. {int(head)}" if head.isdigit() else stem


def render(boxes: list[dict]) -> str:
    """The Markdown of the errata page's generated part."""
    if not boxes:
        return "No errata so far.\n"
    lines = []
    notes = sorted({n for b in boxes for n in b["notes"]})
    rows = [(n, [b for b in boxes if n in b["notes"]]) for n in notes]
    unnamed = [b for b in boxes if not b["notes"]]
    if unnamed:
        rows.append(("several", unnamed))
    if rows:
        lines += ["| lecture note | errata | comments | in chapters |", "|---|---:|---:|---|"]
        for n, mine in rows:
            stems = list(dict.fromkeys(b["stem"] for b in mine))
            links = ", ".join(f"{{doc}}`{_short(s)} </notebooks/{s}>`" for s in stems)
            lines.append(f"| {n} | {sum(b['kind'] == 'erratum' for b in mine)} | "
                         f"{sum(b['kind'] == 'comment' for b in mine)} | {links} |")
        lines.append("")
    sections = [("erratum", "Errata: slips in the notes, corrected",
                 "Each box gives the note's value or formula, the correct one, and why."),
                ("comment", "Where the notes differ, or need a comment",
                 ("Not slips: places where two notes disagree, or a term or formula is used loosely, "
                  "and which reading the book follows."))]
    for kind, heading, intro in sections:
        mine = [b for b in boxes if b["kind"] == kind]
        if not mine:
            continue
        lines += [f"## {heading}", "", intro, ""]
        for stem in dict.fromkeys(b["stem"] for b in mine):
            chapter = next(b["chapter"] for b in mine if b["stem"] == stem)
            lines += [f"### {chapter}", "", f"In {{doc}}`/notebooks/{stem}`:", ""]
            lines += [b["box"] + "\n" for b in mine if b["stem"] == stem]
    return "\n".join(lines) + "\n"


def _write_errata(app):
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    root = Path(app.confdir)
    toc = (root / "_toc.yml").read_text(encoding="utf-8")
    boxes = collect(root / "notebooks", toc)
    for b in boxes:
        words = dangling_pointers(b)
        if words:
            message = (f"notebooks/{b['stem']}: the box '{b['title']}' says {', '.join(map(repr, words))}; "
                       "on the errata page it stands alone, so name what it means instead "
                       "(an equation label, the value itself)")
            if app.config.errata_strict_pointers:
                logger.warning(message, type="errata", subtype="pointer")
            else:
                logger.info(message)
    target = root / "_build" / "errata_generated.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = render(boxes)
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")


def setup(app):
    # True (as _config.yml sets it): a box that points at its chapter fails a -W build.
    app.add_config_value("errata_strict_pointers", False, "env")
    app.connect("builder-inited", _write_errata)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
