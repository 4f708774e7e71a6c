# aggregator — two commands: `make run` (set up and run the daemon on the real feeds) and
# `make test` (install test dependencies; ruff, mypy, pytest). See README.md.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CONFIG ?= config.toml

.PHONY: run demo test lint typecheck pytest bench eval soak datasette system-deps clean \
	install install-check lock audit

# Dependencies come from the lock files: every version pinned, every file's sha256 checked
# (pip's hash-checking mode). requirements.lock = the daemon (and the build backend, so the
# project itself builds without fetching anything unpinned); requirements-test.lock = that
# plus the test extra. `make lock` regenerates both after a change to pyproject.toml.
LOCK      := requirements.lock
TEST_LOCK := requirements-test.lock
PIP_LOCKED = python -m pip install --quiet --require-hashes --no-deps

# The venv is rebuilt when pyproject.toml or a lock changes; stamps record which extras are in.
$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/$(PIP_LOCKED) -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(TEST_LOCK) | $(BIN)/python
	$(BIN)/$(PIP_LOCKED) -r $(TEST_LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@ $(VENV)/.installed

# The test lock first, then the bench extras (reader): the packages both use stay at the
# locked versions, as in CI (an unlocked install once drifted to w3lib 2.6.0).
$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/aggregator --config $(CONFIG) run

demo: $(VENV)/.installed
	$(BIN)/aggregator demo --dir demo-output

lint: $(VENV)/.installed-test
	$(BIN)/ruff check aggregator tests bench tools

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

# `make install`: the daemon as the systemd unit runs it. A fresh, non-editable environment
# in $(PREFIX)/venv (rebuilt from scratch each time: nothing points back at this checkout),
# pinned and hash-checked from $(LOCK); config.toml and feeds.opml copied to $(CONFDIR) unless
# already there (yours are never overwritten); the unit written to $(UNITDIR) with its paths
# set to these. Then `make install-check` runs systemd-analyze verify on the installed unit.
# Stop the service before re-installing (the venv is replaced), start it after.
PREFIX  ?= /opt/aggregator
CONFDIR ?= /etc/aggregator
UNITDIR ?= /etc/systemd/system
UNIT    := $(UNITDIR)/aggregator.service
install:
	@case "$(abspath $(PREFIX))" in /home/*|/root/*|/run/user/*) \
	    echo "make install: PREFIX=$(PREFIX) is hidden from the service (ProtectHome=yes):" \
	         "use a path such as /opt/aggregator" >&2; exit 2;; esac
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	@$(PYTHON) -c 'import os, sys; p = os.path.realpath(getattr(sys, "_base_executable", sys.executable)); \
	    p.startswith(("/home/", "/root/", "/run/user/")) and print("make install: WARNING: the venv will use", p, \
	    "which the unit hides (ProtectHome=yes), so the service cannot start; use a system Python, e.g." \
	    " make install PYTHON=/usr/bin/python3.11", file=sys.stderr)'
	rm -rf $(PREFIX)/venv
	$(PYTHON) -m venv $(PREFIX)/venv
	$(PREFIX)/venv/bin/$(PIP_LOCKED) -r $(LOCK)
	$(PREFIX)/venv/bin/python -m pip install --quiet --no-deps --no-build-isolation .
	rm -rf build
	install -d -m 0755 $(CONFDIR) $(UNITDIR)
	test -e $(CONFDIR)/config.toml || install -m 0644 config.toml $(CONFDIR)/config.toml
	test -e $(CONFDIR)/feeds.opml || install -m 0644 feeds.opml $(CONFDIR)/feeds.opml
	sed -e 's|/opt/aggregator/venv/|$(abspath $(PREFIX))/venv/|g' \
	    -e 's|/etc/aggregator/|$(abspath $(CONFDIR))/|g' systemd/aggregator.service > $(UNIT).tmp
	chmod 0644 $(UNIT).tmp && mv $(UNIT).tmp $(UNIT)
	@echo "installed: $(abspath $(PREFIX))/venv/bin/aggregator, config in $(CONFDIR), unit $(UNIT)"

install-check:
	@command -v systemd-analyze >/dev/null || { \
	    echo "install-check: systemd-analyze missing (make system-deps)" >&2; exit 2; }
	systemd-analyze verify $(UNIT)
	$(PREFIX)/venv/bin/aggregator --config $(CONFDIR)/config.toml check-config --quiet >/dev/null
	@echo "install-check: $(UNIT) verifies; the installed aggregator reads $(CONFDIR)/config.toml"

# Regenerate the locks from pyproject.toml (pip-tools, from PyPI; needs the network).
PIP_COMPILE = $(BIN)/python -m piptools compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --all-build-deps --no-emit-index-url --no-emit-find-links
lock: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet pip-tools
	$(PIP_COMPILE) -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) --extra test -o $(TEST_LOCK) pyproject.toml

# Known vulnerabilities in the locked versions (pip-audit). Exit status: 0 audited and clean,
# 1 vulnerabilities found, 2 NOT audited (the vulnerability database could not be reached:
# pip-audit itself then reports "no known vulnerabilities" and exits 0, see tools/audit.py).
audit: $(VENV)/.installed-test
	$(BIN)/python tools/audit.py $(LOCK)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache demo-output
