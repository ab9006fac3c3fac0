"""A chapter runs where the launch buttons open it: the set-up cell installs nnkit where it is missing,
and the repository it installs from follows `_config.yml` (tools/set_repository.py).

Binder and Colab themselves cannot run here (no network); what they execute can: the set-up cell in a
fresh virtual environment without nnkit, installing from a local copy of the package (`NNKIT_SOURCE`),
exactly as it installs from GitHub on Colab.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import header_cell  # noqa: E402
import set_repository  # noqa: E402


def package_copy(dest: Path) -> Path:
    """nnkit's sources as pip sees them (so that building a wheel never writes into the repository)."""
    dest.mkdir()
    shutil.copytree(ROOT / "nnkit", dest / "nnkit", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, dest / name)
    return dest


@pytest.mark.book
def test_setup_cell_installs_nnkit_into_a_fresh_environment(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    missing = subprocess.run([python, "-c", "import nnkit"], capture_output=True, text=True, cwd=tmp_path)
    assert missing.returncode != 0 and "No module named 'nnkit'" in missing.stderr
    env = {**os.environ, "NNKIT_SOURCE": str(package_copy(tmp_path / "src")), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    cell = header_cell.source() + "\nprint(nnkit.__file__)\nprint(float(nnkit.tensor([3.0]).sum()))"
    run = subprocess.run([python, "-c", cell], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    where, value = run.stdout.strip().splitlines()[-2:]
    assert str(env_dir) in where and value == "3.0"
    again = subprocess.run([python, "-c", header_cell.source() + "\nprint('ok')"], capture_output=True, text=True,
                           env={**env, "NNKIT_SOURCE": "/nonexistent"}, cwd=tmp_path)
    assert again.returncode == 0 and again.stdout.strip() == "ok", "the cell must do nothing once nnkit is installed"


def test_set_repository_rewrites_the_config_and_every_setup_cell(tmp_path):
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb"))[:2]:
        shutil.copy(nb, tmp_path / "notebooks" / nb.name)
    changed = set_repository.set_repository("someone/fork-of-book", root=tmp_path)
    assert "_config.yml" in changed and len(changed) == 3
    assert header_cell.repository_url(tmp_path / "_config.yml") == "https://github.com/someone/fork-of-book"
    for path in (tmp_path / "notebooks").glob("*.ipynb"):
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        assert 'url = "git+https://github.com/someone/fork-of-book"' in "".join(cells[0]["source"])
    assert set_repository.set_repository("someone/fork-of-book", root=tmp_path) == []  # idempotent
    with pytest.raises(ValueError, match="expected OWNER/NAME"):
        set_repository.set_repository("https://github.com/x/y", root=tmp_path)


def test_binder_installs_the_pinned_requirements_and_nnkit():
    binder = ROOT / "binder"
    reqs = (binder / "requirements.txt").read_text()
    assert "-r ../requirements.txt" in reqs.splitlines()
    post = (binder / "postBuild").read_text()
    assert os.access(binder / "postBuild", os.X_OK), "repo2docker runs postBuild only if it is executable"
    assert "pip install" in post and "-e ." in post
    assert (binder / "runtime.txt").read_text().strip().startswith("python-3.")
