# The two commands a newcomer needs: `make run` and `make test`. Both install what is missing.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test build eval bench browser

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

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: $(VENV)/.installed browser
	$(PY) -m pytest
