"""Daemon: the poll pace across ticks — per-host politeness between chained ticks (I/O: none
but ``asyncio`` waits and the monotonic clock).

A tick takes at most ``fetch.concurrency × FEEDS_PER_TICK_FACTOR`` due feeds; while due feeds
remain, the daemon chains the next tick at once (:meth:`aggregator.daemon.loop.Daemon.tick_job`).
The fetcher keeps ``fetch.per_host_min_gap_s`` between two requests to one host *within* a
tick (each tick has its own fetcher), so ticks back to back must keep it *across* ticks:
a batch that shares a host with the last tick's batch waits until the gap since that tick's
end has passed (every request of that tick started before it ended). A batch of other hosts
starts at once. Likewise a host's Retry-After (429/503) is kept across ticks: its feeds are
left out of the following ticks until it has passed (they stay due; the fetcher only
remembered it for the rest of its own tick).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from urllib.parse import urlsplit


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


class HostGap:
    """The hosts the last tick asked, and when it ended."""

    def __init__(self, gap_s: float) -> None:
        self.gap_s = gap_s
        self._hosts: set[str] = set()
        self._ended = 0.0
        #: seconds waited so far for the gap (a figure for the benchmark and /metrics)
        self.waited_s = 0.0
        #: host → monotonic time until which it asked us to wait (Retry-After)
        self._blocked: dict[str, float] = {}

    def block(self, host: str, for_s: float) -> None:
        """``host`` answered Retry-After: leave it alone for ``for_s`` seconds."""
        until = time.monotonic() + for_s
        self._blocked[host] = max(until, self._blocked.get(host, 0.0))

    def blocked(self, host: str) -> bool:
        until = self._blocked.get(host)
        if until is not None and until <= time.monotonic():
            del self._blocked[host]
            return False
        return until is not None

    async def before_tick(self, hosts: Iterable[str], stop: asyncio.Event) -> None:
        """Wait (unless ``stop`` is set) until none of ``hosts`` was asked less than
        ``gap_s`` ago by the last tick; remember them for the next one."""
        batch = set(hosts)
        wait = self._ended + self.gap_s - time.monotonic()
        if wait > 0 and not batch.isdisjoint(self._hosts):
            t0 = time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
            self.waited_s += time.monotonic() - t0
        self._hosts = batch

    def tick_ended(self) -> None:
        self._ended = time.monotonic()
