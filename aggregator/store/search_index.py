"""The full-text index over items (I/O: disk, part of the store stage).

``items_fts`` is an FTS5 table with the trigram tokenizer (Chinese words of three or more
characters match as substrings; shorter terms fall back to ``LIKE`` in
:meth:`aggregator.store.core.Store.search`). Its content comes from the view ``items_search``
(``id``, ``title``, ``body``), kept in step with ``items`` by three triggers.

What ``body`` holds is ``[store] search``:

- ``lead`` (default): the first :data:`LEAD_CHARS` characters of the summary (or of the text
  when there is no summary). Trigram indexing costs CPU per character: per new item against a
  200k-item store (``bench/store_ablation.py``, 713-character bodies) the store stage took
  2.01 ms with the lead, 2.15 ms with the whole text and 1.62 ms without an index; bodies
  of real full-content feeds are several times longer.
- ``full``: the whole plain text.

The chosen layout is recorded in ``store_settings``; when the configuration asks for another
one, :func:`ensure_search_index` drops and rebuilds the index in one transaction (minutes on
a store of a million items; logged before it starts).
"""

from __future__ import annotations

import logging
import sqlite3

log = logging.getLogger(__name__)

#: Characters of the lead that ``search = "lead"`` indexes: two to four sentences of an English
#: lead, a whole Chinese lead paragraph.
LEAD_CHARS = 600
_SETTING = "search_index"


def _body(mode: str, row: str) -> str:
    if mode == "full":
        return f"{row}.content_text"
    return (
        f"substr(CASE WHEN {row}.summary <> '' THEN {row}.summary ELSE {row}.content_text END,"
        f" 1, {LEAD_CHARS})"
    )


def layout(mode: str) -> str:
    """The value stored in ``store_settings`` for ``mode``: changes whenever the SQL does."""
    return f"v1:{mode}:{LEAD_CHARS if mode == 'lead' else 0}"


def statements(mode: str) -> list[str]:
    """DDL for the view, the FTS table and its triggers (without the rebuild)."""
    if mode not in ("lead", "full"):
        raise ValueError(f"store.search must be lead or full, not {mode!r}")
    new, old = _body(mode, "new"), _body(mode, "old")
    return [
        f"CREATE VIEW items_search AS SELECT items.id AS id, items.title AS title,"
        f" {_body(mode, 'items')} AS body FROM items",
        "CREATE VIRTUAL TABLE items_fts USING fts5("
        "title, body, content='items_search', content_rowid='id', tokenize='trigram')",
        "CREATE TRIGGER items_fts_ai AFTER INSERT ON items BEGIN\n"
        f"    INSERT INTO items_fts(rowid, title, body) VALUES (new.id, new.title, {new});\n"
        "END",
        "CREATE TRIGGER items_fts_ad AFTER DELETE ON items BEGIN\n"
        "    INSERT INTO items_fts(items_fts, rowid, title, body)\n"
        f"    VALUES ('delete', old.id, old.title, {old});\n"
        "END",
        "CREATE TRIGGER items_fts_au AFTER UPDATE OF title, summary, content_text ON items BEGIN\n"
        "    INSERT INTO items_fts(items_fts, rowid, title, body)\n"
        f"    VALUES ('delete', old.id, old.title, {old});\n"
        f"    INSERT INTO items_fts(rowid, title, body) VALUES (new.id, new.title, {new});\n"
        "END",
    ]


def _drop(conn: sqlite3.Connection) -> None:
    for trig in ("items_fts_ai", "items_fts_ad", "items_fts_au"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trig}")
    conn.execute("DROP TABLE IF EXISTS items_fts")
    conn.execute("DROP VIEW IF EXISTS items_search")


def current_layout(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM store_settings WHERE key = ?", (_SETTING,)).fetchone()
    return str(row[0]) if row else None


def ensure_search_index(conn: sqlite3.Connection, mode: str) -> bool:
    """Make ``items_fts`` cover what ``mode`` says; True when it had to be (re)built.
    Runs in one transaction: a kill during a rebuild leaves the old index in place."""
    want = layout(mode)
    if current_layout(conn) == want:
        return False
    items = int(conn.execute("SELECT COUNT(*) FROM items").fetchone()[0])
    if items:
        log.warning(
            "building the full-text index (store.search = %s) over %d items; "
            "about a minute of CPU per 300,000 items",
            mode,
            items,
        )
    conn.execute("BEGIN IMMEDIATE")
    try:
        _drop(conn)
        for stmt in statements(mode):
            conn.execute(stmt)
        conn.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")
        # A rebuild leaves hundreds of small segments, and automerge would charge their
        # merging to the next new items (seen as a per-item cost several times the usual
        # after a rebuild, in a one-off measurement); merging them here costs seconds.
        conn.execute("INSERT INTO items_fts(items_fts) VALUES ('optimize')")
        conn.execute(
            "INSERT INTO store_settings (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (_SETTING, want),
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return True
