"""The errata page collects erratum and comment boxes, each one standing on its own."""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import errata_index as ei


def notebook(tmp_path, stem, *markdown):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": m} for m in markdown]
    (tmp_path / f"{stem}.ipynb").write_text(json.dumps({"cells": cells}), encoding="utf-8")


def box(title, body, fence="```"):
    return f"{fence}{{admonition}} {title}\n:class: warning\n{body}\n{fence}\n"


def test_titles_are_sorted_into_errata_comments_and_others():
    assert ei.kind_of("Erratum (lecture note 000)") == "erratum"
    assert ei.kind_of("Erratum (lecture note 003): the indices of AdaGrad") == "erratum"
    assert ei.kind_of("Notes differ (lecture notes 000 and 001)") == "comment"
    assert ei.kind_of("The notes differ in small ways (all consistent)") == "comment"
    assert ei.kind_of("Terminology (lecture note 000)") == "comment"
    assert ei.kind_of("A note on the note") == "comment"
    assert ei.kind_of("What you'll learn") is None
    assert ei.notes_named("Notes differ (lecture notes 000, 001 and 004)") == ["000", "001", "004"]
    assert ei.notes_named("Erratum (lecture note 003)") == ["003"]


def test_collects_boxes_of_chapters_in_the_toc_only(tmp_path):
    notebook(tmp_path, "01_a", "# Chapter A\n\ntext\n\n" + box("Erratum (lecture note 000)", "The note gives 1; it is 2.")
             + "\n" + box("What you'll learn", "- things"))
    notebook(tmp_path, "02_b", "# Chapter B\n", box("Notes differ (lecture notes 001 and 003)", "001 says x, 003 says y.",
                                                    fence="````"))
    notebook(tmp_path, "99_draft", "# Draft\n", box("Erratum (lecture note 004)", "not in the book"))
    notebook(tmp_path, "03_c", "# Chapter C\n", box("A note on the note", "The note means x."))
    boxes = ei.collect(tmp_path, toc="notebooks/01_a\nnotebooks/02_b\nnotebooks/03_c\n")
    assert ei.render(boxes).count("| several | 0 | 1 | {doc}`ch. 3 </notebooks/03_c>` |") == 1
    boxes = [b for b in boxes if b["stem"] != "03_c"]
    assert [(b["stem"], b["kind"], b["notes"]) for b in boxes] == [("01_a", "erratum", ["000"]),
                                                                   ("02_b", "comment", ["001", "003"])]
    page = ei.render(boxes)
    assert "## Errata: slips in the notes, corrected" in page and "### Chapter A" in page
    assert "## Where the notes differ, or need a comment" in page and "### Chapter B" in page
    assert "The note gives 1; it is 2." in page and "not in the book" not in page
    assert "| 000 | 1 | 0 | {doc}`ch. 1 </notebooks/01_a>` |" in page
    assert "| 003 | 0 | 1 | {doc}`ch. 2 </notebooks/02_b>` |" in page
    assert page.index("Chapter A") < page.index("Chapter B")


def test_a_box_that_points_at_its_chapter_is_flagged():
    ok = {"body": "The note gives -0.01; the product -0.71 x 0.229 x 0.615 is -0.100."}
    bad = {"body": "Averaging gives 7.5 instead of the correct 15 above; see the code below."}
    assert ei.dangling_pointers(ok) == []
    assert ei.dangling_pointers(bad) == ["above", "below"]


def test_the_books_own_boxes_read_on_their_own():
    """Every box the real errata page collects names what it means (no 'above'/'below'), and the
    build enforces it (errata_strict_pointers in _config.yml)."""
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    boxes = ei.collect(ROOT / "notebooks", toc)
    assert len({b["stem"] for b in boxes}) >= 8, "the chapters' erratum boxes are collected"
    assert {b["stem"]: ei.dangling_pointers(b) for b in boxes if ei.dangling_pointers(b)} == {}
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+errata_strict_pointers: true\b", config, re.M)
