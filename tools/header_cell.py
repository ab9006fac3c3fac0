"""The set-up cell that opens every chapter, written from one template.

    python tools/header_cell.py            # (re)write the header cell of every notebook in notebooks/
    python tools/header_cell.py --check    # exit 1 if a notebook's first code cell is not the header

It makes a chapter run wherever it is opened. In the book's repository (`make lab`, nbval, the book
build) nnkit is installed and the cell does nothing. On Colab, Binder or a bare Jupyter it installs
nnkit from the book's repository first (or from `NNKIT_SOURCE`, a path or pip URL, if that is set:
the tests use it to install from a local clone). The repository URL comes from `_config.yml`
(`repository.url`), the one place it is written; `tools/nbexec.py` calls `ensure()` on every notebook
it executes. The cell is tagged `remove-cell`, so the hosted book does not show it.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TAG = "remove-cell"
MARK = "# Set-up, the same in every chapter"
OLD_MARKS = ("# Set-up: the same cell opens every chapter",)  # earlier wordings, refreshed by ensure()
TEMPLATE = '''{mark} (tools/header_cell.py): where nnkit is
# missing (Colab, Binder, a bare Jupyter), install it from the book's repository.
try:
    import nnkit
except ModuleNotFoundError:
    import importlib, os, subprocess, sys
    url = "git+{url}"
    source = os.environ.get("NNKIT_SOURCE", url)
    pip = [sys.executable, "-m", "pip", "install", "--quiet", source]
    subprocess.run(pip, check=True)
    importlib.invalidate_caches()
    import nnkit'''


def repository_url(config: Path = ROOT / "_config.yml") -> str:
    m = re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", config.read_text(encoding="utf-8"), re.M)
    if not m:
        raise ValueError(f"{config}: no repository.url")
    return m.group(1)


def source(url: str | None = None) -> str:
    return TEMPLATE.format(mark=MARK, url=url or repository_url())


def is_header(cell) -> bool:
    return cell.cell_type == "code" and cell.source.startswith((MARK, *OLD_MARKS))


def ensure(nb: nbformat.NotebookNode, url: str | None = None) -> bool:
    """Make the notebook's first code cell the header (insert or refresh it). True if it changed."""
    want = source(url)
    first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), None)
    if first is not None and is_header(nb.cells[first]):
        cell = nb.cells[first]
        changed = cell.source != want or TAG not in cell.metadata.get("tags", [])
        cell.source = want
        cell.metadata["tags"] = sorted(set(cell.metadata.get("tags", [])) | {TAG})
        return changed
    cell = nbformat.v4.new_code_cell(want, metadata={"tags": [TAG]})
    at = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0  # after the title cell
    nb.cells.insert(at, cell)
    return True


def main(argv: list[str]) -> int:
    check = "--check" in argv
    bad = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        changed = ensure(nb)
        if changed and check:
            bad.append(path.name)
        elif changed:
            nbformat.write(nb, path)
            print(f"header cell written: {path.name} (re-execute it: make execute NB={path.relative_to(ROOT)})")
    if bad:
        print("notebooks whose first code cell is not the header:", ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
