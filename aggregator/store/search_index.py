"""The full-text index over items (I/O: disk, part of the store stage).

``items_fts`` is an FTS5 table with the trigram tokenizer (Chinese words of three or more
characters match as substrings; shorter terms fall back to ``LIKE`` in
:meth:`aggregator.store.core.Store.search`). Its content comes from the view ``items_search``
(``id``, ``title``, ``body``), kept in step with ``items`` by three triggers.

The insert trigger stands aside inside the daemon's own write transactions
(:class:`SearchBatch`): there the new rows are indexed in one statement just before the commit.
Inserting them one statement at a time from the trigger made FTS5 flush its pending terms at
every item (each statement that fires a trigger opens a statement savepoint, and FTS5 writes
its pending data out at a savepoint), i.e. one index segment per item, merged again and again.
``bench/store_fts_batch.py`` (bench/peer.py's 4,000 pass-1 items, 20 per unit, 70 per commit,
5 alternated trials, shared machine): 0.638 → 0.444 ms CPU per item for the row, its indexes
and its index entry. Any other writer (a script, a tool, another connection) still has every
inserted row indexed by the trigger, at once.

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
#: In-memory schema attached to the store's own connection (:func:`attach_batch`). While it
#: holds the table ``open`` — only inside a write transaction of that connection — the insert
#: trigger leaves new rows to :class:`SearchBatch`. Other connections never have it.
BATCH_SCHEMA = "aggregator_fts_batch"
#: ``pragma_table_list`` came with SQLite 3.37: before it there are no batches (the triggers'
#: batch condition is constant false, every row is indexed by the insert trigger).
BATCHES = sqlite3.sqlite_version_info >= (3, 37, 0)
#: The insert trigger evaluates this for every row. With the table's name as argument the
#: pragma looks one name up in each schema; without it (before session 12) it listed every
#: table of every schema: ~15 → ~5 µs per inserted item on a store's 26 tables.
_BATCH_OPEN = (
    f"EXISTS (SELECT 1 FROM pragma_table_list('open') WHERE schema = '{BATCH_SCHEMA}')"
    if BATCHES
    else "0"
)
#: Index the items a batch added so far: every row above the highest indexed id (before the
#: batch every row was indexed, and its own rows have the highest ids).
INDEX_PENDING = (
    "INSERT INTO items_fts(rowid, title, body) SELECT id, title, body FROM items_search"
    " WHERE id > (SELECT COALESCE(MAX(id), 0) FROM items_fts_docsize)"
)
#: Every trigger :func:`statements` creates.
TRIGGERS = ("items_fts_ai", "items_fts_ad", "items_fts_au", "items_fts_bd", "items_fts_bu")


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
        f"CREATE TRIGGER items_fts_ai AFTER INSERT ON items WHEN NOT {_BATCH_OPEN} BEGIN\n"
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
        # Inside a batch the two triggers above would meet rows not indexed yet: index them
        # first (only ever fires on the store's own connection, see SearchBatch).
        f"CREATE TRIGGER items_fts_bd BEFORE DELETE ON items WHEN {_BATCH_OPEN} BEGIN\n"
        f"    {INDEX_PENDING};\n"
        "END",
        "CREATE TRIGGER items_fts_bu BEFORE UPDATE OF title, summary, content_text ON items"
        f" WHEN {_BATCH_OPEN} BEGIN\n"
        f"    {INDEX_PENDING};\n"
        "END",
    ]


def _drop(conn: sqlite3.Connection) -> None:
    for trig in TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {trig}")
    conn.execute("DROP TABLE IF EXISTS items_fts")
    conn.execute("DROP VIEW IF EXISTS items_search")


def current_layout(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT value FROM store_settings WHERE key = ?", (_SETTING,)).fetchone()
    return str(row[0]) if row else None


def ensure_search_index(conn: sqlite3.Connection, mode: str) -> bool:
    """Make ``items_fts`` cover what ``mode`` says; True when it had to be (re)built.
    Runs in one transaction: a kill during a rebuild leaves the old index in place. Triggers
    of another form (before migration 14: no batch condition, no before-triggers) are
    replaced without touching the index."""
    want = layout(mode)
    if current_layout(conn) == want:
        _ensure_triggers(conn, mode)
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


def _ensure_triggers(conn: sqlite3.Connection, mode: str) -> None:
    want = [st for st in statements(mode) if st.startswith("CREATE TRIGGER")]
    have = {
        r[0]: r[1]
        for r in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    }
    stale = [(name, sql) for name, sql in zip(TRIGGERS, want, strict=True) if have.get(name) != sql]
    if not stale:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for name, sql in stale:
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            conn.execute(sql)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def attach_batch(conn: sqlite3.Connection) -> None:
    """Attach the (empty, in-memory) :data:`BATCH_SCHEMA` to the store's connection."""
    conn.execute(f"ATTACH DATABASE ':memory:' AS {BATCH_SCHEMA}")


class SearchBatch:
    """Index the rows a write transaction inserts into ``items`` in one statement at its end.

    :meth:`begin` right after ``BEGIN IMMEDIATE`` creates the ``open`` marker (the insert
    trigger stands aside); :meth:`end` right before ``COMMIT`` indexes every row above the
    highest indexed id (:data:`INDEX_PENDING`) and drops the marker. Both are part of the
    transaction: a rollback drops the marker with the rows. Before the batch every row was
    indexed, and the write lock keeps other writers out, so the rows above that id are exactly
    the batch's own inserts (ids only grow: ``AUTOINCREMENT``; a script inserting an explicit
    id below the highest one inside a batch would go unindexed). An update of an indexed
    column or a delete inside the batch indexes the pending rows first (triggers
    ``items_fts_bu``/``items_fts_bd``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.open = False

    def begin(self) -> None:
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS {BATCH_SCHEMA}.open (x)")
        self.open = True

    def end(self) -> None:
        if self.open:
            self.conn.execute(INDEX_PENDING)
            self.conn.execute(f"DROP TABLE IF EXISTS {BATCH_SCHEMA}.open")
            self.open = False

    def abandon(self) -> None:
        """The transaction rolled back (the marker with it)."""
        self.open = False
