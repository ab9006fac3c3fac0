"""Build the student edition: the chapter notebooks with exercise solutions removed.

    python tools/student_edition.py [OUT_DIR]      # default: student/

One source of truth: the student notebooks are generated from `notebooks/`, never edited by hand. Each
student notebook keeps every cell and exercise, loses the `{solution}` blocks and all outputs (students
run the cells themselves), and is written with a zip of all of them, `OUT_DIR/student-edition.zip`.
The book build calls `build()` so that the hosted book offers the zip for download.
"""
from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
# A MyST {solution} directive fenced with 3+ backticks or colons, up to its matching closing fence.
SOLUTION = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?", re.M | re.S)
NOTE = "*Solutions are not part of the student edition.*"


def strip_solutions(text: str) -> tuple[str, int]:
    out, n = SOLUTION.subn("", text)
    return re.sub(r"\n{3,}", "\n\n", out), n


def student_notebook(path: Path) -> tuple[nbformat.NotebookNode, int]:
    nb = nbformat.read(path, as_version=4)
    removed = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source, n = strip_solutions(cell.source)
            if n and "## Exercises" in cell.source:
                cell.source = cell.source.replace("## Exercises", f"## Exercises\n\n{NOTE}", 1)
            removed += n
        elif cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return nb, removed


def build(out_dir: Path, notebooks_dir: Path = ROOT / "notebooks") -> list[Path]:
    """Write the student notebooks of the chapters listed in _toc.yml, and their zip, to out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.ipynb"):  # a chapter removed from the book leaves no stale copy
        old.unlink()
    toc = (notebooks_dir.parent / "_toc.yml").read_text(encoding="utf-8")
    written = []
    for path in sorted(notebooks_dir.glob("*.ipynb")):
        if f"notebooks/{path.stem}" not in toc:
            continue
        nb, _ = student_notebook(path)
        nbformat.validate(nb)
        target = out_dir / path.name
        nbformat.write(nb, target)
        written.append(target)
    with zipfile.ZipFile(out_dir / "student-edition.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for p in written:
            zf.write(p, f"student-edition/{p.name}")
    return written


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "student"
    files = build(out)
    print(f"wrote {len(files)} student notebooks and student-edition.zip to {out}")
