"""Parse stage, process isolation: bytes → ``ParsedFeed`` in worker processes, each document
with its own time budget (I/O: child processes and pipes; the parsing itself stays pure).

Why not ``concurrent.futures.ProcessPoolExecutor``: with one worker, a budget measured from
submission failed every document queued behind a slow one (issue 15: two 15.6 MB Atom feeds
→ all ten tiny feeds "exceeded the 20 s budget"), and killing its worker broke the whole
executor, cancelling every queued document. Its forkserver and resource-tracker helpers also
outlived a SIGKILLed daemon (~75 MB per kill; five groups per ``make test``).

Here:

- up to ``workers`` processes (default: the usable cores, at most ``MAX_PARSE_WORKERS``),
  each ``python -m aggregator.parse.worker``, started on demand and kept: the first with the
  first document, another only when a document has waited ``spawn_after_s`` for a busy one
  (each start costs ~0.2 s CPU, and a pass of small documents keeps one worker busy enough);
- a document waits for a free worker without a clock running; its budget starts when it is
  handed to an idle, started worker;
- over budget (or a crash, or its memory cap) kills that worker only; the next document gets
  a fresh one; nothing queued is failed for another document's sake;
- workers die with the parent (``PR_SET_PDEATHSIG``, see :mod:`aggregator.parse.worker`);
  no multiprocessing helpers exist.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import pickle
import subprocess
import sys
from typing import IO

from aggregator.config import Config
from aggregator.models import ParsedFeed
from aggregator.parse.document import ParseError
from aggregator.parse.splice import cap_entries
from aggregator.parse.worker import HEADER, READY

log = logging.getLogger(__name__)

#: Upper bound on parse workers: each costs ~40 MB idle and up to its memory cap busy.
MAX_PARSE_WORKERS = 2
#: A worker must finish its imports within this (seconds) before it counts as broken.
WORKER_START_TIMEOUT_S = 60.0
#: A worker resident over this after a document is retired (a new one starts on demand):
#: glibc keeps a hostile document's high-water mark resident — up to ``worker_memory_mb``
#: (153 MB, bench/hostile_memory.py) for the daemon's life, on top of the daemon's own peak
#: when it next publishes. A fresh worker is ~30 MB; a 500-entry 15 MiB feed stays under.
RETIRE_RSS_BYTES = 96 * 1024 * 1024
#: Grace for an idle worker to exit on EOF at close (seconds) before it is killed.
WORKER_EXIT_GRACE_S = 2.0
#: A document waits this long (seconds) for a busy worker before another one is started. A
#: start costs ~0.2 s CPU (interpreter, imports, feedparser's helpers at the first document)
#: and ~0.15 s before it can parse; peer workload documents take 1-3 ms each, so a pass of
#: them never needs a second worker (bench/ab.py: pass 5 started 2 workers, now 1). Waiting
#: about one start-up before starting bounds the extra wait of a queue behind a slow document.
SPAWN_AFTER_S = 0.2


def default_workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PARSE_WORKERS))


class _Worker:
    """One worker process and its pipes. ``call`` blocks (run it in a thread)."""

    def __init__(self, memory_cap_bytes: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "aggregator.parse.worker", str(os.getpid()),
             str(memory_cap_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )  # fmt: skip
        self.ready = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read(self) -> bytes | None:
        out = self.proc.stdout
        assert out is not None
        head = out.read(HEADER.size)
        if len(head) < HEADER.size:
            return None
        (size,) = HEADER.unpack(head)
        data = out.read(size)
        return data if len(data) == size else None

    def wait_ready(self) -> bool:
        """Block until the worker finished its imports (it writes READY)."""
        if not self.ready:
            self.ready = self._read() == READY
        return self.ready

    def call(self, payload: tuple[object, ...]) -> tuple[str, object] | None:
        """Send one document, return the reply; None when the worker died meanwhile."""
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        stdin: IO[bytes] | None = self.proc.stdin
        assert stdin is not None
        try:
            stdin.write(HEADER.pack(len(data)))
            stdin.write(data)
            stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            self.kill()
            self.close_pipes()
            return None
        del data
        reply = self._read()
        if reply is None:  # killed (budget, restart) or died: this thread owns the pipes now
            self.kill()
            self.close_pipes()
            return None
        result: tuple[str, object] = pickle.loads(reply)
        return result

    def rss_bytes(self) -> int:
        """Resident memory now (``/proc``; 0 when unknown)."""
        try:
            with open(f"/proc/{self.proc.pid}/statm", "rb") as f:
                return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            return 0

    def kill(self) -> None:
        """SIGKILL and reap. The pipes stay open: a thread may still be in :meth:`call`
        (it sees EOF and closes them)."""
        with contextlib.suppress(ProcessLookupError, OSError):
            self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        """Close stdin (an idle worker exits), kill it if it does not."""
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=WORKER_EXIT_GRACE_S)
        except subprocess.TimeoutExpired:
            self.kill()
        self.close_pipes()

    def close_pipes(self) -> None:
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError, ValueError):
                if f is not None:
                    f.close()


class ParsePool:
    """Parses documents in worker processes, each with its own budget (see module doc).
    A document over budget (or the worker's memory) kills its worker, not the daemon nor
    another document (PROC-03, LOAD-04)."""

    def __init__(
        self,
        workers: int | None = None,
        *,
        memory_cap_bytes: int = 0,
        spawn_after_s: float = SPAWN_AFTER_S,
    ) -> None:
        self.workers = workers or default_workers()
        self.memory_cap_bytes = memory_cap_bytes
        #: see SPAWN_AFTER_S (0: a new worker whenever none is idle, as before)
        self.spawn_after_s = spawn_after_s
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        #: workers being started (not READY yet), and when (loop time) the last one was ready
        self._starting = 0
        self._ready_at = 0.0
        self._slots: asyncio.Semaphore | None = None
        self._slots_loop: asyncio.AbstractEventLoop | None = None
        #: documents waiting for a busy worker to be handed over (:meth:`_wait_for_idle`)
        self._waiters: collections.deque[asyncio.Future[_Worker]] = collections.deque()
        #: workers retired for their resident memory after a document (RETIRE_RSS_BYTES)
        self.retired = 0

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots_loop is not loop:
            # A pool may outlive one event loop (tests, ``poll`` then ``publish``).
            self._slots = asyncio.Semaphore(self.workers)
            self._slots_loop = loop
        return self._slots

    def _take_idle(self) -> _Worker | None:
        """A kept worker that is still alive, or None."""
        while self._idle:
            w = self._idle.pop()
            if w.alive():
                return w
            w.kill()
            w.close_pipes()
        return None

    def _put_idle(self, w: _Worker) -> None:
        """``w`` is free: to the longest-waiting document (:meth:`_wait_for_idle`; busy from
        now on, so that no one starts a worker while it is handed over), else idle."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(w)
                self._busy.add(w)
                return
        self._idle.append(w)

    async def _wait_for_idle(self) -> _Worker | None:
        """While other workers are busy or starting, wait for one of them to be handed over
        (in arrival order), up to ``spawn_after_s`` after this wait began or the last worker
        was ready, whichever is later; None when none was (a new worker is worth its start)."""
        if self.spawn_after_s <= 0 or not (self._busy or self._starting):
            return None
        loop = asyncio.get_running_loop()
        handed: asyncio.Future[_Worker] = loop.create_future()
        self._waiters.append(handed)
        since = loop.time()
        try:
            while not handed.done():
                # The clock runs from the later of this wait and the last worker's start: while
                # one is starting, another start would be no sooner.
                left = max(since, self._ready_at) + self.spawn_after_s - loop.time()
                if left <= 0 and not self._starting:
                    break
                await asyncio.wait({handed}, timeout=max(left, 0.01))
        except BaseException:  # cancelled: a worker handed over meanwhile goes back
            if not handed.cancel():
                self._busy.discard(handed.result())
                self._put_idle(handed.result())
            raise
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(handed)
        return None if handed.cancel() else handed.result()

    def pids(self) -> list[int]:
        """Process ids of the live workers (tests, metrics)."""
        return [w.pid for w in (*self._idle, *self._busy) if w.alive()]

    async def _worker(self) -> _Worker:
        """An idle, started worker: a kept one if still alive, else a new one (started on
        the loop thread, so that the parent-death signal follows the daemon's main thread).
        With none idle, a busy one is awaited for ``spawn_after_s`` first (SPAWN_AFTER_S)."""
        w = self._take_idle() or await self._wait_for_idle()
        if w is not None and w.alive():
            return w
        if w is not None:  # handed over, then died
            self._busy.discard(w)
            w.kill()
            w.close_pipes()
        w = _Worker(self.memory_cap_bytes)
        self._starting += 1
        try:
            ok = await asyncio.wait_for(asyncio.to_thread(w.wait_ready), WORKER_START_TIMEOUT_S)
        except TimeoutError:
            ok = False
        finally:
            self._starting -= 1
            self._ready_at = asyncio.get_running_loop().time()
        if not ok:
            w.kill()
            w.close_pipes()
            raise ParseError("parser worker failed to start")
        return w

    async def parse(
        self, body: bytes, url: str, headers: dict[str, str], cfg: Config
    ) -> ParsedFeed:
        p = cfg.parse
        payload = (
            cap_entries(body, p.max_entries_per_feed), url, headers,
            (p.max_entries_per_feed, p.max_field_chars, p.max_title_chars, p.timeout_s),
        )  # fmt: skip
        async with self._semaphore():
            w = await self._worker()
            self._busy.add(w)
            reply: tuple[str, object] | None = None
            try:
                # The budget starts here: this document has a started worker to itself.
                reply = await asyncio.wait_for(asyncio.to_thread(w.call, payload), p.timeout_s)
            except TimeoutError:
                log.warning("feed_url=%s parse over %g s budget: worker %d killed",
                            url, p.timeout_s, w.pid)  # fmt: skip
                raise ParseError(f"parse exceeded the {p.timeout_s:g} s budget") from None
            finally:
                self._busy.discard(w)
                if reply is None:  # over budget, cancelled, or died: never reuse it
                    w.kill()
                elif w.rss_bytes() > RETIRE_RSS_BYTES:  # idle now: its memory goes back
                    w.kill()
                    w.close_pipes()
                    self.retired += 1
                else:
                    self._put_idle(w)
        if reply is None:
            raise ParseError("parser worker died (memory or crash)")
        kind, value = reply
        if kind == "ok" and isinstance(value, ParsedFeed):
            return value
        raise ParseError(str(value))

    def restart(self) -> None:
        """Kill every worker now (a busy one's document fails with "worker died"); new ones
        start on demand."""
        for w in self._busy:
            w.kill()
        for w in self._idle:
            w.kill()
            w.close_pipes()
        self._idle.clear()

    def close(self) -> None:
        """Stop idle workers (EOF), kill busy ones; the pool can be used again later."""
        for w in list(self._busy):
            w.kill()
        for w in self._idle:
            w.stop()
        self._idle.clear()

