"""Store stage, the near-duplicate band table's upkeep (I/O: SQLite): which MinHash wrote the
stored band keys (``store_settings``), the indexed items' texts to re-sketch, and the swap to
a re-built table. The per-item band SQL stays in :class:`aggregator.store.band_index.NearDupIndex`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aggregator.store.core import Store

#: ``store_settings`` key naming the sketch behind the stored band keys
#: (:data:`aggregator.dedupe.textsim.SKETCH_ID`).
SKETCH_SETTING = "neardup_sketch"

_BANDS_DDL = (
    "CREATE TABLE IF NOT EXISTS {name} ("
    " band_key INTEGER NOT NULL, item_id INTEGER NOT NULL, at_s INTEGER NOT NULL,"
    " PRIMARY KEY (band_key, item_id)) WITHOUT ROWID"
)


@dataclass(frozen=True)
class IndexedText:
    """An indexed item's text, as the near-duplicate layer shingles it."""

    item_id: int
    lang: str
    title: str
    match_text: str


def sketch_setting(store: Store) -> str | None:
    row = store.conn.execute(
        "SELECT value FROM store_settings WHERE key = ?", (SKETCH_SETTING,)
    ).fetchone()
    return str(row[0]) if row else None


def indexed_items(store: Store) -> list[tuple[int, int]]:
    """(item id, at_s) of every item with band rows (one full scan of the band table)."""
    store.conn.execute(_BANDS_DDL.format(name="minhash_bands"))
    rows = store.conn.execute(
        "SELECT item_id, MIN(at_s) FROM minhash_bands GROUP BY item_id ORDER BY item_id"
    ).fetchall()
    return [(int(a), int(b)) for a, b in rows]


def indexed_texts(store: Store, ids: Sequence[int]) -> list[IndexedText]:
    marks = ",".join("?" * len(ids))
    rows = store.conn.execute(
        f"SELECT id, lang, title, match_text FROM items WHERE id IN ({marks}) ORDER BY id",
        list(ids),
    ).fetchall()
    return [
        IndexedText(int(r[0]), str(r[1] or "und"), str(r[2] or ""), str(r[3] or ""))
        for r in rows
    ]


def replace_bands(store: Store, rows: Iterable[tuple[int, int, int]], sketch_id: str) -> int:
    """Swap in a band table of ``rows`` (band key, item id, at_s) and record ``sketch_id``,
    in one transaction: a kill leaves the old table and setting, and the next start redoes
    it. Returns the rows written."""
    n = 0
    with store.transaction():
        store.conn.execute("DROP TABLE IF EXISTS minhash_bands_next")
        store.conn.execute(_BANDS_DDL.format(name="minhash_bands_next"))
        batch: list[tuple[int, int, int]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 10_000:
                n += _insert(store, batch)
                batch = []
        n += _insert(store, batch)
        store.conn.execute("DROP TABLE IF EXISTS minhash_bands")
        store.conn.execute("ALTER TABLE minhash_bands_next RENAME TO minhash_bands")
        store.conn.execute(
            "INSERT INTO store_settings (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (SKETCH_SETTING, sketch_id),
        )
    return n


def _insert(store: Store, batch: list[tuple[int, int, int]]) -> int:
    store.conn.executemany(
        "INSERT OR IGNORE INTO minhash_bands_next (band_key, item_id, at_s) VALUES (?, ?, ?)",
        batch,
    )
    return len(batch)


def candidate_texts(store: Store, ids: list[int]) -> list[dict[str, Any]]:
    """What the judge needs of candidate items: id, lang, title, match_text, duplicate_of."""
    marks = ",".join("?" * len(ids))
    return store.rows(
        f"SELECT id, lang, title, match_text, duplicate_of FROM items WHERE id IN ({marks})",
        ids,
    )
