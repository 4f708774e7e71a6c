"""Store stage: how healthy the store is — refused writes, feed outcomes (I/O: the database).

Read by ``/healthz`` and ``/metrics`` (:mod:`aggregator.serve.health`,
:mod:`aggregator.serve.metrics`), which turn these records into answers. The write-failure
bookkeeping itself lives on :class:`~aggregator.store.core.Store` (``write_failure``).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from aggregator.store.core import Store

E = TypeVar("E", bound=Exception)


#: SQLite primary result codes meaning the disk refused a write (sqlite.org/rescode.html):
#: READONLY, IOERR, CORRUPT, FULL, CANTOPEN. /healthz reports them (issue 15: on a full disk
#: every write failed for 40+ s while /healthz said ok).
WRITE_FAILURE_CODES = {
    8: "read-only", 10: "I/O error", 11: "corrupt", 13: "disk full", 14: "cannot open",
}  # fmt: skip


@dataclass(frozen=True)
class WriteFailure:
    """The last write that the disk refused; cleared by the next commit that succeeds."""

    at: datetime
    kind: str
    error: str


def write_failure_kind(exc: BaseException) -> str | None:
    """``"disk full"`` etc. when ``exc`` is SQLite refusing a write, else None."""
    code = getattr(exc, "sqlite_errorcode", None)
    return WRITE_FAILURE_CODES.get(code & 0xFF) if isinstance(code, int) else None


def open_error(path: Path, exc: sqlite3.DatabaseError, error: type[E]) -> E:
    """The error to raise when the database cannot be opened: says so plainly when the
    file or its filesystem is read-only (no traceback reaches the user)."""
    kind = write_failure_kind(exc)
    if kind in ("read-only", "cannot open") and not writable(path):
        return read_only_error(path, str(exc), error)
    return error(f"cannot open database {path}: {exc}")


def read_only_error(path: Path, why: str, error: type[E]) -> E:
    return error(
        f"database {path} is read-only ({why}): the daemon and `poll` write it; check the"
        " owner and mode of the file and its folder, and that the filesystem is mounted"
        " read-write (to only read it, use `aggregator datasette` or a copy)"
    )


def writable(path: Path) -> bool:
    """Can this process write the database and create its -wal/-shm files next to it?"""
    if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
        return False
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


@dataclass(frozen=True)
class FeedHealth:
    """Subscriptions as /healthz judges them."""

    enabled: int
    #: enabled feeds whose last fetch failed (``error_count > 0``)
    failing: int
    #: newest ``last_success_at`` of any feed (ISO-8601 UTC), None if none ever succeeded
    last_success_at: str | None


def feed_health(store: Store) -> FeedHealth:
    row = store.conn.execute(
        "SELECT COUNT(*) FILTER (WHERE disabled = 0),"
        " COUNT(*) FILTER (WHERE disabled = 0 AND error_count > 0),"
        " MAX(last_success_at) FROM feeds"
    ).fetchone()
    return FeedHealth(enabled=int(row[0]), failing=int(row[1]), last_success_at=row[2])


@dataclass(frozen=True)
class StoreCounts:
    """The gauges of ``/metrics``."""

    feeds_total: int
    feeds_disabled: int
    feeds_failing: int
    feeds_due: int
    items: int
    duplicates: int
    events: int


def store_counts(store: Store, now_iso: str) -> StoreCounts:
    q = store.conn.execute
    feeds = q(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE disabled = 1),"
        " COUNT(*) FILTER (WHERE error_count > 0 AND disabled = 0),"
        " COUNT(*) FILTER (WHERE disabled = 0 AND (next_check_at IS NULL"
        " OR next_check_at <= ?)) FROM feeds",
        (now_iso,),
    ).fetchone()
    items = q("SELECT COUNT(*) FROM items").fetchone()[0]
    dups = q("SELECT COUNT(*) FROM items WHERE duplicate_of IS NOT NULL").fetchone()[0]
    events = q("SELECT COUNT(*) FROM events").fetchone()[0]
    return StoreCounts(
        feeds_total=int(feeds[0]), feeds_disabled=int(feeds[1]), feeds_failing=int(feeds[2]),
        feeds_due=int(feeds[3]), items=int(items), duplicates=int(dups), events=int(events),
    )  # fmt: skip
