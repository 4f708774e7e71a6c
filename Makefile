# aggregator — two commands: `make run` (set up and run the daemon on the real feeds) and
# `make test` (install test dependencies; ruff, mypy, pytest). See README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CONFIG ?= config.toml

.PHONY: run demo test lint typecheck pytest bench eval soak datasette system-deps clean

# The venv is rebuilt when pyproject.toml changes; stamps record which extras are installed.
$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/aggregator --config $(CONFIG) run

demo: $(VENV)/.installed
	$(BIN)/aggregator demo --dir demo-output

lint: $(VENV)/.installed-test
	$(BIN)/ruff check aggregator tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: $(VENV)/.installed-test
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/run_all.py

eval: $(VENV)/.installed-test
	$(BIN)/python bench/eval_dedup.py
	$(BIN)/python bench/eval_cluster.py

# The daemon against ~1,000 local feeds (hostile ones among them) for 10 minutes, with a
# long-lived reader: memory, WAL, schedule, errors, integrity (bench/results/soak.json).
soak: $(VENV)/.installed-test
	$(BIN)/python bench/soak.py --minutes 10 --feeds 1000

datasette: $(VENV)/.installed-test
	$(BIN)/aggregator --config $(CONFIG) datasette

# Debian packages some tests use (each such test skips with a reason when they are missing):
# Chromium + a CJK font for the page screenshot, systemd-analyze for the unit, newsboat as a
# real feed reader. CI (root) installs them; on your machine run `sudo make system-deps`.
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    chromium fonts-wqy-microhei systemd newsboat >/dev/null

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache demo-output
