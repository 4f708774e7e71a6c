"""Store stage, limits on a read-only connection that serves untrusted queries (Datasette):
the longest value, the longest LIKE/GLOB pattern, and SQLite's heap (I/O: the connection);
and how many values one statement binds (:func:`chunks`, pure).

Kept free of other aggregator imports: the Datasette plugin imports it inside Datasette's
process.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

#: Values bound per statement by ``IN (?, …)`` queries: far below SQLite's smallest
#: ``SQLITE_MAX_VARIABLE_NUMBER`` (999 before 3.32).
BOUND_VALUES = 500


def chunks(values: Iterable[T], n: int = BOUND_VALUES) -> Iterator[list[T]]:
    """``values`` in lists of at most ``n``, in order: one ``IN (?, …)`` statement each."""
    batch: list[T] = []
    for v in values:
        batch.append(v)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


def cap_reader_connection(
    conn: sqlite3.Connection, *, max_value_bytes: int, max_like_pattern_bytes: int,
    heap_limit_bytes: int,
) -> None:  # fmt: skip
    """A string or blob over ``max_value_bytes`` is an error (no single function call can run
    long or grow huge); LIKE/GLOB patterns are capped (matching costs pattern × text); SQLite's
    heap is capped (process-wide in SQLite: setting it on every connection is idempotent), so
    a query over it fails with "out of memory" instead of growing the process."""
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, int(max_value_bytes))
    conn.setlimit(sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, int(max_like_pattern_bytes))
    conn.execute(f"PRAGMA hard_heap_limit = {int(heap_limit_bytes)}")
