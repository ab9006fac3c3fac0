"""Offer the student edition (chapters without solutions) as a download from the built book.

At the start of each build, tools/student_edition.py writes the student edition (notebooks, README,
requirements, nnkit) and its zip under _build/student-edition-src/; the zip and the single notebooks go
to _build/student-edition/, which is published at the site root (html_extra_path):
<site>/student-edition.zip and <site>/student/NN_chapter.ipynb.
"""
import importlib.util
import shutil
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)


def _build_student_edition(app):
    root = Path(app.confdir)
    spec = importlib.util.spec_from_file_location("student_edition", root / "tools" / "student_edition.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    src, extra = root / "_build" / "student-edition-src", root / "_build" / "student-edition"
    files = module.build(src)
    shutil.rmtree(extra, ignore_errors=True)
    (extra / "student").mkdir(parents=True)
    shutil.copy(src / "student-edition.zip", extra / "student-edition.zip")
    for f in files:
        shutil.copy(f, extra / "student" / f.name)
    if str(extra) not in app.config.html_extra_path:
        app.config.html_extra_path.append(str(extra))
    logger.info(f"student edition: {len(files)} notebooks -> {extra}")


def setup(app):
    app.connect("builder-inited", _build_student_edition)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
