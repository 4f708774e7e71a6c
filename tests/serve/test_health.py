"""/healthz tells the truth (issue 15, item 7): the rules (pure), then the daemon as a real
process — its store on a real, small tmpfs that we fill up; feeds that all fail; a read-only
store refused with a clear message. Feeds come from a local origin on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import count
from pathlib import Path

import pytest
from origin import Origin, Request, Response
from synthetic import words

from aggregator.opml import Subscription, write_opml
from aggregator.serve.health import HealthInputs, assess
from aggregator.store.status import FeedHealth, WriteFailure

#: Upper bound on any wait on the daemon, seconds.
WAIT_S = 40.0
T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


# -- the rules -----------------------------------------------------------------------------
def inputs(**kw: object) -> HealthInputs:
    base: dict[str, object] = {
        "feeds": FeedHealth(enabled=3, failing=0, last_success_at="2026-12-01T12:00:30Z"),
        "write_failure": None,
        "started_at": T0,
        "now": T0 + timedelta(minutes=5),
        "grace_s": 60.0,
        "tick_stuck": False,
    }
    base.update(kw)
    return HealthInputs(**base)  # type: ignore[arg-type]


def test_rules_ok_when_a_poll_succeeded_since_start() -> None:
    out = assess(inputs())
    assert out["ok"] is True and out["reasons"] == []
    assert out["last_successful_poll_age_s"] == 270


def test_rules_each_failure_has_its_reason() -> None:
    full = WriteFailure(T0, "disk full", "database or disk is full")
    out = assess(inputs(write_failure=full))
    assert out["ok"] is False and "store writes failing (disk full)" in out["reasons"][0]
    never = FeedHealth(enabled=3, failing=0, last_success_at=None)
    assert assess(inputs(feeds=never, now=T0 + timedelta(seconds=59)))["ok"] is True  # grace
    out = assess(inputs(feeds=never))
    assert out["reasons"] == ["no feed fetched successfully since start 300 s ago"]
    before_start = FeedHealth(enabled=3, failing=1, last_success_at="2026-11-30T00:00:00Z")
    assert assess(inputs(feeds=before_start))["ok"] is False
    all_failing = FeedHealth(enabled=3, failing=3, last_success_at="2026-12-01T12:00:30Z")
    assert assess(inputs(feeds=all_failing))["reasons"] == ["every feed is failing (3 of 3)"]
    assert assess(inputs(tick_stuck=True))["ok"] is False
    no_feeds = FeedHealth(enabled=0, failing=0, last_success_at=None)
    assert assess(inputs(feeds=no_feeds))["ok"] is True  # nothing to poll is not a failure


# -- the daemon as a process ---------------------------------------------------------------
def write_config(tmp: Path, urls: list[str], grace_s: float = 600.0) -> Path:
    (tmp / "feeds.opml").write_bytes(write_opml([Subscription(url=u) for u in urls]))
    (tmp / "config.toml").write_text(
        f"""
[feeds]
opml = "feeds.opml"
[store]
path = "db/aggregator.db"
[publish]
dir = "public"
[fetch]
allow_private_networks = true
per_host_min_gap_s = 0.0
deadline_s = 5.0
[schedule]
min_interval_s = 1
default_interval_s = 1
max_interval_s = 2
max_backoff_s = 1
jitter_fraction = 0.0
per_host_due_cap = 1000
[cluster]
backend = "none"
[server]
host = "127.0.0.1"
port = 0
[daemon]
tick_s = 1
stop_timeout_s = 3.0
health_grace_s = {grace_s}
""",
        encoding="utf-8",
    )
    return tmp / "config.toml"


class Daemon:
    def __init__(self, config: Path) -> None:
        self.log_path = config.parent / "daemon.log"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "aggregator.cli", "--config", str(config), "run"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                start_new_session=True,
            )
        self.port = self._wait_port()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def _wait_port(self) -> int:
        end = time.monotonic() + WAIT_S
        while time.monotonic() < end:
            m = re.search(r"serving on http://127\.0\.0\.1:(\d+)/", self.log())
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise AssertionError("daemon did not start serving")

    def health(self) -> tuple[int, dict[str, object]]:
        url = f"http://127.0.0.1:{self.port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def wait_health(self, status: int, what: str = "") -> dict[str, object]:
        end = time.monotonic() + WAIT_S
        last: tuple[int, dict[str, object]] = (0, {})
        while time.monotonic() < end:
            last = self.health()
            if last[0] == status and what in " ".join(map(str, last[1].get("reasons", []))):
                return last[1]
            time.sleep(0.2)
        raise AssertionError(f"/healthz never {status} {what!r}; last {last}\n{self.log()[-3000:]}")

    def stop(self) -> None:
        """SIGTERM (the daemon then ends its parse workers too), SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for d in started:
        d.stop()


def growing_feed(origin: Origin, path: str) -> None:
    """Every fetch has three new items of ~8 KB each: every poll writes."""
    n = count()

    def handler(req: Request, o: Origin) -> Response:
        k = next(n)
        now = datetime.now(UTC)
        items = "".join(
            f'<item><guid isPermaLink="false">{path}-{k}-{i}</guid>'
            f"<link>http://news.example.org{path}/{k}/{i}</link>"
            f"<title>{words(k * 10 + i, 6)} {k}-{i}</title>"
            f"<description>{' '.join(words(k * 1000 + i * 50 + j, 20) for j in range(50))}"
            "</description>"
            f"<pubDate>{format_datetime(now, usegmt=True)}</pubDate></item>"
            for i in range(3)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>G</title>{items}'
        body += "</channel></rss>"
        return Response(200, {"Content-Type": "application/rss+xml"}, body.encode())

    origin.route(path, handler)


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                       capture_output=True)  # fmt: skip
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder: Path) -> Path:
    """Write zeros into ``folder`` until the filesystem says it is full."""
    filler = folder / "filler"
    with contextlib.suppress(OSError), filler.open("wb", buffering=0) as f:
        while True:
            f.write(b"\0" * 65536)
    return filler


def test_db_05_healthz_not_ok_while_the_disk_is_full(
    tmp_path: Path, origin: Origin, daemons: list[Daemon]
) -> None:
    growing_feed(origin, "/grow.xml")
    config = write_config(tmp_path, [origin.url("/grow.xml")])
    with tmpfs(tmp_path / "db", "8m") as db_dir:
        d = Daemon(config)
        daemons.append(d)
        d.wait_health(200)
        filler = fill(db_dir)
        body = d.wait_health(503, "store writes failing")
        assert body["store_writable"] is False
        assert any(k in " ".join(map(str, body["reasons"])) for k in ("disk full", "I/O error"))
        time.sleep(3.5)  # 1 s ticks: several more ticks fail the same way
        full_log = d.log()
        filler.unlink()  # room again: the next commit clears it
        assert d.wait_health(200)["store_writable"] is True
        end = time.monotonic() + WAIT_S
        while "works again" not in d.log() and time.monotonic() < end:
            time.sleep(0.2)
        d.stop()
    # One clear line for the whole streak of failed ticks, not a traceback per tick.
    assert "Traceback" not in full_log, full_log[-3000:]
    failed = re.findall(r"job=poll_tick failed: store write failed \((disk full|I/O error)\)",
                        full_log)  # fmt: skip
    assert len(failed) == 1, full_log[-3000:]
    again = re.search(r"job=poll_tick works again after (\d+) failed run", d.log())
    assert again is not None and int(again.group(1)) >= 3, d.log()[-3000:]


def test_healthz_not_ok_when_no_feed_ever_succeeds(
    tmp_path: Path, origin: Origin, daemons: list[Daemon]
) -> None:
    origin.status("/gone.xml", 500)
    origin.status("/down.xml", 503)
    config = write_config(tmp_path, [origin.url("/gone.xml"), origin.url("/down.xml")], 2.0)
    d = Daemon(config)
    daemons.append(d)
    body = d.wait_health(503, "no feed fetched successfully since start")
    assert body["last_successful_poll_at"] is None
    body = d.wait_health(503, "every feed is failing (2 of 2)")


def test_proc_04_read_only_store_is_a_clear_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    db_dir = tmp_path / "db"
    run = [sys.executable, "-m", "aggregator.cli", "--config", str(config), "poll"]
    with tmpfs(db_dir, "8m"):
        first = subprocess.run(run, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        subprocess.run(["mount", "-o", "remount,ro", str(db_dir)], check=True)
        r = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "read-only" in r.stderr and "Traceback" not in r.stderr, r.stderr
