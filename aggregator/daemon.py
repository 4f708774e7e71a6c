"""``aggregator run``: the daemon (I/O: network, disk, signals, systemd notify socket).

APScheduler 3.x in asyncio runs a few fixed jobs — poll tick, publish, retention cleanup,
WAL checkpoint — while per-feed schedule state stays in SQLite (``feeds.next_check_at``).
The poll tick has ``max_instances=1`` and ``coalesce``: a tick that overruns its interval,
a suspend/resume or a clock step never starts a second concurrent poll nor a burst of missed
ones (SCH-01..03); which feeds are due is a store query, so a missed tick only delays them.

SIGTERM/SIGINT: stop taking work, let in-flight fetches finish for up to
``daemon.stop_timeout_s``, cancel the rest (their transactions roll back), close the store,
tell systemd STOPPING, exit 0. WATCHDOG=1 is sent only while the loop runs and the database
answers, so a wedged daemon is restarted by systemd (PROC-02).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from aggregator import sdnotify
from aggregator.config import Config
from aggregator.store import Store, utc_iso

log = logging.getLogger("aggregator.daemon")

#: A tick that has not finished after this many tick intervals counts as stuck (no watchdog).
STUCK_TICK_FACTOR = 10
#: Feeds started per tick, as a multiple of the global fetch concurrency: after a long
#: suspend every feed is due, and this spreads them over ticks instead of one storm.
FEEDS_PER_TICK_FACTOR = 8


def _now() -> datetime:
    return datetime.now(UTC)


class Daemon:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.store: Store | None = None
        self.stopping = asyncio.Event()
        self.tick_started: float | None = None
        self.last_tick_s: float = 0.0
        self.ticks = 0
        self.tick_seconds_total = 0.0
        self.fetch_status: dict[str, int] = {}
        self.last_publish: float = 0.0
        self.dirty = True
        self._poll_task: asyncio.Task[None] | None = None

    # -- jobs ---------------------------------------------------------------------------------
    async def tick(self) -> None:
        """Poll the feeds that are due now."""
        if self.stopping.is_set() or self.store is None:
            return
        from aggregator.pipeline import Pipeline

        store = self.store
        started = time.monotonic()
        self.tick_started = started
        feeds = store.due_feeds(
            _now(),
            per_host_cap=self.cfg.schedule.per_host_due_cap,
            limit=self.cfg.fetch.concurrency * FEEDS_PER_TICK_FACTOR,
        )
        try:
            if feeds:
                pipeline = Pipeline(self.cfg, store)
                try:
                    report = await pipeline.poll(feeds, _now, stop=self.stopping)
                finally:
                    pipeline.close()
                for o in report.outcomes:
                    key = str(o.status) if o.status is not None else "error"
                    self.fetch_status[key] = self.fetch_status.get(key, 0) + 1
                if report.new_items or report.clustered:
                    self.dirty = True
                sdnotify.status(
                    f"last poll: {len(feeds)} feeds, {report.new_items} new items,"
                    f" {report.errors} errors"
                )
        finally:
            self.last_tick_s = time.monotonic() - started
            self.ticks += 1
            self.tick_seconds_total += self.last_tick_s
            self.tick_started = None
        if self.dirty:
            self.publish()

    def publish(self) -> None:
        if self.store is None:
            return
        from aggregator.outputs import publish_outputs

        publish_outputs(self.cfg, self.store, _now())
        self.last_publish = time.monotonic()
        self.dirty = False

    def periodic_publish(self) -> None:
        """Rewrite outputs at least every publish_interval_s (feeds' relative times move)."""
        self.dirty = True
        self.publish()

    def cleanup(self) -> None:
        if self.store is not None and self.cfg.daemon.retention_days > 0:
            from aggregator.maintenance import apply_retention

            cutoff = _now() - timedelta(days=self.cfg.daemon.retention_days)
            apply_retention(self.store, cutoff)

    def checkpoint(self) -> None:
        if self.store is not None:
            from aggregator.maintenance import checkpoint

            checkpoint(self.store)

    # -- health -------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": False}
        if self.store is None:
            out["error"] = "store not open"
            return out
        try:
            self.store.conn.execute("SELECT 1").fetchone()
            last = self.store.conn.execute("SELECT MAX(last_success_at) FROM feeds").fetchone()[0]
        except Exception as exc:
            out["error"] = f"database: {exc}"
            return out
        out["last_successful_poll_at"] = last
        if last:
            out["last_successful_poll_age_s"] = round(
                (_now() - datetime.fromisoformat(last.replace("Z", "+00:00"))).total_seconds()
            )
        stuck = (
            self.tick_started is not None
            and time.monotonic() - self.tick_started > STUCK_TICK_FACTOR * self.cfg.daemon.tick_s
        )
        out["tick_stuck"] = stuck
        out["ok"] = not stuck
        return out

    def metrics(self) -> str:
        from aggregator.maintenance import prometheus_metrics

        if self.store is None:
            return ""
        return prometheus_metrics(
            self.store,
            _now(),
            fetch_status=self.fetch_status,
            ticks=self.ticks,
            tick_seconds_total=self.tick_seconds_total,
            last_tick_s=self.last_tick_s,
        )

    async def watchdog_loop(self) -> None:
        interval = sdnotify.watchdog_interval_s()
        if interval is None:
            return
        while not self.stopping.is_set():
            if self.health()["ok"]:
                sdnotify.watchdog()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=interval)

    # -- lifecycle ----------------------------------------------------------------------------
    async def run(self) -> int:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        from aggregator.cli import sync_opml
        from aggregator.serve import FeedServer

        cfg = self.cfg
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        self.store = Store.open(cfg.store_path, cfg.store)
        added = sync_opml(cfg, self.store)
        log.info("store=%s feeds_added=%d", cfg.store_path, added)
        server = FeedServer(cfg.server, cfg.publish_dir, health=self.health, metrics=self.metrics)
        await server.start()
        log.info("serving on http://%s:%s/", cfg.server.host, server.port)
        sched = AsyncIOScheduler(timezone=UTC)
        d = cfg.daemon
        sched.add_job(
            self.tick_job,
            "interval",
            seconds=d.tick_s,
            id="poll_tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=d.tick_s,
            next_run_time=datetime.now(UTC),
        )
        sched.add_job(
            self.periodic_publish,
            "interval",
            seconds=d.publish_interval_s,
            id="publish",
            max_instances=1,
            coalesce=True,
        )
        sched.add_job(
            self.cleanup, "interval", hours=6, id="retention", max_instances=1, coalesce=True
        )
        sched.add_job(
            self.checkpoint,
            "interval",
            seconds=d.checkpoint_interval_s,
            id="wal_checkpoint",
            max_instances=1,
            coalesce=True,
        )
        sched.start()
        watchdog = asyncio.create_task(self.watchdog_loop())
        sdnotify.ready(f"serving on {cfg.server.host}:{server.port}")
        try:
            await self.stopping.wait()
        finally:
            log.info("stopping")
            sdnotify.stopping()
            sched.shutdown(wait=False)
            if self._poll_task is not None and not self._poll_task.done():
                try:
                    await asyncio.wait_for(asyncio.shield(self._poll_task), d.stop_timeout_s)
                except (TimeoutError, asyncio.CancelledError, Exception):
                    self._poll_task.cancel()
                    with contextlib.suppress(BaseException):
                        await self._poll_task
            watchdog.cancel()
            await server.stop()
            if self.store is not None:
                with contextlib.suppress(Exception):
                    self.store.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                self.store.close()
                self.store = None
        log.info("stopped")
        return 0

    async def tick_job(self) -> None:
        """APScheduler entry: runs the tick as a task the shutdown path can wait for."""
        self._poll_task = asyncio.create_task(self._safe_tick())
        await self._poll_task

    async def _safe_tick(self) -> None:
        try:
            await self.tick()
        except Exception:  # one bad tick must not kill the daemon
            log.exception("poll tick failed")


def run(cfg: Config) -> int:
    return asyncio.run(Daemon(cfg).run())


def iso_now() -> str:
    return utc_iso(_now())
