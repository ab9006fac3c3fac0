"""nnkit and the book, linked both ways: a docstring's ``Book:`` paragraph names the chapter (and
equation) labels that explain the object; every label named there exists in the notebooks, and
every public op, layer and optimizer has such a paragraph."""
import glob
import inspect
import json
import os
import re

import pytest

import nnkit
import nnkit.train
from nnkit import nn, optim
from nnkit.nn import functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def notebook_labels():
    """Chapter labels ``(ch-...)=`` and equation labels ``$$ ... $$ (eq-...)`` of every notebook."""
    labels = set()
    for path in glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb")):
        with open(path, encoding="utf-8") as f:
            cells = json.load(f)["cells"]
        for cell in cells:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"])
                labels |= set(re.findall(r"^\((ch-[\w-]+)\)=", text, re.M))
                labels |= set(re.findall(r"\$\$\s*\((eq-[\w-]+)\)", text))
    return labels


def book_paragraph(obj):
    """The ``Book: ...`` paragraph of ``obj``'s docstring (up to a blank line), or None."""
    doc = inspect.getdoc(obj) or ""
    m = re.search(r"^Book: (.+?)(?:\n\s*\n|\Z)", doc, re.M | re.S)
    return None if m is None else " ".join(m.group(1).split())


def public_objects():
    """Every public function, class and method of nnkit that has a docstring, by dotted name."""
    seen, out = set(), {}
    modules = [nnkit, nn, F, nn.init, optim, optim.lr_scheduler, nnkit.data, nnkit.train, nnkit.viz]
    for mod in modules:
        for name in getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]:
            obj = getattr(mod, name, None)
            if obj is None or id(obj) in seen or inspect.ismodule(obj):
                continue
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            seen.add(id(obj))
            out[f"{mod.__name__}.{name}"] = obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if inspect.isfunction(member) and (not attr.startswith("_") or attr == "__init__"):
                        out[f"{mod.__name__}.{name}.{attr}"] = member
    return out


def test_every_label_a_docstring_names_exists():
    labels = notebook_labels()
    assert len(labels) > 50 and "ch-10-cnn" in labels and "eq-10-xcorr" in labels   # the reader works
    missing, named = [], 0
    for name, obj in public_objects().items():
        para = book_paragraph(obj)
        if para is None:
            continue
        refs = re.findall(r"\b((?:ch|eq)-[\w-]*\w)", para)
        named += len(refs)
        missing += [(name, r) for r in refs if r not in labels]
    assert named > 100
    assert not missing, f"docstrings name labels that no notebook defines: {missing}"


REQUIRED = ([getattr(F, n) for n in F.__all__]
            + [getattr(nn, n) for n in nn.__all__ if inspect.isclass(getattr(nn, n))]
            + [getattr(optim, n) for n in optim.__all__ if inspect.isclass(getattr(optim, n))
               and n != "Optimizer"])


@pytest.mark.parametrize("obj", REQUIRED, ids=lambda o: o.__name__)
def test_every_op_layer_and_optimizer_names_its_chapter(obj):
    """A ``Book:`` paragraph with a chapter label, or one saying that no chapter explains it."""
    para = book_paragraph(obj)
    assert para is not None, f"{obj.__module__}.{obj.__name__}: no 'Book:' paragraph in the docstring"
    assert re.search(r"\bch-[\w-]+", para) or para.startswith("not explained in the chapters"), para


def test_the_file_map_page_lists_every_nnkit_file():
    """book/nnkit_files.md names every module of the package (a new file gets its row)."""
    with open(os.path.join(ROOT, "book", "nnkit_files.md"), encoding="utf-8") as f:
        page = f.read()
    named = set(re.findall(r"`(nnkit/[\w/]+\.py)`", page))
    for row in re.findall(r"^\| `(nnkit/[\w/]+/)[\w.]+`, (.+?) \|", page, re.M):   # `dir/a.py`, `b.py`
        named |= {row[0] + f for f in re.findall(r"`([\w.]+\.py)`", row[1])}
    named |= {p for p in re.findall(r"`(nnkit/[\w/]+/)`", page)}
    files = {os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "nnkit", "**", "*.py"), recursive=True)
             if os.path.basename(p) not in ("__init__.py", "autograd.py")}      # autograd.py: old imports
    folders = [d for d in named if d.endswith("/")]
    unlisted = sorted(f for f in files if f not in named and not any(f.startswith(d) for d in folders))
    assert not unlisted, f"add these files to book/nnkit_files.md: {unlisted}"
