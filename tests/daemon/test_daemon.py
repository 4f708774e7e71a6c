"""The daemon as systemd runs it: ``aggregator --config X run`` in a subprocess, feeds from a
local origin on 127.0.0.1, a ``NOTIFY_SOCKET`` we read (READY, STATUS, WATCHDOG, STOPPING),
the HTTP outputs, SIGTERM mid-poll (PROC-01), SIGKILL mid-poll five times (DB-01/02) and a
foreign writer holding the lock (DB-04). Also the scheduler guard against a backward clock
step (SCH-03), in process."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from conftest import make_config
from origin import Origin
from synthetic import words

from aggregator.opml import Subscription, write_opml

#: Upper bound for any wait on the daemon (seconds); every loop below is bounded by it.
WAIT_S = 30.0
#: WATCHDOG_USEC we hand the daemon: 1 s → a ping every 0.5 s (two per period).
WATCHDOG_USEC = 1_000_000
#: AF_UNIX path limit on Linux is 108 bytes; longer tmp paths fall back to a short temp dir.
SUN_PATH_MAX = 100


# -- helpers -------------------------------------------------------------------------------
#: Words for generated headlines: each item draws its own, so no two items look alike to
#: the near-duplicate or clustering stages (these tests are about the daemon, not them).


def rss_feed(feed_no: int, n_items: int, now: datetime) -> bytes:
    items = "".join(
        f'<item><guid isPermaLink="false">f{feed_no}-i{i}</guid>'
        f"<link>http://news{feed_no}.example.org/story/{i}</link>"
        f"<title>{words(feed_no * 1000 + i, 6)} {feed_no}-{i}</title>"
        f"<description>{words(feed_no * 1000 + i + 500_000, 14)}</description>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=i), usegmt=True)}</pubDate></item>"
        for i in range(n_items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {feed_no}</title><link>http://news{feed_no}.example.org/</link>"
        f"{items}</channel></rss>"
    ).encode()


def write_config(tmp_path: Path, urls: list[str], **extra: dict[str, object]) -> Path:
    (tmp_path / "feeds.opml").write_bytes(write_opml([Subscription(url=u) for u in urls]))
    sections: dict[str, dict[str, object]] = {
        "feeds": {"opml": "feeds.opml"},
        "store": {"path": "db/aggregator.db"},
        "publish": {"dir": "public"},
        "fetch": {"allow_private_networks": True, "per_host_min_gap_s": 0.0, "deadline_s": 10.0},
        "schedule": {"per_host_due_cap": 1000},
        "cluster": {"backend": "none"},
        "server": {"host": "127.0.0.1", "port": 0},
        "daemon": {"tick_s": 1, "stop_timeout_s": 5.0},
    }
    for k, v in extra.items():
        sections.setdefault(k, {}).update(v)
    make_config(tmp_path, **sections)  # validates the keys and values
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value)}")
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Notifications:
    """Datagrams the daemon sent to ``$NOTIFY_SOCKET``, read by a thread."""

    path: str
    messages: list[tuple[float, str]] = field(default_factory=list)
    _sock: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Notifications:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.path)
        self._sock.settimeout(0.1)
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append((time.monotonic(), data.decode()))

    def close(self) -> None:
        self._stop.set()
        if self._sock is not None:
            self._sock.close()

    def with_key(self, key: str) -> list[str]:
        return [m for _t, m in self.messages if any(ln.startswith(key) for ln in m.split("\n"))]

    def wait_for(self, key: str, timeout: float = WAIT_S) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.with_key(key)
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"no {key} within {timeout} s; got {self.messages}")


@dataclass
class Daemon:
    proc: subprocess.Popen[bytes]
    notes: Notifications
    log_path: Path

    @property
    def port(self) -> int:
        ready = self.notes.wait_for("READY=1")
        m = re.search(r"serving on [\d.]+:(\d+)", ready)
        assert m, ready
        return int(m.group(1))

    def get(self, path: str) -> tuple[int, str, bytes]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Content-Type", ""), exc.read()

    def wait_ready(self, timeout: float = WAIT_S) -> str:
        """The READY=1 message; fails at once (with the log) if the daemon exits first."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            found = self.notes.with_key("READY=1")
            if found:
                return found[0]
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise AssertionError(f"no READY=1 within {timeout} s")

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = WAIT_S) -> int:
        return self.proc.wait(timeout=timeout)


@pytest.fixture
def notify_dir(tmp_path: Path) -> Iterator[Path]:
    if len(str(tmp_path / "notify-0.sock")) < SUN_PATH_MAX:
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(prefix="nfy") as d:
        yield Path(d)


_started: list[Daemon] = []


def start_daemon(config: Path, notify_dir: Path, n: int = 0) -> Daemon:
    notes = Notifications(str(notify_dir / f"notify-{n}.sock")).start()
    env = {
        **os.environ,
        "NOTIFY_SOCKET": notes.path,
        "WATCHDOG_USEC": str(WATCHDOG_USEC),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("WATCHDOG_PID", None)
    log_path = config.parent / f"daemon-{n}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "aggregator.cli", "--config", str(config), "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    d = Daemon(proc, notes, log_path)
    _started.append(d)
    return d


@pytest.fixture(autouse=True)
def _reap() -> Iterator[None]:
    """No daemon outlives its test, whatever the test did."""
    yield
    while _started:
        d = _started.pop()
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait(timeout=10)
        d.notes.close()


def db_connect(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "db" / "aggregator.db", timeout=10)


def integrity(tmp_path: Path) -> str:
    with db_connect(tmp_path) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


def wait_until(cond: object, timeout: float = WAIT_S, what: str = "") -> None:
    assert callable(cond)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or cond}")


# -- tests ---------------------------------------------------------------------------------
def test_run_notifies_serves_and_stops_cleanly(
    tmp_path: Path, notify_dir: Path, origin: Origin
) -> None:
    now = datetime.now(UTC)
    n_feeds, n_items = 3, 4
    for f in range(n_feeds):
        origin.static(f"/f{f}.xml", rss_feed(f, n_items, now), etag=f'"f{f}"')
    config = write_config(tmp_path, [origin.url(f"/f{f}.xml") for f in range(n_feeds)])
    d = start_daemon(config, notify_dir)
    ready = d.wait_ready()
    assert "STATUS=serving on 127.0.0.1:" in ready
    assert d.port > 0

    def all_in() -> bool:
        _s, _t, body = d.get("/items.json")
        return len(json.loads(body)["items"]) == n_feeds * n_items

    wait_until(all_in, what="events published")
    d.notes.wait_for("STATUS=last poll:")
    expected = {
        "/events.atom": "application/atom+xml",
        "/events.rss": "application/rss+xml",
        "/events.json": "application/feed+json",
        "/items.atom": "application/atom+xml",
        "/items.rss": "application/rss+xml",
        "/items.json": "application/feed+json",
        "/": "text/html",
    }
    for path, media in expected.items():
        status, ctype, body = d.get(path)
        assert status == 200 and ctype.startswith(media), (path, status, ctype)
        assert b"0-3" in body
    status, ctype, body = d.get("/healthz")
    health = json.loads(body)
    assert status == 200 and ctype.startswith("application/json") and health["ok"] is True
    assert health["last_successful_poll_at"]
    status, ctype, body = d.get("/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
    assert f"aggregator_items {n_feeds * n_items}" in body.decode()
    assert 'aggregator_fetches_total{status="200"} 3' in body.decode()
    # the watchdog is pinged about twice per WATCHDOG_USEC while healthy
    wait_until(lambda: len(d.notes.with_key("WATCHDOG=1")) >= 3, what="3 watchdog pings")
    # conditional GET on later polls is the pipeline's job; here: nothing polled twice yet
    assert all(origin.hits(f"/f{f}.xml") == 1 for f in range(n_feeds))

    d.proc.send_signal(signal.SIGTERM)
    assert d.wait() == 0, d.log()
    d.notes.wait_for("STOPPING=1", timeout=1)
    assert integrity(tmp_path) == "ok"
    assert "Traceback" not in d.log(), d.log()
    with db_connect(tmp_path) as db:
        assert db.execute("SELECT COUNT(*) FROM items WHERE event_id IS NULL").fetchone()[0] == 0


def test_sigterm_mid_poll_waits_then_cancels(
    tmp_path: Path, notify_dir: Path, origin: Origin
) -> None:
    """PROC-01: the fast feed is committed, the one hanging past stop_timeout_s is cancelled
    and left as it was (due again at the next start); exit 0 within the budget."""
    now = datetime.now(UTC)
    origin.static("/fast.xml", rss_feed(1, 3, now))
    origin.static("/slow.xml", rss_feed(2, 3, now), delay_s=8.0)
    stop_timeout_s = 1.0
    config = write_config(
        tmp_path,
        [origin.url("/fast.xml"), origin.url("/slow.xml")],
        daemon={"stop_timeout_s": stop_timeout_s},
    )
    d = start_daemon(config, notify_dir)
    d.wait_ready()
    wait_until(lambda: origin.hits("/slow.xml") == 1, what="slow fetch started")
    with db_connect(tmp_path) as db:
        wait_until(
            lambda: db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 3,
            what="fast feed committed",
        )
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    assert d.wait() == 0, d.log()
    took = time.monotonic() - t0
    assert took < stop_timeout_s + 5.0, took
    assert d.notes.with_key("STOPPING=1")
    assert "cancelling it" in d.log()
    assert integrity(tmp_path) == "ok"
    with db_connect(tmp_path) as db:
        rows = dict(db.execute("SELECT url, last_body_hash IS NOT NULL FROM feeds"))
        assert rows == {origin.url("/fast.xml"): 1, origin.url("/slow.xml"): 0}
        # the poll was cut off before clustering; the next start builds the events first
        assert db.execute("SELECT COUNT(*) FROM items WHERE event_id IS NULL").fetchone()[0] == 3
    d = start_daemon(config, notify_dir, 1)
    d.wait_ready()
    with db_connect(tmp_path) as db:
        n_pending = db.execute("SELECT COUNT(*) FROM items WHERE event_id IS NULL").fetchone()[0]
    assert n_pending == 0
    status, _t, body = d.get("/items.json")
    assert status == 200 and len(json.loads(body)["items"]) == 3
    status, _t, body = d.get("/events.json")
    assert status == 200 and json.loads(body)["items"]
    d.proc.send_signal(signal.SIGTERM)
    assert d.wait() == 0, d.log()


def check_consistent(tmp_path: Path, expected: dict[str, int]) -> tuple[int, int]:
    """Each feed update in full or not at all; returns (feeds done, items)."""
    assert integrity(tmp_path) == "ok"
    with db_connect(tmp_path) as db:
        rows = db.execute(
            "SELECT f.url, f.last_body_hash, f.etag, COUNT(i.id), COUNT(DISTINCT i.guid)"
            " FROM feeds f LEFT JOIN items i ON i.feed_id = f.id GROUP BY f.id"
        ).fetchall()
        total = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        fetched = dict(db.execute("SELECT feed_id, COUNT(*) FROM fetches GROUP BY feed_id"))
    done = 0
    for url, body_hash, etag, n, distinct in rows:
        assert n == distinct  # UNIQUE(feed_id, guid) and no copies
        if body_hash is None:
            assert n == 0 and etag is None, (url, n)  # nothing, not half
        else:
            assert n == expected[url], (url, n)  # everything
            done += 1
    assert total == sum(r[3] for r in rows)
    assert len(fetched) == done  # a fetches row only with a committed update
    return done, total


def test_sigkill_mid_poll_five_times(tmp_path: Path, notify_dir: Path, origin: Origin) -> None:
    """DB-01/02: SIGKILL lands mid-poll five times; after each, integrity ok, every feed
    update present in full or not at all, no duplicates; a final run completes the rest and
    builds an event for every item, including those stored just before a kill."""
    now = datetime.now(UTC)
    n_feeds, n_items = 30, 15
    urls, expected = [], {}
    for f in range(n_feeds):
        # 0.2–1.6 s per fetch, 4 at a time: a poll spans ~6 s, so kills land mid-poll.
        origin.static(
            f"/k{f}.xml", rss_feed(f, n_items, now), etag=f'"k{f}"', delay_s=0.2 + (f % 8) * 0.2
        )
        urls.append(origin.url(f"/k{f}.xml"))
        expected[urls[-1]] = n_items
    config = write_config(tmp_path, urls, fetch={"concurrency": 4})
    progress = [(0, 0)]

    def feeds_done() -> int:
        try:
            with db_connect(tmp_path) as db:
                sql = "SELECT COUNT(*) FROM feeds WHERE last_body_hash IS NOT NULL"
                return int(db.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:  # no database or schema yet
            return 0

    for run in range(5):
        before = progress[-1][0]
        d = start_daemon(config, notify_dir, run)
        d.wait_ready()
        # Kill once this run has committed a couple of feeds, at a varying moment after,
        # while other fetches are in flight.
        wait_until(lambda before=before: feeds_done() >= before + 2, what="progress")
        time.sleep(0.05 * run)
        d.proc.send_signal(signal.SIGKILL)
        assert d.wait() == -signal.SIGKILL
        progress.append(check_consistent(tmp_path, expected))
    done_counts = [p[0] for p in progress[1:]]
    # restarts resume and never lose committed work; every kill landed mid-poll
    assert done_counts == sorted(set(done_counts)), done_counts
    assert done_counts[-1] < n_feeds, done_counts
    # committed feeds are not refetched after a restart (their next check is in the future)
    assert max(origin.hits(f"/k{f}.xml") for f in range(n_feeds)) <= 5

    d = start_daemon(config, notify_dir, 99)
    d.wait_ready()
    with db_connect(tmp_path) as db:

        def finished() -> bool:
            row = db.execute("SELECT COUNT(*), COUNT(event_id) FROM items").fetchone()
            return bool(row[0] == n_feeds * n_items and row[1] == row[0])

        wait_until(finished, what="all items stored and clustered")
    d.proc.send_signal(signal.SIGTERM)
    assert d.wait() == 0, d.log()
    assert check_consistent(tmp_path, expected) == (n_feeds, n_feeds * n_items)
    with db_connect(tmp_path) as db:
        n_events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        orphans = db.execute(
            "SELECT COUNT(*) FROM events e WHERE NOT EXISTS"
            " (SELECT 1 FROM items i WHERE i.event_id = e.id)"
        ).fetchone()[0]
    # every item in an event (the lexical backend groups the look-alike headlines), none empty
    assert 0 < n_events <= n_feeds * n_items and orphans == 0


def test_foreign_writer_holding_the_lock(tmp_path: Path, notify_dir: Path, origin: Origin) -> None:
    """DB-04: another connection (a CLI, a plugin) holds the write lock for 2 s: the daemon's
    writes wait (busy_timeout) and succeed. Taken before the daemon starts, so its very first
    writes (schema check, OPML sync) are certain to meet it; then a second hold mid-poll."""
    now = datetime.now(UTC)
    for f in range(3):
        origin.static(f"/w{f}.xml", rss_feed(f, 5, now), delay_s=0.5)
    config = write_config(tmp_path, [origin.url(f"/w{f}.xml") for f in range(3)])
    cfg = make_config(tmp_path, store={"path": "db/aggregator.db"})
    from aggregator.store.core import Store

    Store.open(cfg.store_path, cfg.store).close()  # schema exists; the daemon's writes wait
    other = db_connect(tmp_path)
    other.isolation_level = None
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE feeds SET title = title")
    d = start_daemon(config, notify_dir)
    time.sleep(2.0)
    assert not d.notes.with_key("READY=1")  # still waiting for the lock
    released_at = time.monotonic()
    other.execute("COMMIT")
    d.wait_ready()
    ready_at = next(t for t, m in d.notes.messages if "READY=1" in m)
    assert ready_at >= released_at
    # Second hold while the fetches are in flight: their commits wait for it.
    wait_until(lambda: origin.hits() >= 1, what="a fetch started")
    other.execute("BEGIN IMMEDIATE")
    time.sleep(2.0)
    other.execute("COMMIT")
    other.close()
    with db_connect(tmp_path) as db:
        wait_until(
            lambda: db.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 15,
            what="items after the lock",
        )
        errors = db.execute("SELECT COUNT(*) FROM fetches WHERE error IS NOT NULL").fetchone()[0]
    assert errors == 0
    d.proc.send_signal(signal.SIGTERM)
    assert d.wait() == 0
    assert "store_failed" not in d.log() and "locked" not in d.log(), d.log()
    assert integrity(tmp_path) == "ok"


def test_guard_rearms_a_job_after_the_wall_clock_steps_back(tmp_path: Path) -> None:
    """SCH-03: APScheduler plans on the wall clock; after a −1 h step its next run would be
    an hour away. The monotonic guard notices the job is overdue and runs it now."""
    import asyncio

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from aggregator.daemon import loop as daemon_mod

    async def scenario() -> tuple[list[str], datetime | None]:
        dm = daemon_mod.Daemon(make_config(tmp_path, daemon={"tick_s": 1}))
        sched = AsyncIOScheduler(timezone=UTC)
        dm._sched = sched
        calls: list[int] = []

        async def job() -> None:
            calls.append(1)

        # As if planned before the clock stepped back by an hour.
        dm._add_job(sched, "poll_tick", job, 1, first_run=datetime.now(UTC) + timedelta(hours=1))
        sched.start()
        try:
            assert dm.rearm_overdue_jobs() == []  # just added: not overdue
            interval, _last = dm._job_runs["poll_tick"]
            dm._job_runs["poll_tick"] = (interval, time.monotonic() - 10 * interval)
            rearmed = dm.rearm_overdue_jobs()
            for _ in range(50):
                if calls:
                    break
                await asyncio.sleep(0.05)
            job_obj = sched.get_job("poll_tick")
            assert calls, "the re-armed job did not run"
            return rearmed, job_obj.next_run_time if job_obj else None
        finally:
            sched.shutdown(wait=False)

    rearmed, next_run = asyncio.run(scenario())
    assert rearmed == ["poll_tick"]
    assert next_run is not None and next_run < datetime.now(UTC) + timedelta(seconds=5)


def test_resume_after_suspend_runs_a_missed_job_once(tmp_path: Path) -> None:
    """SCH-02: after a 3 h suspend the poll job is 10,800 runs late; it runs once
    (coalesced, no grace limit), not a storm and not skipped."""
    import asyncio

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from aggregator.daemon import loop as daemon_mod

    async def scenario() -> int:
        dm = daemon_mod.Daemon(make_config(tmp_path))
        sched = AsyncIOScheduler(timezone=UTC)
        calls: list[int] = []

        async def job() -> None:
            calls.append(1)

        suspended_at = datetime.now(UTC) - timedelta(hours=3)
        dm._add_job(sched, "poll_tick", job, 1, first_run=suspended_at)
        sched.start()
        await asyncio.sleep(0.5)  # less than one interval: only the catch-up run
        sched.shutdown(wait=False)
        return len(calls)

    assert asyncio.run(scenario()) == 1


def test_stuck_poll_stops_the_watchdog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PROC-02: a poll with no progress for longer than the stuck limit makes health not ok,
    so the watchdog loop stops pinging and systemd restarts the service."""
    import asyncio

    from aggregator.daemon import loop as daemon_mod
    from aggregator.store.core import Store

    cfg = make_config(tmp_path, daemon={"tick_s": 1})
    dm = daemon_mod.Daemon(cfg)
    assert dm.health()["ok"] is False  # store not open yet
    dm.store = Store.open(cfg.store_path, cfg.store)
    sent: list[str] = []

    def fake_watchdog() -> bool:
        sent.append("WATCHDOG=1")
        return True

    from aggregator.daemon import sdnotify

    monkeypatch.setattr(sdnotify, "watchdog", fake_watchdog)
    monkeypatch.setenv("WATCHDOG_USEC", "100000")  # a ping every 50 ms while healthy
    monkeypatch.delenv("WATCHDOG_PID", raising=False)

    async def pings_in(seconds: float) -> int:
        sent.clear()
        dm.stopping.clear()
        task = asyncio.create_task(dm.watchdog_loop())
        await asyncio.sleep(seconds)
        dm.stopping.set()
        await task
        return len(sent)

    async def scenario() -> tuple[int, int]:
        healthy = await pings_in(0.2)
        dm.tick_progress_at = time.monotonic() - dm.stuck_after_s() + 5
        assert dm.health()["ok"] is True  # a slow poll that still progresses is fine
        dm.tick_progress_at = time.monotonic() - dm.stuck_after_s() - 1
        h = dm.health()
        assert h["ok"] is False and h["tick_stuck"] is True
        return healthy, await pings_in(0.2)

    try:
        dm.stopping = asyncio.Event()
        healthy, stuck = asyncio.run(scenario())
        assert healthy >= 2  # healthy: pings
        assert stuck == 0  # stuck: silence, so systemd's WatchdogSec fires
    finally:
        dm.store.close()


def test_an_outline_removed_while_running_unsubscribes_at_the_next_tick(
    tmp_path: Path, notify_dir: Path, origin: Origin
) -> None:
    """Issue 15 item 10: feeds.opml is the source of truth for a running daemon too."""
    now = datetime.now(UTC)
    for f in range(2):
        origin.static(f"/f{f}.xml", rss_feed(f, 2, now), etag=f'"f{f}"')
    urls = [origin.url(f"/f{f}.xml") for f in range(2)]
    config = write_config(tmp_path, urls)
    d = start_daemon(config, notify_dir)
    d.wait_ready()
    d.notes.wait_for("STATUS=last poll:")
    time.sleep(0.05)  # a new mtime even on coarse-grained file systems
    (tmp_path / "feeds.opml").write_bytes(write_opml([Subscription(url=urls[0])]))

    def unsubscribed() -> bool:
        with db_connect(tmp_path) as db:
            row = db.execute("SELECT unsubscribed_at FROM feeds WHERE url = ?", (urls[1],))
            return row.fetchone()[0] is not None

    wait_until(unsubscribed, what="the removed outline's feed unsubscribed")
    with db_connect(tmp_path) as db:
        kept = db.execute(
            "SELECT COUNT(*) FROM items i JOIN feeds f ON f.id = i.feed_id WHERE f.url = ?",
            (urls[1],),
        ).fetchone()[0]
    assert kept == 2  # its items stay
    d.proc.send_signal(signal.SIGTERM)
    assert d.wait() == 0, d.log()
    assert "Traceback" not in d.log(), d.log()


def test_outputs_rewritten_at_most_once_per_publish_min_gap(tmp_path: Path, origin: Origin) -> None:
    """A tick that stored something rewrites the outputs only when the last rewrite is
    ``publish_min_gap_s`` old: at 75,000 feeds (~300 ticks per 15 min) a rewrite after every
    tick was the largest cost after fetching (bench/scale.py). The dirty state is kept, so a later
    tick or the publish job writes what is left."""
    import asyncio

    from origin import Request, Response

    from aggregator.daemon import loop as daemon_mod
    from aggregator.pipeline.refresh import Pipeline
    from aggregator.store.core import Store

    hits = [0]

    def feed(req: Request, o: Origin) -> Response:
        hits[0] += 1
        body = "".join(
            f"<item><guid>g{i}</guid><title>{words(i, 6)}</title>"
            f"<description>{words(100 + i, 40)}</description></item>"
            for i in range(hits[0])
        )
        return Response(200, {"Content-Type": "application/rss+xml"},
                        f'<rss version="2.0"><channel><title>t</title>{body}</channel></rss>'
                        .encode())

    origin.route("/f.xml", feed)
    cfg = make_config(tmp_path, daemon={"publish_min_gap_s": 3600.0})
    index = cfg.publish_dir / "index.html"

    async def scenario() -> list[bool]:
        dm = daemon_mod.Daemon(cfg)
        dm.store = store = Store.open(cfg.store_path, cfg.store)
        dm.pipeline = Pipeline(cfg, store)
        written = []
        try:
            fid = store.add_feed(origin.url("/f.xml"), now=datetime.now(UTC))
            for _ in range(2):
                store.db["feeds"].update(fid, {"next_check_at": "2000-01-01T00:00:00Z"})
                before = index.stat().st_mtime_ns if index.exists() else None
                await dm.tick()
                written.append(index.exists() and index.stat().st_mtime_ns != before)
            assert dm.dirty  # the second tick's items are still to be written
        finally:
            dm.pipeline.close()
            store.close()
        return written

    assert asyncio.run(scenario()) == [True, False]
    assert hits[0] == 2


def test_due_feeds_past_one_batch_are_polled_at_once_and_politely(
    tmp_path: Path, notify_dir: Path, origin: Origin
) -> None:
    """Daemon pace (issue 15): a tick takes at most ``concurrency × 8`` due feeds; when it
    took a full batch, the next tick starts at once, not ``tick_s`` later — a tick every
    60 s capped one machine at 3,840 feeds per 15 minutes. Here 1 × 8 feeds a tick, 40 feeds
    due, ``tick_s`` = 60: every feed is fetched well within the first interval (before: 8,
    and the next 8 a minute later), and requests to the one host keep its minimum gap
    across ticks too."""
    gap_s = 0.15
    urls = []
    for i in range(40):
        origin.static(f"/pace{i}.xml", rss_feed(i, 1, datetime.now(UTC)))
        urls.append(origin.url(f"/pace{i}.xml"))
    config = write_config(
        tmp_path, urls,
        daemon={"tick_s": 60},
        fetch={"concurrency": 1, "per_host_min_gap_s": gap_s},
    )  # fmt: skip
    d = start_daemon(config, notify_dir)
    d.wait_ready()
    wait_until(lambda: origin.hits() >= 40, timeout=40, what="all 40 feeds fetched")
    d.proc.send_signal(signal.SIGTERM)
    assert d.wait() == 0
    starts = sorted(r.at_monotonic for r in origin.log)
    assert len(starts) == 40, f"a feed was fetched twice: {len(starts)} requests"
    # The fetcher starts requests gap_s apart; arrival can jitter by the connect time.
    closest = min(b - a for a, b in itertools.pairwise(starts))
    assert closest >= gap_s * 0.6, f"two requests to one host {closest:.3f} s apart"
    assert len(re.findall(r"polled 8 feeds", d.log())) == 5, d.log()[-2000:]


def test_sch_01_overrunning_polls_never_fetch_one_feed_twice_at_once(
    tmp_path: Path, notify_dir: Path, origin: Origin
) -> None:
    """SCH-01 against the real daemon, with ticks chained (1 × 8 feeds a tick, 20 feeds due
    every second) and one feed slower than the tick interval: no feed is ever fetched twice
    at once, polling goes on (every feed fetched again and again), and the daemon answers
    and stops cleanly."""
    from origin import Request, Response

    lock = threading.Lock()
    inflight: dict[str, int] = {}
    worst: dict[str, int] = {}

    def handler(delay_s: float, body: bytes) -> Callable[[Request, Origin], Response]:
        def answer(req: Request, o: Origin) -> Response:
            with lock:
                inflight[req.path] = inflight.get(req.path, 0) + 1
                worst[req.path] = max(worst.get(req.path, 0), inflight[req.path])
            try:
                time.sleep(delay_s)
                return Response(200, {"Content-Type": "application/rss+xml"}, body)
            finally:
                with lock:
                    inflight[req.path] -= 1

        return answer

    urls = []
    for i in range(20):
        delay = 2.5 if i == 0 else 0.0
        origin.route(f"/s{i}.xml", handler(delay, rss_feed(i, 1, datetime.now(UTC))))
        urls.append(origin.url(f"/s{i}.xml"))
    config = write_config(
        tmp_path, urls,
        daemon={"tick_s": 1},
        fetch={"concurrency": 1},
        schedule={"min_interval_s": 1, "default_interval_s": 1, "max_interval_s": 2,
                  "jitter_fraction": 0.0},
    )  # fmt: skip
    d = start_daemon(config, notify_dir)
    d.wait_ready()
    wait_until(lambda: origin.hits("/s0.xml") >= 3, timeout=40, what="the slow feed polled 3 times")
    assert d.get("/healthz")[0] == 200
    d.proc.send_signal(signal.SIGTERM)
    assert d.wait() == 0
    assert worst and max(worst.values()) == 1, worst
    assert all(origin.hits(f"/s{i}.xml") >= 2 for i in range(20)), {
        i: origin.hits(f"/s{i}.xml") for i in range(20)
    }
    assert "Traceback" not in d.log()


def test_load_07_retry_after_holds_across_chained_ticks(
    tmp_path: Path, notify_dir: Path, origin: Origin
) -> None:
    """LOAD-07 with ticks chained back to back: a host that answers 429 with Retry-After is
    left alone for that long by the following ticks too, not only by the rest of its own
    tick (each tick has its own fetcher) — while another host's due feeds go on."""
    with Origin(host="127.0.0.2") as other:
        urls = []
        for i in range(12):
            origin.status(f"/busy{i}.xml", 429, headers={"Retry-After": "60"})
            urls.append(origin.url(f"/busy{i}.xml"))
            other.static(f"/ok{i}.xml", rss_feed(i, 1, datetime.now(UTC)))
            urls.append(other.url(f"/ok{i}.xml"))
        config = write_config(tmp_path, urls, daemon={"tick_s": 60}, fetch={"concurrency": 1})
        d = start_daemon(config, notify_dir)
        d.wait_ready()
        wait_until(lambda: other.hits() >= 12, timeout=40, what="the other host's 12 feeds")
        time.sleep(1.0)
        d.proc.send_signal(signal.SIGTERM)
        assert d.wait() == 0
    assert origin.hits() == 1, f"the 429 host was asked {origin.hits()} times in 60 s"
