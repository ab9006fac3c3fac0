"""Point the book at the GitHub repository it is published from.

    python tools/set_repository.py OWNER/NAME      # e.g. the Pages workflow: "$GITHUB_REPOSITORY"
    python tools/set_repository.py --show         # print the repository the book points at now

The repository URL is written in one place, `repository.url` in `_config.yml`. The launch buttons
(Binder, Colab), the repository and issue buttons and every chapter's set-up cell (which installs nnkit
from there on Colab) are made from it: this rewrites that line and the set-up cells
(tools/header_cell.py), so a fork's hosted book launches the fork's notebooks and installs the fork's
nnkit. The set-up cell prints nothing where nnkit is installed, so no committed output changes.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import header_cell  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "_config.yml"
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")


def set_repository(slug: str, root: Path = ROOT) -> list[str]:
    """Write https://github.com/<slug> into _config.yml and the chapters' set-up cells; return what changed."""
    if not SLUG.match(slug):
        raise ValueError(f"expected OWNER/NAME (as in $GITHUB_REPOSITORY), got {slug!r}")
    url = f"https://github.com/{slug}"
    config = root / "_config.yml"
    text = config.read_text(encoding="utf-8")
    new, n = re.subn(r"^(repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*)\S+", rf"\g<1>{url}", text, count=1, flags=re.M)
    if n != 1:
        raise ValueError(f"{config}: no repository.url to rewrite")
    changed = []
    if new != text:
        config.write_text(new, encoding="utf-8")
        changed.append(str(config.relative_to(root)))
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if header_cell.ensure(nb, url=url):
            nbformat.write(nb, path)
            changed.append(str(path.relative_to(root)))
    return changed


def main(argv: list[str]) -> int:
    if argv == ["--show"]:
        print(header_cell.repository_url(CONFIG))
        return 0
    if len(argv) != 1:
        print(__doc__)
        return 2
    changed = set_repository(argv[0])
    print(f"repository: https://github.com/{argv[0]} ({len(changed)} files changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
