"""Store stage, the near-duplicate band table ``minhash_bands`` (I/O: the database).

The LSH index of :mod:`aggregator.dedupe.neardup` persisted in SQLite: band keys come from the
dedupe stage (pure), the rows and their queries live here.
"""

from __future__ import annotations

import functools
import sqlite3
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime

from aggregator.dedupe.neardup import (
    LEAD_BANDS,
    LSH_BANDS,
    LSH_ROWS_PER_BAND,
    MAX_CANDIDATES,
    band_keys,
)
from aggregator.dedupe.textsim import U32
from aggregator.store.limits import chunks
from aggregator.store.sqldb import Database

#: Band rows per INSERT statement in :meth:`NearDupIndex.add_keys` (an item has 24-44 keys;
#: 3 parameters a row stays far below SQLite's parameter limit).
ADD_ROWS_PER_STATEMENT = 128


@functools.lru_cache(maxsize=ADD_ROWS_PER_STATEMENT)
def _insert_rows_sql(rows: int) -> str:
    """``INSERT OR IGNORE`` of ``rows`` band rows (``band_key, item_id, at_s`` each)."""
    marks = ",".join(["(?, ?, ?)"] * rows)
    return f"INSERT OR IGNORE INTO minhash_bands (band_key, item_id, at_s) VALUES {marks}"


def _epoch_s(iso: str) -> int:
    dt = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


class NearDupIndex:
    """MinHash-LSH band table persisted in SQLite (``minhash_bands``), so a restart needs no
    rebuild. One row per (band key, item): ~24 bytes, WITHOUT ROWID so the primary key is the
    only B-tree. ``at_s`` is the item's time in Unix seconds (``prune`` drops old rows).
    Cost: band keys are random, so each added row dirties its own page; at 1M items the commit
    (page writes) costs more than the query (bench/dedup_index.py ``--probe``).

    Writes join the caller's transaction: the caller commits with the item row (one writer).
    With ``hold`` (the store's :class:`~aggregator.store.sqldb.Database`), added rows are
    held back and written at the transaction's ``COMMIT``, all at once in key order: a poll's
    per-feed savepoints then journal no band page, and each page is written once per commit,
    not once per item (``bench/pass_stages.py``). Lookups see held rows as if written; a
    rollback drops the held rows of the items it removed.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        bands: int = LSH_BANDS,
        rows: int = LSH_ROWS_PER_BAND,
        lead_bands: int = LEAD_BANDS,
        max_candidates: int = MAX_CANDIDATES,
        hold: Database | None = None,
    ) -> None:
        self.conn = conn
        self.bands, self.rows, self.lead_bands = bands, rows, lead_bands
        self.max_candidates = max_candidates
        #: Held rows by band key: item id → at_s (an item's key once, as the primary key).
        self._held: dict[int, dict[int, int]] = {}
        self._holding = hold is not None
        if hold is not None:
            hold.hold(self)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS minhash_bands ("
            " band_key INTEGER NOT NULL, item_id INTEGER NOT NULL, at_s INTEGER NOT NULL,"
            " PRIMARY KEY (band_key, item_id)) WITHOUT ROWID"
        )

    def keys(self, sig: U32) -> list[int]:
        """Band keys of a sketch with this index's banding."""
        return band_keys(sig, self.bands, self.rows, self.lead_bands)

    def add(self, item_id: int, sig: U32, at: str) -> None:
        """Index an item's sketch (``textsim.sketch``) at ISO-8601 time ``at``."""
        self.add_keys(item_id, self.keys(sig), at)

    def add_keys(self, item_id: int, keys: list[int], at: str) -> None:
        """Index an item by its band keys (:meth:`keys`) at ISO-8601 time ``at``."""
        at_s = _epoch_s(at)
        if self._holding:
            held = self._held
            for k in keys:  # INSERT OR IGNORE: an existing (key, item) row is kept as it is
                by = held.get(k)
                if by is None:
                    held[k] = {item_id: at_s}
                elif item_id not in by:
                    by[item_id] = at_s
            return
        self._write(item_id, keys, at_s)

    def _write(self, item_id: int, keys: list[int], at_s: int) -> None:
        # One statement of up to ADD_ROWS_PER_STATEMENT rows rather than executemany's one
        # step per row (the same rows in the same order; docs/session-7/report-ingest-7.md).
        for start in range(0, len(keys), ADD_ROWS_PER_STATEMENT):
            chunk = keys[start : start + ADD_ROWS_PER_STATEMENT]
            args: list[int] = []
            for k in chunk:
                args += (k, item_id, at_s)
            self.conn.execute(_insert_rows_sql(len(chunk)), args)

    def flush(self) -> None:
        """Write the held rows (right before the transaction's ``COMMIT``), in key order."""
        held = self._held
        args: list[int] = []
        for k in sorted(held):
            by = held[k]
            for i, a in sorted(by.items()) if len(by) > 1 else by.items():
                args += (k, i, a)
        per = 3 * ADD_ROWS_PER_STATEMENT
        for start in range(0, len(args), per):
            chunk = args[start : start + per]
            self.conn.execute(_insert_rows_sql(len(chunk) // 3), chunk)
        held.clear()

    def rolled_back(self) -> None:
        """Drop the held rows of items a rollback removed (their ids may be given again).
        Runs while the caller's error propagates: if the store cannot be read now, every
        held row is dropped (an item left unindexed is a near-duplicate missed later, never
        a wrong one) rather than raising over that error."""
        ids = {i for by in self._held.values() for i in by}
        if not ids:
            return
        kept: set[int] = set()
        try:
            for chunk in chunks(sorted(ids)):
                marks = ",".join("?" * len(chunk))
                q = f"SELECT id FROM items WHERE id IN ({marks})"
                kept.update(r[0] for r in self.conn.execute(q, chunk))
        except sqlite3.Error:
            kept.clear()
        for k in list(self._held):
            by = {i: a for i, a in self._held[k].items() if i in kept}
            if by:
                self._held[k] = by
            else:
                del self._held[k]

    def candidates(self, sig: U32, exclude: Iterable[int] = ()) -> list[int]:
        """Items sharing at least one band with ``sig``, most shared bands first, at most
        ``max_candidates`` (constant cost: one primary-key probe per band)."""
        return self.candidates_for_keys(self.keys(sig), exclude)

    def candidates_for_keys(
        self,
        keys: list[int],
        exclude: Iterable[int] = (),
        around: tuple[str, float] | None = None,
    ) -> list[int]:
        """:meth:`candidates` given the band keys. ``around=(iso_time, seconds)``: only items
        whose own time lies within that many seconds of ``iso_time`` (the dedupe window,
        measured in the items' time, so a backfill decides as the live stream did)."""
        marks = ",".join("?" * len(keys))
        span = ""
        args: list[int] = [*keys]
        if around is not None:
            t, w = _epoch_s(around[0]), int(around[1])
            span = " AND at_s BETWEEN ? AND ?"
            args += [t - w, t + w]
        # Counted here rather than by GROUP BY … ORDER BY count(*): the few matching rows of a
        # query cost less to count in Python than SQLite's temporary B-tree and sorter
        # (60-88 → 31-35 µs per query on bench/peer.py's band table; same order, same ids).
        shared = Counter(
            r[0]
            for r in self.conn.execute(
                f"SELECT item_id FROM minhash_bands WHERE band_key IN ({marks}){span}", args
            )
        )
        if self._held:  # held rows, as the query would find them once written
            held = self._held
            lo, hi = (args[-2], args[-1]) if around is not None else (None, None)
            for k in set(keys):
                by = held.get(k)
                if by is not None:
                    for i, at_s in by.items():
                        if lo is None or hi is None or lo <= at_s <= hi:
                            shared[i] += 1
        skip = set(exclude)
        ranked = sorted((i for i in shared if i not in skip), key=lambda i: (-shared[i], -i))
        return ranked[: self.max_candidates]

    def prune(self, before_iso: str, window_s: float | None = None) -> int:
        """Forget items older than ``before_iso`` (the dedupe window); returns rows deleted.
        With ``window_s``, never forget items within that window of the newest indexed item:
        retention follows the stream's own time, so a backfill (every item older than the
        wall-clock window) keeps the rows its later copies will be checked against. One
        table scan: run it from the daily cleanup job, not per item."""
        cut = _epoch_s(before_iso)
        if window_s is not None:
            newest = self.conn.execute("SELECT max(at_s) FROM minhash_bands").fetchone()[0]
            if newest is not None:
                cut = min(cut, int(newest) - int(window_s))
        cur = self.conn.execute("DELETE FROM minhash_bands WHERE at_s < ?", (cut,))
        return cur.rowcount

    def remove(self, item_id: int, sig: U32) -> None:
        """Drop one item (e.g. deleted from the store), given its sketch."""
        for k in self.keys(sig):
            by = self._held.get(k)
            if by is not None and by.pop(item_id, None) is not None and not by:
                del self._held[k]
        self.conn.executemany(
            "DELETE FROM minhash_bands WHERE band_key = ? AND item_id = ?",
            [(k, item_id) for k in self.keys(sig)],
        )
