"""Offer the student edition (chapters without solutions) as a download from the built book.

At the start of each build, tools/student_edition.py writes the student notebooks and
student-edition.zip to _build/student-edition/, which is published at the site root
(html_extra_path): <site>/student-edition.zip and <site>/student/NN_chapter.ipynb.
"""
import importlib.util
from pathlib import Path


def _build_student_edition(app):
    root = Path(app.confdir)
    spec = importlib.util.spec_from_file_location("student_edition", root / "tools" / "student_edition.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    extra = root / "_build" / "student-edition"
    files = module.build(extra / "student")
    (extra / "student" / "student-edition.zip").replace(extra / "student-edition.zip")
    if str(extra) not in app.config.html_extra_path:
        app.config.html_extra_path.append(str(extra))
    app.info(f"student edition: {len(files)} notebooks -> {extra}") if hasattr(app, "info") else None


def setup(app):
    app.connect("builder-inited", _build_student_edition)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
