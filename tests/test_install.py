"""The README's install recipe, run into a temporary prefix (issue 15, item 9): `make install`
builds a fresh, non-editable environment that does not point back at the checkout, installs
the config and the unit with its paths filled in, and `systemd-analyze verify` passes on the
installed unit (skipped with a reason when systemd-analyze is missing: `make system-deps`)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO

ANALYZE = shutil.which("systemd-analyze")


def readme_install_command() -> list[str]:
    """The `make install` line of the README's systemd recipe, as words."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running under systemd", 1)[1].split("\n## ", 1)[0]
    recipe = section.split("```sh", 1)[1].split("```", 1)[0]
    line = next(ln for ln in recipe.splitlines() if "make install" in ln and "check" not in ln)
    words = line.split("#", 1)[0].split()
    return words[words.index("make") :]


def checkout_copy(dest: Path) -> Path:
    """The project's tracked files (what a user clones), without this checkout's .venv."""
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True, timeout=60
    ).stdout.split(b"\0")
    for f in filter(None, files):
        src = REPO / f.decode()
        if src.is_file():
            (dest / f.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f.decode())
    return dest


# Two full installs (~25 s each on 2 cores with a warm pip cache): outside the default run;
# .ci/run runs it (`pytest -m slow tests/test_install.py`).
@pytest.mark.slow
def test_make_install_into_a_temporary_prefix(tmp_path: Path) -> None:
    src = checkout_copy(tmp_path / "src")
    prefix, confdir, unitdir = tmp_path / "opt", tmp_path / "etc", tmp_path / "units"
    cmd = readme_install_command()
    assert cmd[:2] == ["make", "install"], cmd
    args = [
        *cmd,
        f"PREFIX={prefix}",
        f"CONFDIR={confdir}",
        f"UNITDIR={unitdir}",
        f"PYTHON={sys.executable}",
    ]
    started = time.monotonic()
    p = subprocess.run(args, cwd=src, capture_output=True, text=True, timeout=600)
    print(f"make install: {time.monotonic() - started:.1f} s")
    assert p.returncode == 0, p.stdout + p.stderr
    # A Python under /root or /home (pyenv) is hidden from the service: make install says so.
    base = os.path.realpath(getattr(sys, "_base_executable", sys.executable))
    hidden = base.startswith(("/home/", "/root/", "/run/user/"))
    assert ("WARNING" in p.stderr and "ProtectHome" in p.stderr) == hidden, p.stderr
    shutil.rmtree(src)  # nothing installed may point back at the checkout

    exe = prefix / "venv" / "bin" / "aggregator"
    proc = subprocess.run(
        [str(exe), "--config", str(confdir / "config.toml"), "check-config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    probe = "import aggregator; print(aggregator.__file__)"
    where = subprocess.run(
        [str(prefix / "venv" / "bin" / "python"), "-c", probe],
        capture_output=True, text=True, timeout=60, cwd="/",
    ).stdout.strip()  # fmt: skip
    assert where.startswith(str(prefix / "venv" / "lib")), where
    (dist,) = (prefix / "venv" / "lib").glob("python3*/site-packages/aggregator-*.dist-info")
    direct = dist / "direct_url.json"
    if direct.exists():  # pip records how it was installed: not editable
        assert not json.loads(direct.read_text()).get("dir_info", {}).get("editable")
    site = dist.parent
    assert not list(site.glob("__editable__*")) and not list(site.glob("*aggregator*.pth"))

    unit = (unitdir / "aggregator.service").read_text(encoding="utf-8")
    exec_start = re.search(r"^ExecStart=(.*)$", unit, re.M)
    assert exec_start is not None
    assert exec_start.group(1) == f"{exe} --config {confdir}/config.toml run"
    assert "/opt/aggregator" not in exec_start.group(1)
    assert (confdir / "feeds.opml").exists()

    # A second install keeps the operator's config and rebuilds the venv from scratch.
    (confdir / "config.toml").write_text("# mine\n", encoding="utf-8")
    src = checkout_copy(tmp_path / "src")
    marker = prefix / "venv" / "stale-file"
    marker.write_text("x")
    p = subprocess.run(args, cwd=src, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (confdir / "config.toml").read_text(encoding="utf-8") == "# mine\n"
    assert not marker.exists()

    if ANALYZE is None:
        pytest.skip("systemd-analyze not installed (make system-deps): verify not run")
    v = subprocess.run(
        ["make", "install-check", f"PREFIX={prefix}", f"CONFDIR={confdir}", f"UNITDIR={unitdir}"],
        cwd=src, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    print(v.stdout + v.stderr)
    assert v.returncode == 0, v.stdout + v.stderr
    assert f"{unitdir}/aggregator.service:" not in v.stdout + v.stderr  # no complaint about it


def test_make_install_refuses_a_prefix_the_unit_cannot_see(tmp_path: Path) -> None:
    p = subprocess.run(
        ["make", "-n", "install", "PREFIX=/home/someone/aggregator"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "ProtectHome" in (p.stdout + p.stderr) or p.returncode != 0
    p = subprocess.run(
        ["make", "install", "PREFIX=/home/someone/aggregator", f"CONFDIR={tmp_path}/etc"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert p.returncode != 0 and "ProtectHome=yes" in p.stderr
    assert not Path("/home/someone/aggregator").exists()
