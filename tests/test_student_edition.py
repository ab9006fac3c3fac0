"""The student edition: every chapter, exercises kept, solutions and outputs removed, still runnable."""
import importlib.util
import json
import os
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("student_edition", ROOT / "tools" / "student_edition.py")
student_edition = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student_edition)


def markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    return out, student_edition.build(out)


def test_every_chapter_in_the_book_is_there(edition):
    out, files = edition
    toc = (ROOT / "_toc.yml").read_text()
    chapters = [p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if f"notebooks/{p.stem}" in toc]
    assert [f.name for f in files] == chapters
    with zipfile.ZipFile(out / "student-edition.zip") as zf:
        assert sorted(zf.namelist()) == [f"student-edition/{c}" for c in chapters]


def test_solutions_removed_exercises_kept(edition):
    _, files = edition
    for f in files:
        source = nbformat.read(ROOT / "notebooks" / f.name, as_version=4)
        student = nbformat.read(f, as_version=4)
        nbformat.validate(student)
        assert markdown(source).count("{solution}") >= 3, f"{f.name}: the chapter should have solutions"
        assert "{solution}" not in markdown(student), f"{f.name}: a solution survived"
        assert markdown(student).count("{exercise}") == markdown(source).count("{exercise}")
        assert len(student.cells) == len(source.cells)
        code = [c for c in student.cells if c.cell_type == "code"]
        assert all(c.outputs == [] and c.execution_count is None for c in code), f"{f.name}: outputs left"


def test_strip_handles_nested_fences():
    text = "a\n\n````{solution} ex-1\n:class: dropdown\n```python\nx = 1\n```\n````\n\nb\n"
    out, n = student_edition.strip_solutions(text)
    assert n == 1 and "x = 1" not in out and out.startswith("a") and out.rstrip().endswith("b")


def test_student_notebook_runs(edition):
    out, _ = edition
    nb = nbformat.read(out / "00_how_to_use.ipynb", as_version=4)
    os.environ.setdefault("NNKIT_WIDGETS", "live")
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    printed = json.dumps([c.outputs for c in nb.cells if c.cell_type == "code"])
    assert "all checks passed" in printed
