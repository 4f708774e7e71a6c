"""Store: a cache file of ``key → bytes`` entries in its own SQLite file, beside the store
(I/O: disk). For derived data looked up a few thousand entries at a time, too large to read
whole like the marshal files of :mod:`.file_cache` (the members' summary terms of
``pipeline/view_terms.py``).

A cache, never the source of a decision: a file that is missing, locked by another process
(for longer than :data:`BUSY_TIMEOUT_S`), damaged or unwritable reads as empty and takes no
writes (logged), so the caller computes what it needs; the file is safe to delete.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

from aggregator.store.limits import chunks

log = logging.getLogger(__name__)

#: How long to wait for another process writing the file before doing without it (seconds).
BUSY_TIMEOUT_S = 0.2


class BlobCache:
    """One cache file: :meth:`get_many`, :meth:`put_many`, :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None
        conn = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS entries"
                " (id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, data BLOB NOT NULL)"
            )
            # One read transaction until put_many/close: no file lock taken, and no page cache
            # revalidated, per lookup (one lookup per recomputed view).
            conn.execute("BEGIN")
            self.conn = conn
        except (OSError, sqlite3.Error) as exc:
            log.info("cache %s not used: %s", path, exc)
            if conn is not None:
                conn.close()

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        """The stored entries of ``keys`` (those found)."""
        found: dict[bytes, bytes] = {}
        if self.conn is None:
            return found
        try:
            for part in chunks(keys):
                q = ",".join("?" * len(part))
                for k, data in self.conn.execute(
                    f"SELECT key, data FROM entries WHERE key IN ({q})", part
                ):
                    found[bytes(k)] = bytes(data)
        except sqlite3.Error as exc:
            log.info("cache %s not read: %s", self.path, exc)
        return found

    def put_many(self, entries: Mapping[bytes, bytes], keep: int) -> None:
        """Store ``entries`` (one transaction), then drop all but the ``keep`` newest."""
        if self.conn is None or not entries:
            return
        try:
            self.conn.executemany(
                "INSERT OR REPLACE INTO entries (key, data) VALUES (?, ?)", entries.items()
            )
            self.conn.execute(
                "DELETE FROM entries WHERE id <= (SELECT max(id) FROM entries) - ?", (keep,)
            )
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.info("cache %s not written: %s", self.path, exc)
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("BEGIN")

    def count(self) -> int:
        """Entries stored (0 when the file is not used)."""
        if self.conn is None:
            return 0
        try:
            return int(self.conn.execute("SELECT count(*) FROM entries").fetchone()[0])
        except sqlite3.Error:
            return 0

    def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")  # the read transaction (writes were committed)
            conn.close()
