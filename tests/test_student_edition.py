"""The student edition: every chapter, exercises kept, solutions, answers and outputs removed, and a
folder that runs on its own (README in English and Korean, pinned requirements, nnkit inside)."""
import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("student_edition", ROOT / "tools" / "student_edition.py")
student_edition = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student_edition)
# A code line that talks about an exercise: an answer kept for a solution that is no longer there.
EXERCISE_MENTION = re.compile(r"exercis|\bex-\d\d", re.I)


def markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    return out, student_edition.build(out)


def chapters():
    toc = (ROOT / "_toc.yml").read_text()
    return [p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if f"notebooks/{p.stem}" in toc]


def test_every_chapter_and_what_it_needs_is_in_the_zip(edition):
    out, files = edition
    assert [f.name for f in files] == chapters()
    with zipfile.ZipFile(out / "student-edition.zip") as zf:
        names = set(zf.namelist())
    assert {f"student-edition/notebooks/{c}" for c in chapters()} <= names
    assert {"student-edition/README.md", "student-edition/requirements.txt", "student-edition/pyproject.toml",
            "student-edition/nnkit/__init__.py", "student-edition/nnkit/data/digits.npz"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_readme_in_english_and_korean_and_requirements_pinned(edition):
    out, _ = edition
    readme = (out / "student-edition" / "README.md").read_text(encoding="utf-8")
    assert "## Set up" in readme and "## 설치" in readme and "## Run" in readme and "## 실행" in readme
    assert "{book_url}" not in readme and "{repository}" not in readme and "github.io" in readme
    reqs = (out / "student-edition" / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in reqs if "==" in line)
    assert {"jupyterlab", "jupyterlab_myst", "ipywidgets", "numpy", "matplotlib"} <= set(pins)
    assert reqs[-1] == "."  # nnkit, from the folder itself
    book_pins = (ROOT / "requirements.txt").read_text()
    assert all(f"{name}=={v}" in book_pins for name, v in pins.items()), "pins differ from the book's"


def test_solutions_and_answers_removed_exercises_kept(edition):
    _, files = edition
    for f in files:
        source = nbformat.read(ROOT / "notebooks" / f.name, as_version=4)
        student = nbformat.read(f, as_version=4)
        nbformat.validate(student)
        assert markdown(source).count("{solution}") >= 3, f"{f.name}: the chapter should have solutions"
        assert "{solution}" not in markdown(student), f"{f.name}: a solution survived"
        assert markdown(student).count("{exercise}") == markdown(source).count("{exercise}")
        answers = [c for c in source.cells if student_edition.ANSWER_TAG in c.metadata.get("tags", [])]
        assert len(student.cells) == len(source.cells) - len(answers)
        code = [c for c in student.cells if c.cell_type == "code"]
        assert all(c.outputs == [] and c.execution_count is None for c in code), f"{f.name}: outputs left"
        for c in code:
            assert student_edition.ANSWER_TAG not in c.metadata.get("tags", [])
            leaks = [line for line in c.source.splitlines() if EXERCISE_MENTION.search(line)]
            assert not leaks, (f"{f.name}: code that gives away an exercise's answer: {leaks[0]!r} "
                               f"(move it into the solution, or tag the cell {student_edition.ANSWER_TAG})")


def test_strip_handles_nested_fences():
    text = "a\n\n````{solution} ex-1\n:class: dropdown\n```python\nx = 1\n```\n````\n\nb\n"
    out, n = student_edition.strip_solutions(text)
    assert n == 1 and "x = 1" not in out and out.startswith("a") and out.rstrip().endswith("b")


def test_answer_cells_are_dropped(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_code_cell("assert x == 35", metadata={"tags": ["exercise-answer"]})]
    nbformat.write(nb, tmp_path / "n.ipynb")
    student, removed = student_edition.student_notebook(tmp_path / "n.ipynb")
    assert removed == 1 and [c.source for c in student.cells] == ["x = 1"]


RUN_UP_TO_EXERCISES = r"""
import sys, nbformat
from nbclient import NotebookClient
for path in sys.argv[1:]:
    nb = nbformat.read(path, as_version=4)
    cut = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "## Exercises" in c.source),
               len(nb.cells))
    nb.cells = nb.cells[:cut]
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": "notebooks"}}).execute()
    print("ran", path, flush=True)
"""


@pytest.mark.book
def test_student_edition_runs_from_its_own_readme(edition, tmp_path):
    """Unzip, run the README's set-up commands as written, then every chapter up to its exercises."""
    out, _ = edition
    with zipfile.ZipFile(out / "student-edition.zip") as zf:
        zf.extractall(tmp_path)
    folder = tmp_path / "student-edition"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    setup = re.search(r"## Set up.*?```bash\n(.*?)```", readme, re.S).group(1).strip().splitlines()
    assert setup[0].startswith("python3 -m venv .venv")
    for command in setup:
        command = command.replace("python3 -m venv", f"{sys.executable} -m venv", 1)  # this test's Python
        proc = subprocess.run(command, shell=True, cwd=folder, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, f"README step {command!r} failed:\n{proc.stderr[-3000:]}"
    python = folder / ".venv" / "bin" / "python"
    probe = subprocess.run([python, "-c", "import nnkit, jupyterlab_myst; print(nnkit.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert probe.returncode == 0 and ".venv" in probe.stdout, probe.stderr
    notebooks = sorted(str(p.relative_to(folder)) for p in (folder / "notebooks").glob("*.ipynb"))
    run = subprocess.run([python, "-c", RUN_UP_TO_EXERCISES, *notebooks], cwd=folder, capture_output=True,
                         text=True, timeout=1800)
    assert run.returncode == 0, f"a student notebook failed:\n{run.stdout[-1000:]}\n{run.stderr[-4000:]}"
    assert run.stdout.count("ran ") == len(notebooks)
