"""The cluster stage of a one-shot ``poll`` in a child process (I/O: a child process and its
pipes; the child reads and writes the store).

Why (issue 16 item 6, ``poll --all`` ≤ 100 MB peak): clustering a large window in the poll's
own process left ~25 MB of pymalloc arenas resident after its objects were freed (an arena
goes back to the kernel only when every object in it is dead, and the window's objects are
interleaved with survivors), and publishing then grew on top of that: the pass peaked at
~127 MB at ``published`` (``bench/pass_memory.py``). A child's memory all goes back when it
exits, and the parent publishes from its post-refresh size. A spawned child, not a forked
one: a fork's resident set counts the parent's pages it shares, so it would start at the
parent's ~75 MB.

Protocol: the parent runs ``python -m aggregator.pipeline.cluster_child PARENT_PID`` and
writes one pickle to its stdin — ``(Config, now, log level, gc thresholds)``; the child
clusters every pending item with the same code as in-process
(:meth:`~aggregator.pipeline.cluster_pass.EventBuilder.cluster_pending`: batch by batch,
each batch one transaction) and writes one pickle, the number of items it clustered, to its
stdout; exit status 0. Its log lines go to stderr (the parent's).

Soundness: the parent has committed every feed before the child starts, and waits for it
(it writes nothing meanwhile). A child that fails (a crash, an exit status other than 0, no
or a bad reply) leaves the store as a kill of the in-process stage would: its committed
batches stay, the rest is still pending; :func:`cluster_in_child` then returns None and the
caller clusters what is left in its own process, so nothing is lost or written twice. The
child dies with the parent (``PR_SET_PDEATHSIG``) and ignores Ctrl-C (the process group's):
a cancelled parent kills it (SIGKILL: SQLite rolls its open batch back) and reaps it.
Only the one-shot ``poll`` uses it, and only with at least :data:`CHILD_MIN_ITEMS` items
waiting to be clustered: the daemon keeps its window between ticks, and for a few new items
the child's start (interpreter, numpy, the glossary loaded a second time: +6–10 % CPU of the
2-new-per-feed pass, ``bench/ab.py --pass new2``) costs more than the memory is worth.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import resource
import signal
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aggregator.config import Config
    from aggregator.store.core import Store

log = logging.getLogger("aggregator.pipeline.cluster_child")

#: Items waiting to be clustered (counted up to this many) from which a one-shot pass
#: clusters in a child: a first poll or a large backlog, whose clustering costs seconds, so
#: the child's start (~0.3–0.6 s CPU) is a few per cent of it; below it, in-process.
CHILD_MIN_ITEMS = 1000
#: The module the child runs (``python -m``).
CHILD_MODULE = "aggregator.pipeline.cluster_child"
#: Log format of the child's lines (the CLI's).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def worth_a_child(store: Store) -> bool:
    """A one-shot pass with at least :data:`CHILD_MIN_ITEMS` items to cluster (a bounded
    count: at most that many index rows read)."""
    if not store.has_unclustered_items():
        return False
    from aggregator.store.events import pending_up_to  # numpy: a pass with new items has it

    return pending_up_to(store, CHILD_MIN_ITEMS) >= CHILD_MIN_ITEMS


def child_argv() -> list[str]:
    """The child's command: this interpreter, :data:`CHILD_MODULE`, our pid."""
    return [sys.executable, "-m", CHILD_MODULE, str(os.getpid())]


def child_env() -> dict[str, str]:
    """Our environment, with the folder our ``aggregator`` package was imported from first
    on ``PYTHONPATH``: the child runs the same code as this process even when a script put
    a tree on ``sys.path`` by hand (the bench scripts do)."""
    import aggregator

    root = str(Path(aggregator.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


async def cluster_in_child(
    cfg: Config, now: datetime, *, argv: Sequence[str] | None = None
) -> int | None:
    """Cluster every pending item in a child process (``argv``: :func:`child_argv`); the
    number clustered, or None when the child could not start or failed (logged; the caller
    clusters what is left). Cancelled (Ctrl-C, shutdown), it kills the child and reaps it
    before re-raising."""
    import asyncio  # here: the child does not need it (~40 ms of its start)

    payload = pickle.dumps(
        (cfg, now, logging.getLogger().level, gc.get_threshold()),
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    cmd = list(argv) if argv is not None else child_argv()
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            close_fds=True, env=child_env(),
        )  # fmt: skip
    except OSError as exc:
        log.warning("cluster_child=not_started error=%s: clustering in this process", exc)
        return None
    try:
        out, _ = await proc.communicate(payload)
    finally:
        if proc.returncode is None:  # cancelled while it ran
            proc.kill()
            await asyncio.shield(proc.wait())
    try:
        done = pickle.loads(out) if proc.returncode == 0 else None
    except Exception:  # any bad reply is a failed child
        done = None
    if not isinstance(done, int):
        log.warning(
            "cluster_child=failed status=%s: clustering what is left in this process",
            proc.returncode,
        )
        return None
    return done


def run(cfg: Config, now: datetime) -> int:
    """The child's work: open the store, cluster what is pending, close it."""
    from aggregator.daemon.memory import tune_malloc
    from aggregator.pipeline.cluster_pass import EventBuilder
    from aggregator.store.core import ONE_SHOT_CACHE_MIB, Store

    tune_malloc()
    store = Store.open(cfg.store_path, cfg.store)
    try:
        store.limit_page_cache(ONE_SHOT_CACHE_MIB)
        return EventBuilder(cfg, store).cluster_pending(now)
    finally:
        store.close()


def main(argv: list[str]) -> int:
    from aggregator.parse.worker import die_with_parent

    die_with_parent(int(argv[1]))
    # Ctrl-C reaches the whole process group; the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The reply owns fd 1; anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    cfg, now, level, thresholds = pickle.load(sys.stdin.buffer)
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)
    gc.set_threshold(*thresholds)
    done = run(cfg, now)
    use = resource.getrusage(resource.RUSAGE_SELF)
    log.info(
        "cluster_child clustered=%d peak_rss_mb=%.1f cpu_s=%.3f",
        done, use.ru_maxrss / 1024, use.ru_utime + use.ru_stime,
    )  # fmt: skip
    out.write(pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL))
    out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
