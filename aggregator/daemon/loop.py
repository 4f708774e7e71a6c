"""``aggregator run``: the daemon (I/O: network, disk, signals, systemd notify socket).

Config → a running service until SIGTERM. APScheduler 3.x in asyncio runs a few fixed jobs —
poll tick, publish, retention cleanup, WAL checkpoint — while per-feed schedule state stays
in SQLite (``feeds.next_check_at``). One :class:`~aggregator.pipeline.refresh.Pipeline` (and so one
parse worker pool) lives as long as the daemon.

- Every job is a coroutine, so it runs on the event loop thread: APScheduler runs plain
  functions in a thread pool, and the store's SQLite connection may only be used by the
  thread that opened it (and is not safe for two writers at once anyway).
- The poll tick has ``max_instances=1`` and ``coalesce``: a tick that overruns its interval,
  a suspend/resume or a forward clock step never starts a second concurrent poll nor a burst
  of missed ones (SCH-01/02); which feeds are due is a store query, so a missed tick only
  delays them, and at most ``FEEDS_PER_TICK_FACTOR × fetch.concurrency`` feeds start per tick.
- APScheduler plans on the wall clock, so a backward clock step would stall every job for
  the size of the step. A guard on the loop's monotonic clock re-arms any job that is
  overdue (SCH-03).
- SIGTERM/SIGINT: STOPPING=1, stop taking work, let the in-flight poll finish for up to
  ``daemon.stop_timeout_s``, cancel the rest (a feed's update is one transaction with no
  await inside, so a cancel never leaves half of it), close the store, exit 0 (PROC-01).
- WATCHDOG=1 is sent only while the loop runs, the database answers and the poll makes
  progress, so a wedged daemon is restarted by systemd (PROC-02).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from aggregator.config import Config
from aggregator.daemon import sdnotify
from aggregator.daemon.failures import FailureLog
from aggregator.daemon.pace import HostGap, host_of
from aggregator.pipeline.diagnose import poll_summary
from aggregator.store.core import Store, utc_iso

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from aggregator.pipeline.refresh import FeedOutcome, Pipeline

log = logging.getLogger("aggregator.daemon.loop")

#: A poll that has made no progress (no feed finished) for this many tick intervals counts
#: as stuck: no more watchdog pings, /healthz answers 503.
STUCK_TICK_FACTOR = 10
#: …but never less than this (seconds): one fetch may legitimately take ``fetch.deadline_s``
#: plus ``parse.timeout_s``, and with tests' 1 s ticks ten intervals would be too tight.
STUCK_MIN_S = 120.0
#: Feeds started per tick, as a multiple of the global fetch concurrency: after a long
#: suspend every feed is due, and this spreads them over ticks instead of one storm.
FEEDS_PER_TICK_FACTOR = 8
#: Retention runs this often (seconds): deleting old rows is not urgent.
RETENTION_INTERVAL_S = 6 * 3600
#: A job whose last start is this many of its intervals ago (monotonic clock) is re-armed
#: by the guard: the wall clock stepped back, or the scheduler lost it (SCH-01/03).
OVERDUE_FACTOR = 3


def _now() -> datetime:
    return datetime.now(UTC)


class Daemon:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.store: Store | None = None
        self.pipeline: Pipeline | None = None
        self.stopping = asyncio.Event()
        #: when this daemon started (/healthz: no successful poll since then is not ok)
        self.started_at = _now()
        #: monotonic time of the last progress of the running tick (None: no tick running).
        self.tick_progress_at: float | None = None
        self.last_tick_s: float = 0.0
        self.ticks = 0
        self.tick_seconds_total = 0.0
        self.fetch_status: dict[str, int] = {}
        self.last_publish: float = 0.0
        #: monotonic time of the last publish at the end of a tick (None: none yet).
        self._tick_published_at: float | None = None
        self.dirty = True
        self._poll_task: asyncio.Task[None] | None = None
        self._sched: AsyncIOScheduler | None = None
        #: job id → (interval seconds, monotonic time of its last start)
        self._job_runs: dict[str, tuple[float, float]] = {}
        #: feeds.opml's mtime at the last sync: an edit is applied at the next tick.
        self._opml_mtime_ns: int | None = None
        #: the last tick took a full batch of due feeds (more are likely due): the poll
        #: job starts the next tick at once (:meth:`tick_job`).
        self.batch_full = False
        self.chained_ticks = 0  # ticks started back to back by tick_job, not the scheduler
        self.host_gap = HostGap(cfg.fetch.per_host_min_gap_s)  # politeness across ticks
        #: failing jobs: one log line per failure, repeats counted (not a traceback a tick)
        self.failures = FailureLog(log)

    # -- jobs ---------------------------------------------------------------------------------
    async def tick(self) -> None:
        """Poll the feeds that are due now (or only cluster leftovers when none are due)."""
        if self.stopping.is_set() or self.store is None or self.pipeline is None:
            return
        store, pipeline = self.store, self.pipeline
        started = time.monotonic()
        self.tick_progress_at = started
        self.resync_opml_if_changed()

        def progressed(outcome: FeedOutcome) -> None:
            self.tick_progress_at = time.monotonic()
            if outcome.host_retry_after_s:  # for the next ticks too
                self.host_gap.block(host_of(outcome.url), outcome.host_retry_after_s)
            key = str(outcome.status) if outcome.status is not None else "error"
            self.fetch_status[key] = self.fetch_status.get(key, 0) + 1

        limit = self.cfg.fetch.concurrency * FEEDS_PER_TICK_FACTOR
        self.batch_full = False
        try:
            feeds = store.due_feeds(
                _now(), per_host_cap=self.cfg.schedule.per_host_due_cap, limit=limit,
                skip_host=self.host_gap.blocked,
            )  # fmt: skip
            self.batch_full = len(feeds) >= limit  # more may be due: chain the next tick
            await self.host_gap.before_tick((host_of(f.url) for f in feeds), self.stopping)
            if feeds:
                report = await pipeline.poll(feeds, _now, on_done=progressed, stop=self.stopping)
                # Only a change rewrites the outputs (304s and unchanged bodies do not).
                if (
                    report.new_items
                    or report.clustered
                    or any(o.updated_items for o in report.outcomes)
                ):
                    self.dirty = True
                sdnotify.status(
                    f"last poll: {len(feeds)} feeds, {report.new_items} new items,"
                    f" {report.errors} errors"
                )
                log.info(  # one summary line per poll (ok / not modified / failed by reason)
                    "%s",
                    poll_summary(
                        ((o.error, o.status) for o in report.outcomes),
                        new_items=report.new_items,
                        clustered=report.clustered,
                    ),
                )
            elif await pipeline.events.cluster_pending_async(_now()):
                # Items committed just before a kill, with no feed due to trigger clustering.
                self.dirty = True
        finally:
            self.host_gap.tick_ended()
            self.last_tick_s = time.monotonic() - started
            self.ticks += 1
            self.tick_seconds_total += self.last_tick_s
            self.tick_progress_at = None
        # Rewriting every output after each tick that stored something was the largest cost
        # after fetching at 75,000 feeds with ticks back to back (bench/scale.py): a tick
        # publishes at most once per publish_min_gap_s (measured from the last tick that did;
        # the start-up publish does not count); a later tick or the publish job writes the rest.
        since = self._tick_published_at
        if (
            self.dirty
            and not self.stopping.is_set()
            and (since is None or time.monotonic() - since >= self.cfg.daemon.publish_min_gap_s)
        ):
            self.publish()
            self._tick_published_at = self.last_publish

    def resync_opml_if_changed(self) -> None:
        """feeds.opml is the subscription list: an edit made while the daemon runs (an outline
        removed, a new bridge base) reaches the store at the next tick, not the next start."""
        try:
            mtime = self.cfg.opml_path.stat().st_mtime_ns
        except OSError:
            return
        if mtime == self._opml_mtime_ns or self.store is None:
            return
        from aggregator.opml import OpmlError
        from aggregator.pipeline.subscriptions import sync_opml

        try:
            sync_opml(self.cfg, self.store, _now())
        except OpmlError as exc:  # a half-edited file: keep the subscriptions, say why
            log.warning("opml=%s not applied: %s", self.cfg.opml_path, exc)
            return
        self._opml_mtime_ns = mtime

    def publish(self) -> None:
        if self.store is None:
            return
        from aggregator.pipeline.publish_pass import publish_outputs

        publish_outputs(self.cfg, self.store, _now())
        self.last_publish = time.monotonic()
        self.dirty = False

    async def periodic_publish(self) -> None:
        """Rewrite outputs at least every publish_interval_s (feeds' relative times move)."""
        self.dirty = True
        self.publish()

    async def translate(self) -> None:
        """Machine translations for events missing a language ([translate]); the calls run
        in a worker thread, so polls and the server go on meanwhile."""
        if self.store is None:
            return
        from aggregator.pipeline.translate_pass import translate_pending_async

        if (await translate_pending_async(self.cfg, self.store, _now())).translated:
            self.dirty = True
            self.publish()

    async def cleanup(self) -> None:
        if self.store is None:
            return
        from aggregator.store.upkeep import apply_retention, prune_near_duplicates

        window = timedelta(days=self.cfg.dedupe.window_days)
        prune_near_duplicates(self.store, _now() - window, window)
        if self.cfg.daemon.retention_days > 0:
            cutoff = _now() - timedelta(days=self.cfg.daemon.retention_days)
            if any(apply_retention(self.store, cutoff).values()):
                self.dirty = True

    async def checkpoint(self) -> None:
        if self.store is not None:
            from aggregator.store.upkeep import checkpoint

            checkpoint(self.store)

    # -- health -------------------------------------------------------------------------------
    def stuck_after_s(self) -> float:
        return max(STUCK_TICK_FACTOR * self.cfg.daemon.tick_s, STUCK_MIN_S)

    def tick_stuck(self) -> bool:
        progress = self.tick_progress_at
        return progress is not None and time.monotonic() - progress > self.stuck_after_s()

    def alive(self) -> bool:
        """The loop runs, the database answers and the poll makes progress (WATCHDOG=1)."""
        if self.store is None or self.tick_stuck():
            return False
        from aggregator.store.status import feed_health

        try:
            feed_health(self.store)
        except Exception:
            return False
        return True

    def health(self) -> dict[str, Any]:
        """The /healthz body (rules in :mod:`aggregator.serve.health`)."""
        from aggregator.serve.health import HealthInputs, assess
        from aggregator.store.status import feed_health

        if self.store is None:
            return {"ok": False, "reasons": ["store not open"]}
        try:
            feeds = feed_health(self.store)
        except Exception as exc:
            return {"ok": False, "reasons": [f"database: {exc}"]}
        inputs = HealthInputs(
            feeds=feeds,
            write_failure=self.store.write_failure,
            started_at=self.started_at,
            now=_now(),
            grace_s=self.cfg.daemon.health_grace_s,
            tick_stuck=self.tick_stuck(),
        )
        return assess(inputs)

    def metrics(self) -> str:
        from aggregator.serve.metrics import prometheus_metrics

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
            # Only a wedged daemon misses pings: a restart cures neither a full disk nor
            # failing feeds, which /healthz reports instead.
            if self.alive():
                sdnotify.watchdog()
            else:
                log.warning("poll stuck or store unreadable: no watchdog ping (%s)", self.health())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=interval)

    # -- scheduling ---------------------------------------------------------------------------
    def _add_job(
        self, sched: AsyncIOScheduler, job_id: str, fn: Callable[[], Awaitable[None]],
        interval_s: float, *, first_run: datetime | None = None,
    ) -> None:  # fmt: skip
        """A fixed interval job: never two at once, missed runs coalesced into one."""

        async def run_job() -> None:
            self._job_runs[job_id] = (interval_s, time.monotonic())
            try:
                await fn()
            except Exception as exc:  # one failed run must not kill the job or the daemon
                self.failures.failed(job_id, exc)  # one line per failure, repeats counted
            else:
                self.failures.succeeded(job_id)
            finally:
                self._job_runs[job_id] = (interval_s, time.monotonic())

        self._job_runs[job_id] = (interval_s, time.monotonic())
        sched.add_job(
            run_job,
            "interval",
            seconds=interval_s,
            id=job_id,
            name=job_id,
            max_instances=1,
            coalesce=True,
            # A resume after a suspend is "late" by the suspend's length: run once anyway.
            misfire_grace_time=None,
            next_run_time=first_run,
        )

    def rearm_overdue_jobs(self) -> list[str]:
        """Re-arm jobs whose last run is over ``OVERDUE_FACTOR`` intervals ago on the
        monotonic clock (a backward wall-clock step postpones APScheduler's plan)."""
        if self._sched is None:
            return []
        now_mono = time.monotonic()
        rearmed = []
        for job_id, (interval_s, last) in self._job_runs.items():
            if now_mono - last <= OVERDUE_FACTOR * interval_s:
                continue
            poll = self._poll_task
            if job_id == "poll_tick" and poll is not None and not poll.done():
                continue  # still running: the watchdog judges that one
            job = self._sched.get_job(job_id)
            if job is None:
                continue
            log.warning(
                "job=%s overdue_s=%.0f (wall clock stepped back?): running it now",
                job_id,
                now_mono - last,
            )
            job.modify(next_run_time=datetime.now(UTC))
            self._job_runs[job_id] = (interval_s, now_mono)
            rearmed.append(job_id)
        if rearmed:
            self._sched.wakeup()
        return rearmed

    async def guard_loop(self) -> None:
        interval = float(self.cfg.daemon.tick_s)
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=interval)
            if not self.stopping.is_set():
                self.rearm_overdue_jobs()

    async def tick_job(self) -> None:
        """The poll job. Each tick runs as its own task, shielded, so that the scheduler's
        shutdown (which cancels running jobs) leaves the shutdown path to decide how long
        the in-flight poll may go on.

        While due feeds remain (the last tick took a full batch), the next tick starts at
        once instead of ``tick_s`` later — a tick every 60 s starting ≤ 256 feeds capped one
        machine at 3,840 feeds per 15 minutes. Bounded: each tick still takes at most
        ``concurrency × FEEDS_PER_TICK_FACTOR`` feeds and ``per_host_due_cap`` per host; the
        chain stops before the scheduler's next tick is due (so that one never finds this
        job running); and a tick that asks a host the last tick asked first waits out
        ``per_host_min_gap_s`` since that tick's end (:class:`~aggregator.daemon.pace.HostGap`)."""
        interval = float(self.cfg.daemon.tick_s)
        job_started = time.monotonic()
        while True:
            self._poll_task = asyncio.create_task(self.tick())
            try:
                await asyncio.shield(self._poll_task)
            except asyncio.CancelledError:  # the scheduler's shutdown (was: an ERROR and a
                if self.stopping.is_set():  # traceback on every stop): _finish_poll decides
                    return
                raise
            elapsed = time.monotonic() - job_started
            if (
                not self.batch_full
                or self.stopping.is_set()
                or elapsed + self.last_tick_s >= interval
            ):
                return
            self.chained_ticks += 1

    # -- lifecycle ----------------------------------------------------------------------------
    async def run(self) -> int:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        from aggregator.pipeline.refresh import Pipeline
        from aggregator.pipeline.subscriptions import sync_opml
        from aggregator.serve.server import FeedServer

        cfg, d = self.cfg, self.cfg.daemon
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        self.store = Store.open(cfg.store_path, cfg.store)
        server: FeedServer | None = None
        tasks: list[asyncio.Task[None]] = []
        try:
            added = sync_opml(cfg, self.store, _now()).added
            with contextlib.suppress(OSError):
                self._opml_mtime_ns = cfg.opml_path.stat().st_mtime_ns
            log.info("store=%s feeds_added=%d", cfg.store_path, added)
            self.pipeline = Pipeline(cfg, self.store)
            # Items committed just before a kill or a cancelled poll get their events now,
            # not after the next poll's slowest fetch; then serve what the store has at once
            # (a restart must not 404 meanwhile).
            clustered = await self.pipeline.events.cluster_pending_async(_now())
            if clustered:
                log.info("clustered_at_start=%d", clustered)
            self.publish()
            server = FeedServer(
                cfg.server, cfg.publish_dir, health=self.health, metrics=self.metrics
            )
            await server.start()
            log.info("serving on http://%s:%s/", cfg.server.host, server.port)
            sched = AsyncIOScheduler(timezone=UTC)
            self._sched = sched
            self._add_job(sched, "poll_tick", self.tick_job, d.tick_s, first_run=_now())
            self._add_job(sched, "publish", self.periodic_publish, d.publish_interval_s)
            if self.cfg.translate.enabled:
                self._add_job(sched, "translate", self.translate, d.publish_interval_s)
            self._add_job(sched, "retention", self.cleanup, RETENTION_INTERVAL_S)
            self._add_job(sched, "wal_checkpoint", self.checkpoint, d.checkpoint_interval_s)
            sched.start()
            tasks = [
                asyncio.create_task(self.watchdog_loop()),
                asyncio.create_task(self.guard_loop()),
            ]
            sdnotify.ready(f"serving on {cfg.server.host}:{server.port}")
            await self.stopping.wait()
        finally:
            log.info("stopping")
            sdnotify.stopping()
            self.stopping.set()
            if self._sched is not None and self._sched.running:
                self._sched.shutdown(wait=False)
            cancelled = await self._finish_poll(d.stop_timeout_s)
            for t in tasks:
                t.cancel()
            if self.pipeline is not None:
                if cancelled:
                    self.pipeline.parser.restart()  # kill a busy parse worker, don't wait
                self.pipeline.close()
                self.pipeline = None
            if server is not None:
                await server.stop()
            if self.store is not None:
                with contextlib.suppress(Exception):
                    if self.dirty:
                        self.publish()
                with contextlib.suppress(Exception):
                    from aggregator.store.upkeep import checkpoint

                    checkpoint(self.store)
                self.store.close()
                self.store = None
        log.info("stopped")
        return 0

    async def _finish_poll(self, timeout_s: float) -> bool:
        """Let the in-flight poll finish for up to ``timeout_s``; cancel it after that.
        Returns True when it had to be cancelled."""
        task = self._poll_task
        if task is None or task.done():
            return False
        log.info("waiting up to %.1f s for the in-flight poll", timeout_s)
        done, _ = await asyncio.wait({task}, timeout=timeout_s)
        if done:
            return False
        log.warning("in-flight poll still running after %.1f s: cancelling it", timeout_s)
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        return True


def run(cfg: Config) -> int:
    return asyncio.run(Daemon(cfg).run())


def iso_now() -> str:
    return utc_iso(_now())
