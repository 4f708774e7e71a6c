"""Store stage: the planner statistics a clean close leaves behind (I/O: disk).

``Store.close`` runs ``PRAGMA optimize``, which runs ``ANALYZE`` on a table whose indexes the
connection used when it was never analysed (or, in SQLite 3.40, has grown ~10× since). Run
while most items had no event yet (a poll stopped between storing and clustering, then any
command's clean close), it wrote ``items_event_id`` as one value for every row
(``"4000 4000"`` in ``sqlite_stat1``): SQLite then scanned ``items`` for every event refresh
(``store.events.refresh_events``, ``store.outlets.event_outlets``; a 4,000-item cluster stage
took 60 s of CPU instead of 10, docs/session-9/report-cluster-cpu-9.md), and since the row
count did not grow, no later ``optimize`` replaced them. :func:`optimize` therefore skips
while most items are unclustered (the next close after clustering analyses), and analyses
``items`` again when the stored figure for ``items_event_id`` is far from the store's.
"""

from __future__ import annotations

import sqlite3

#: The index whose statistics the clusterer's event queries depend on.
EVENT_INDEX = "items_event_id"
#: Stored rows per event this many times the store's own, plus the margin, are stale:
#: ``items`` is analysed again (an event has a few members on average; the figure is
#: checked only when it exceeds the margin).
STALE_FACTOR = 4
STALE_MARGIN = 8


def optimize(conn: sqlite3.Connection) -> None:
    """``PRAGMA optimize``, with the statistics of ``items_event_id`` kept true (see the
    module docstring). Usually one probe of that index and one read of ``sqlite_stat1``;
    counts only when some item is unclustered or the stored figure looks high, and one
    ``ANALYZE items`` only when it is stale."""
    if conn.execute("SELECT 1 FROM items WHERE event_id IS NULL LIMIT 1").fetchone():
        total, unclustered = conn.execute(
            "SELECT count(*), count(*) - count(event_id) FROM items"
        ).fetchone()
        if 2 * unclustered > total:
            return  # statistics taken now would say the event index is useless
    stored = stored_rows_per_key(conn, EVENT_INDEX)
    if stored is not None and stored > STALE_MARGIN:
        total = conn.execute("SELECT count(*) FROM items").fetchone()[0]
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        if stored > STALE_FACTOR * total / (events + 1) + STALE_MARGIN:
            conn.execute("ANALYZE items")
    conn.execute("PRAGMA optimize")


def stored_rows_per_key(conn: sqlite3.Connection, index: str) -> int | None:
    """The rows per distinct key ``sqlite_stat1`` holds for ``index`` (None: not analysed)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone() is None:
        return None
    row = conn.execute("SELECT stat FROM sqlite_stat1 WHERE idx = ?", (index,)).fetchone()
    if row is None:
        return None
    parts = str(row[0]).split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
