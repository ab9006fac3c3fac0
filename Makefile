# Two commands take a fresh clone to a built, tested book:  make book  and  make test.
# Everything runs inside .venv, created on first use. Re-running is cheap: the venv is reinstalled only
# when requirements.txt or pyproject.toml change (the stamp file), and the book build re-executes only
# notebooks that changed (jupyter-cache under _build/).

# Python 3.11, 3.12 and 3.13 work (make test PYTHON=python3.13). The venv remembers which Python made
# it: asking for another one rebuilds it.
PYTHON ?= python3
PYVER  := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed-python$(PYVER)
BOOK_FLAGS := -W -n --keep-going
# Two test workers and their kernels share 2 cores: one BLAS thread each avoids oversubscription.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

PDF_DIR := _build/html/pdf

.PHONY: book pdf test portability lab unit notebooks execute student lock browser-deps clean help

help:
	@echo "make book      build the HTML book into _build/html (executes notebooks, cached)"
	@echo "make test      unit tests + every notebook under nbval + book build + browser check"
	@echo "make pdf       print the built book to $(PDF_DIR)/ (instructor and student PDFs)"
	@echo "make lab       JupyterLab on notebooks/ with widgets"
	@echo "make portability  unit tests + notebooks under other BLAS kernels, 2 BLAS threads, baseline SIMD"
	@echo "make unit      nnkit unit tests only (fast)"
	@echo "make execute NB=notebooks/xx.ipynb   re-execute a notebook in place and clean it (for commits)"
	@echo "make student   write the student edition (no solutions) to student/"
	@echo "make lock      re-pin requirements.txt from requirements.in"

$(STAMP): requirements.txt pyproject.toml
	@test -n "$(PYVER)" || { echo "PYTHON=$(PYTHON) does not run; install Python 3.11-3.13 or pass PYTHON=..."; exit 1; }
	@if [ -x $(PY) ] && [ "$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$(PYVER)" ]; then \
	  echo "$(VENV) was made with another Python than $(PYTHON) ($(PYVER)): rebuilding it"; rm -rf $(VENV); fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt "setuptools>=64"
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# A notebook that fails makes every build fail until it is fixed (book/_ext/rerun_failed.py), and no
# page may show a traceback or stderr (tools/check_html.py).
book: $(STAMP)
	NNKIT_WIDGETS=static $(BIN)/jupyter-book build . $(BOOK_FLAGS)
	$(PY) tools/check_html.py _build/html
	@echo
	@echo "The book is built. Open this page in a browser:"
	@echo "    file://$(CURDIR)/_build/html/index.html"

# The printable editions, from the built HTML (headless Chromium prints each page; tools/make_pdf.py).
pdf: book browser-deps
	$(PY) tools/make_pdf.py _build/html

# The browser test drives a system Chromium (Debian package 'chromium', or Google Chrome where the
# machine has it, as GitHub's runners do); install Chromium and a Korean font where missing.
BROWSERS := chromium chromium-browser google-chrome google-chrome-stable
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-deps:
	@missing=""; \
	for b in $(BROWSERS); do command -v $$b >/dev/null 2>&1 && found=1; done; \
	[ -n "$${found:-}" ] || missing="chromium"; \
	fc-list 2>/dev/null | grep -qi nanum || missing="$$missing fonts-nanum"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing for the browser test:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi

test: $(STAMP) browser-deps
	$(PY) -m pytest

# The same tests on other machines' arithmetic: every OpenBLAS kernel this CPU can run, 2 BLAS threads,
# NumPy's baseline SIMD loops (tools/portability.py). Prints a table; fails if any configuration fails.
portability: $(STAMP)
	$(PY) tools/portability.py

unit: $(STAMP)
	$(PY) -m pytest tests -m "not book"

notebooks: $(STAMP)
	$(PY) -m pytest notebooks

execute: $(STAMP)
	$(PY) tools/nbexec.py $(or $(NB),notebooks/*.ipynb)

student: $(STAMP)
	$(PY) tools/student_edition.py student

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/ $(if $(SUDO),,--allow-root)

lock:
	rm -rf /tmp/nnkit-lock && $(PYTHON) -m venv /tmp/nnkit-lock
	/tmp/nnkit-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Pinned with 'make lock' from requirements.in (Python 3.11, Linux). Do not edit by hand."; \
	  /tmp/nnkit-lock/bin/pip freeze --exclude-editable | sort -f; } > requirements.txt

clean:
	rm -rf _build
