# The two commands a newcomer needs: `make run` and `make test`. Both install what is missing.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test build eval bench load chroma browser

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch lies on this machine's disk; an unpinned torch pulls a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(PY) app.py

build: $(VENV)/.installed
	$(VENV)/bin/lerassist build

eval: $(VENV)/.installed
	$(VENV)/bin/lerassist eval eval/questions.yaml

bench: $(VENV)/.installed
	$(PY) -m lerassist.bench

# 500 questions from 20 clients to a running app (LOAD_URL) or to one it starts itself; figures to bench/load.md.
load: $(VENV)/.installed
	$(PY) -m lerassist.load --out bench/load.md $(if $(LOAD_URL),--url $(LOAD_URL))

# A Chroma server for LERASSIST_CHROMA_URL=http://127.0.0.1:$(CHROMA_PORT); its data under index/ (git-ignored).
CHROMA_PORT ?= 8000
chroma: $(VENV)/.installed
	$(VENV)/bin/chroma run --path index/chroma --host 127.0.0.1 --port $(CHROMA_PORT)

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: $(VENV)/.installed browser
	$(PY) -m pytest
