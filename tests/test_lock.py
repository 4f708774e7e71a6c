"""Reproducible installs (issue 15, item 12): every dependency pinned with hashes in the lock
files the Makefile installs from, and `make audit` that never passes silently when it could
not reach its vulnerability database."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import REPO

sys.path.insert(0, str(REPO / "tools"))
from audit import AuditReport, read_report, verdict

PIN = re.compile(
    r"^([A-Za-z0-9_.\-]+)==(\S+) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", re.M
)


def _name(req: str) -> str:
    return re.split(r"[<>=!~\[; ]", req, maxsplit=1)[0].lower().replace("_", "-")


def pins(lock: str) -> dict[str, str]:
    text = (REPO / lock).read_text(encoding="utf-8")
    return {m.group(1).lower().replace("_", "-"): m.group(2) for m in PIN.finditer(text)}


def test_locks_pin_every_dependency_with_hashes() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime, test = pins("requirements.lock"), pins("requirements-test.lock")
    for req in project["dependencies"]:
        assert _name(req) in runtime, f"{req} missing from requirements.lock: run `make lock`"
    for req in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert _name(req) in test, f"{req} missing from requirements-test.lock: run `make lock`"
    # The build backend is pinned too: `pip install --no-build-isolation .` fetches nothing.
    assert {"setuptools", "wheel"} <= runtime.keys()
    # Every requirement line of the lock is a hashed pin (pip's hash-checking mode).
    for lock in ("requirements.lock", "requirements-test.lock"):
        lines = (REPO / lock).read_text(encoding="utf-8").splitlines()
        reqs = [ln for ln in lines if ln and not ln.startswith((" ", "#"))]
        assert len(reqs) == len(pins(lock)), f"{lock} has a requirement without a hash"
    # The same version of a package in both files.
    assert {k: v for k, v in test.items() if k in runtime} == runtime


def test_makefile_installs_from_the_locks_with_hashes() -> None:
    make = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes" in make
    for target in ("$(VENV)/.installed:", "$(VENV)/.installed-test:", "install:"):
        block = make.split(target, 1)[1].split("\n\n", 1)[0]
        assert "-r $(" in block and "LOCK)" in block, target
        assert "pip install --quiet -e ." not in block  # no unpinned resolution


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()
    return port


def test_audit_says_it_was_not_done_when_the_database_is_unreachable(tmp_path: Path) -> None:
    """No test reaches the internet: every request goes to a proxy port nobody listens on
    (and pip-audit's response cache is a fresh, empty one)."""
    proxy = f"http://127.0.0.1:{_closed_port()}"
    env = {**os.environ, "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "ALL_PROXY": proxy}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "audit.py"), str(REPO / "requirements.lock")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "audit NOT DONE" in proc.stderr
    assert "vulnerability database" in proc.stderr
    assert "no known vulnerabilities" not in proc.stdout.lower()


def test_audit_verdicts() -> None:
    skipped = {
        "dependencies": [
            {"name": "anyio", "version": "4.16.0", "skip_reason": "Dependency not found on PyPI"}
        ]
    }
    status, msg = verdict(read_report(skipped))
    assert status == 2 and "NOT DONE" in msg and "1 of 1" in msg
    vulnerable = {
        "dependencies": [
            {"name": "jinja2", "version": "2.10", "vulns": [{"id": "PYSEC-2019-217"}]},
            {"name": "anyio", "version": "4.16.0", "vulns": []},
        ]
    }
    status, msg = verdict(read_report(vulnerable))
    assert status == 1 and "jinja2 2.10: PYSEC-2019-217" in msg
    clean = {"dependencies": [{"name": "anyio", "version": "4.16.0", "vulns": []}]}
    assert verdict(read_report(clean)) == (
        0,
        "audit: 1 locked packages checked, no known vulnerabilities",
    )
    assert read_report({}) == AuditReport(0, [], [])
    assert verdict(AuditReport(0, [], []))[0] == 2  # nothing checked is not a pass
