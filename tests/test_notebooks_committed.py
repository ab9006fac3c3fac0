"""House rules for the committed notebooks, checked statically (nbval checks that they reproduce).

Strict nbval silently skips a code cell that was never executed, so a notebook committed without
outputs would pass it; this file closes that gap and keeps the files lean.
"""
from __future__ import annotations

import base64
import json
import struct
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ALLOWED_NB_METADATA = {"kernelspec", "language_info", "widgets"}
ALLOWED_CELL_METADATA = {"tags", "mystnb"}
MAX_PNG_BYTES = 200_000
MAX_PNG_WIDTH = 1100
TEMPLATE_SECTIONS = ["What you'll learn", "## Summary", "## Exercises", "## Further reading"]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def png_width(b64: str) -> int:
    raw = base64.b64decode(b64)
    assert raw[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">I", raw[16:20])[0]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no .ipynb files"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_ran_in_order_in_one_fresh_kernel(path):
    cells = code_cells(load(path))
    counts = [c["execution_count"] for c in cells]
    never = [i for i, n in enumerate(counts) if n is None]
    assert not never, f"{path.name}: code cells {never} were never executed (run `make execute NB={path.relative_to(ROOT)}`)"
    assert counts == list(range(1, len(cells) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..{len(cells)}: "
        "the notebook was not run top to bottom in a fresh kernel"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_error_outputs_and_no_stderr(path):
    for i, cell in enumerate(code_cells(load(path))):
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name} cell {i} has a committed error: {out.get('ename')}"
            if out["output_type"] == "stream":
                assert out["name"] != "stderr", f"{path.name} cell {i} writes to stderr: {''.join(out['text'])[:200]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_metadata_is_lean(path):
    nb = load(path)
    extra = set(nb["metadata"]) - ALLOWED_NB_METADATA
    assert not extra, f"{path.name}: notebook metadata has {sorted(extra)}; run tools/nbexec.py to clean it"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernelspec must be python3"
    for i, cell in enumerate(nb["cells"]):
        extra = set(cell.get("metadata", {})) - ALLOWED_CELL_METADATA
        assert not extra, f"{path.name} cell {i}: metadata keys {sorted(extra)} are noise; run tools/nbexec.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_figures_are_small_and_described(path):
    """Every static figure has a caption or alt text (mystnb cell metadata) and a sensible size."""
    for i, cell in enumerate(code_cells(load(path))):
        pngs = [o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        if not pngs:
            continue
        meta = cell.get("metadata", {}).get("mystnb", {})
        described = meta.get("figure", {}).get("caption") or meta.get("image", {}).get("alt")
        assert described, f"{path.name} cell {i}: a figure without caption or alt text (set mystnb.figure.caption or mystnb.image.alt)"
        for b64 in pngs:
            size = len(base64.b64decode(b64))
            assert size <= MAX_PNG_BYTES, f"{path.name} cell {i}: PNG of {size} bytes > {MAX_PNG_BYTES}; lower dpi or size"
            width = png_width(b64)
            assert width <= MAX_PNG_WIDTH, f"{path.name} cell {i}: PNG {width} px wide > {MAX_PNG_WIDTH}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_follows_the_template(path):
    text = "\n".join("".join(c["source"]) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    missing = [s for s in TEMPLATE_SECTIONS if s not in text]
    assert not missing, f"{path.name}: missing template sections {missing} (see CONTRIBUTING.md)"
    assert text.count("{exercise}") >= 3 and text.count("{solution}") >= 3, f"{path.name}: needs 3+ exercises with solutions"
    assert "{term}`" in text, f"{path.name}: link key terms to the glossary with {{term}}"
    assert "../book/notation" in text, f"{path.name}: link the notation page ({{doc}}`notation <../book/notation>`)"
    assert "{cite}`" in text, f"{path.name}: cite the original papers with {{cite}} (book/references.bib)"
    assert "assert " in "".join("".join(c["source"]) for c in code_cells(load(path))), f"{path.name}: no self-check assert"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_in_the_table_of_contents(path):
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    assert f"notebooks/{path.stem}" in toc, f"{path.name} is not listed in _toc.yml, so the book would not show it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_first_code_cell_is_the_setup_cell(path):
    """Every chapter opens with the same set-up cell (tools/header_cell.py), which installs nnkit where
    it is missing (Colab, Binder) and names the repository given in _config.yml."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import header_cell

    first = code_cells(load(path))[0]
    assert "".join(first["source"]) == header_cell.source(), (
        f"{path.name}: the first code cell is not the set-up cell; run `make execute NB=notebooks/{path.name}`")
    assert header_cell.TAG in first.get("metadata", {}).get("tags", []), f"{path.name}: set-up cell not tagged {header_cell.TAG}"
    assert not first.get("outputs"), f"{path.name}: the set-up cell printed something where nnkit is installed"


MAX_COLUMNS = 88  # what a code cell shows in the rendered book (book/_vendor/book.css)


def test_code_cells_fit_the_page():
    """No notebook code line is wider than the rendered code cell (ruff's E501 at 88 columns)."""
    import shutil
    import subprocess
    import sys

    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is not installed (requirements.txt pins it)"
    proc = subprocess.run([ruff, "check", "--no-cache", "--select", "E501", "--line-length", str(MAX_COLUMNS),
                           "--output-format", "concise", *map(str, NOTEBOOKS)], capture_output=True, text=True)
    assert proc.returncode == 0, f"code lines over {MAX_COLUMNS} columns:\n{proc.stdout[-3000:]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_print_is_one_output(path):
    """tools/nbexec.py joins the chunks a loaded kernel flushes separately; left split, the book shows
    the second half of a printed line on a line of its own."""
    for i, cell in enumerate(code_cells(load(path))):
        outs = cell.get("outputs", [])
        pairs = [(a.get("name"), b.get("name")) for a, b in zip(outs, outs[1:])
                 if a["output_type"] == b["output_type"] == "stream" and a.get("name") == b.get("name")]
        assert not pairs, f"{path.name} cell {i}: consecutive {pairs[0][0]} chunks (re-run tools/nbexec.py)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_printed_lines_fit_the_page(path):
    for i, cell in enumerate(code_cells(load(path))):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            shown_as_text = set(data) == {"text/plain"}  # not a widget, figure or HTML with a text fallback
            text = "".join(out.get("text", "")) if out["output_type"] == "stream" else (
                "".join(data["text/plain"]) if shown_as_text else "")
            wide = [line for line in text.splitlines() if len(line) > MAX_COLUMNS]
            assert not wide, f"{path.name} cell {i}: printed line of {len(wide[0])} characters: {wide[0][:100]!r}"
