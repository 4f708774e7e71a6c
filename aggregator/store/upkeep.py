"""Store upkeep: retention, WAL checkpoints, backups (I/O: the database file).

- Retention never deletes an item that an event still shows: an item goes only when it *and*
  its event are older than the cutoff.
- A long reader (Datasette) pins the WAL; checkpoints run PASSIVE (never block the writer),
  then try TRUNCATE, and warn when the WAL is over ``store.wal_warn_bytes`` (catalogue DB-03,
  design finding 7).
- A backup is ``VACUUM INTO`` a new file: a consistent snapshot even while the daemon writes
  (a plain copy of a WAL database can miss everything not yet checkpointed: DB-07).
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from pathlib import Path

from aggregator.store.core import Store, utc_iso

log = logging.getLogger("aggregator.store.upkeep")


def apply_retention(store: Store, cutoff: datetime) -> dict[str, int]:
    """Delete items and events last touched before ``cutoff``; returns counts deleted."""
    c = utc_iso(cutoff)
    with store.transaction():
        items = store.conn.execute(
            "DELETE FROM items WHERE COALESCE(published_at, fetched_at) < ? AND fetched_at < ?"
            " AND (event_id IS NULL OR event_id IN (SELECT id FROM events WHERE updated_at < ?))"
            " AND id NOT IN (SELECT duplicate_of FROM items WHERE duplicate_of IS NOT NULL"
            " AND fetched_at >= ?)",
            (c, c, c, c),
        ).rowcount
        events = store.conn.execute(
            "DELETE FROM events WHERE updated_at < ? AND NOT EXISTS"
            " (SELECT 1 FROM items WHERE items.event_id = events.id)",
            (c,),
        ).rowcount
        fetches = store.conn.execute("DELETE FROM fetches WHERE started_at < ?", (c,)).rowcount
    if items or events:
        log.info("retention cutoff=%s items_deleted=%d events_deleted=%d", c, items, events)
    return {"items": items, "events": events, "fetches": fetches}


def prune_near_duplicates(
    store: Store, before: datetime, window: timedelta | None = None
) -> int:
    """Drop near-duplicate band rows of items older than ``before`` (now − the dedupe
    window; one scan). With ``window``, rows within it of the newest indexed item stay
    (retention in the items' own time: a backfill keeps its rows)."""
    from aggregator.store.band_index import NearDupIndex

    window_s = window.total_seconds() if window is not None else None
    with store.transaction():
        return NearDupIndex(store.conn).prune(utc_iso(before), window_s)


def wal_size(store: Store) -> int:
    try:
        return os.path.getsize(str(store.path) + "-wal")
    except OSError:
        return 0


def checkpoint(store: Store) -> tuple[int, int, int]:
    """PASSIVE checkpoint, then TRUNCATE if no reader holds old frames; returns
    ``(busy, wal_frames, checkpointed_frames)`` of the last attempt."""
    store.commit_group()  # a checkpoint cannot run inside the poll's open group transaction
    busy, frames, done = store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    if not busy and frames == done:
        # TRUNCATE waits for readers through busy_timeout, holding the write lock meanwhile:
        # with a Datasette query in flight that stalled every writer for the full 10 s
        # (measured). Try it without waiting; the next checkpoint tries again.
        store.conn.execute("PRAGMA busy_timeout = 0")
        try:
            busy, frames, done = store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            store.conn.execute(f"PRAGMA busy_timeout = {int(store.cfg.busy_timeout_ms)}")
    size = wal_size(store)
    if size > store.cfg.wal_warn_bytes:
        log.warning(
            "wal_bytes=%d over store.wal_warn_bytes=%d: a reader is holding an old snapshot"
            " (a long Datasette query?); it shrinks once that reader finishes",
            size,
            store.cfg.wal_warn_bytes,
        )
    return int(busy), int(frames), int(done)


def backup(store: Store, dest: Path) -> Path:
    """Write a consistent copy of the database to ``dest`` (must not exist)."""
    if dest.exists():
        raise FileExistsError(f"{dest} exists; choose a new file name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    store.conn.execute("VACUUM INTO ?", (str(dest),))
    return dest
