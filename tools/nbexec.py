"""Execute notebooks in place, the way they are committed: fresh kernel, top to bottom, outputs kept.

    python tools/nbexec.py notebooks/01_perceptron.ipynb [more.ipynb ...]

Why a script and not "Run All + Save" in JupyterLab: it always starts a fresh kernel in `notebooks/`,
stores the widget state (so the hosted book can show widgets), fails on the first error, writes the
chapter's set-up cell (tools/header_cell.py), and strips metadata that only adds noise to diffs
(execution timings, collapsed/scrolled flags, random cell ids).
nbval (`make test`) then proves that a fresh run reproduces the committed outputs.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import header_cell  # noqa: E402  (the set-up cell that opens every chapter)

KEEP_CELL_METADATA = {"tags", "mystnb"}
KEEP_NB_METADATA = {"kernelspec", "language_info", "widgets"}
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def merge_streams(cell) -> None:
    """Join consecutive stdout (or stderr) chunks into one output. A loaded kernel can flush one
    print in two chunks, and the book then shows its second half on a line of its own."""
    merged = []
    for out in cell.outputs:
        if (out.output_type == "stream" and merged and merged[-1].output_type == "stream"
                and merged[-1].name == out.name):
            merged[-1].text = "".join(merged[-1].text) + "".join(out.text)
        else:
            merged.append(out)
    cell.outputs = merged


def clean(nb: nbformat.NotebookNode) -> None:
    """Drop noisy metadata and give cells stable ids (position-based, so diffs stay small)."""
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in KEEP_NB_METADATA}
    nb.metadata.get("language_info", {}).pop("version", None)
    nb.metadata["kernelspec"] = KERNELSPEC
    for i, cell in enumerate(nb.cells):
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEEP_CELL_METADATA}
        cell["id"] = f"c{i:03d}"
        if cell.cell_type == "code":
            merge_streams(cell)
            for out in cell.outputs:
                out.get("metadata", {}).pop("execution", None)


def execute(path: Path, timeout: int = 300) -> float:
    # Interactive figures are stored as precomputed frames for the hosted book (see nnkit/widgets.py).
    os.environ["NNKIT_WIDGETS"] = "static"
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as in `make test`
    nb = nbformat.read(path, as_version=4)
    header_cell.ensure(nb)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    clean(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return seconds


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    for p in paths:
        seconds = execute(Path(p))
        print(f"executed {p} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
