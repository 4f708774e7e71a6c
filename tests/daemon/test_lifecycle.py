"""The daemon's process boundaries, through real processes (issue 15, items 5 and 6): one
daemon per store (a second ``run`` and a ``poll`` beside it are refused with a clear message,
exit status 1), and no descendant outlives a daemon killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from origin import Origin
from procs import alive, descendants
from test_daemon import (  # the daemon-as-a-process helpers (and their reaper fixture)
    WAIT_S,
    _reap,  # noqa: F401  (autouse fixture: no daemon outlives its test)
    notify_dir,  # noqa: F401  (fixture)
    rss_feed,
    start_daemon,
    wait_until,
    write_config,
)

#: A killed daemon's descendants must be gone within this (seconds).
ORPHAN_GRACE_S = 5.0


def cli(config: Path, *args: str, timeout: float = WAIT_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aggregator.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def parsed_feeds(tmp_path: Path) -> int:
    try:
        with sqlite3.connect(tmp_path / "db" / "aggregator.db", timeout=10) as db:
            sql = "SELECT COUNT(*) FROM feeds WHERE last_body_hash IS NOT NULL"
            return int(db.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_second_daemon_and_poll_are_refused(
    tmp_path: Path, notify_dir: Path, origin: Origin  # noqa: F811  (the imported fixture)
) -> None:
    """A second ``run`` on the same store exits 1 at once and says who holds it; ``poll``
    beside the running daemon is refused (not queued) with exit 1; the first daemon goes on
    and, once it stopped, ``poll`` works again. A SIGKILLed daemon leaves no stale lock."""
    origin.static("/a.xml", rss_feed(1, 3, datetime.now(UTC)))
    config = write_config(tmp_path, [origin.url("/a.xml")])
    first = start_daemon(config, notify_dir, 0)
    first.wait_ready()

    second = start_daemon(config, notify_dir, 1)
    assert second.wait() == 1
    assert "not starting a second daemon" in second.log()
    assert f"'aggregator run' (pid {first.proc.pid})" in second.log()
    assert "Traceback" not in second.log()

    polled = cli(config, "poll", "--all")
    assert polled.returncode == 1
    assert "poll refused" in polled.stderr and f"pid {first.proc.pid}" in polled.stderr
    assert "Traceback" not in polled.stderr
    assert first.proc.poll() is None  # the daemon is untouched
    status, _ctype, _body = first.get("/healthz")
    assert status == 200

    first.proc.send_signal(signal.SIGTERM)
    assert first.wait() == 0
    assert cli(config, "poll", "--all").returncode == 0

    # SIGKILL: the kernel drops the flock with the process; a new daemon starts.
    third = start_daemon(config, notify_dir, 2)
    third.wait_ready()
    third.proc.send_signal(signal.SIGKILL)
    assert third.wait() == -signal.SIGKILL
    fourth = start_daemon(config, notify_dir, 3)
    fourth.wait_ready()
    fourth.proc.send_signal(signal.SIGTERM)
    assert fourth.wait() == 0


def test_proc_03_sigkill_leaves_no_descendant(
    tmp_path: Path, notify_dir: Path, origin: Origin  # noqa: F811  (the imported fixture)
) -> None:
    """The daemon runs with its parse workers started (feeds parsed); kill -9 the daemon:
    every descendant found before the kill is gone within ORPHAN_GRACE_S (before: the parse
    worker, the forkserver and the resource tracker survived every kill)."""
    now = datetime.now(UTC)
    urls = []
    for f in range(6):
        origin.static(f"/f{f}.xml", rss_feed(f, 4, now))
        urls.append(origin.url(f"/f{f}.xml"))
    config = write_config(tmp_path, urls)
    d = start_daemon(config, notify_dir, 0)
    d.wait_ready()
    wait_until(lambda: parsed_feeds(tmp_path) == len(urls), what="feeds parsed")
    kids = descendants(d.proc.pid)
    assert kids, "no parse worker found under the daemon"
    os.kill(d.proc.pid, signal.SIGKILL)
    assert d.wait() == -signal.SIGKILL
    end = time.monotonic() + ORPHAN_GRACE_S
    while any(alive(p) for p in kids) and time.monotonic() < end:
        time.sleep(0.05)
    left = [p for p in kids if alive(p)]
    for p in left:  # never leave them behind, even when the assertion fails
        os.kill(p, signal.SIGKILL)
    assert not left, f"descendants alive {ORPHAN_GRACE_S} s after SIGKILL: {left}"
