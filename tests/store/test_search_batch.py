"""The search index's write batches (store/search_index.py ``SearchBatch``, migration 14): the
store's own write transactions index their new items in one statement at the end; rows of a
rolled-back unit are never indexed; other connections' inserts are indexed at once by the
trigger; revisions and deletes inside a batch keep the index consistent; a store written
before migration 14 upgrades in place (and one written by the code before it, too: see
docs/session-6/report-store-6.md for that check on a real store)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import FIXED_NOW, stored_item

from aggregator.config import StoreConfig
from aggregator.store.core import Store
from aggregator.store.search_index import TRIGGERS, statements

AT = "2026-11-20T12:00:00Z"
WORDS = ["copper", "nickel", "cobalt", "lithium", "tin", "zinc", "silver", "platinum", "iridium"]


item = stored_item


def guids(store: Store, q: str) -> set[str]:
    ids = {r["id"] for r in store.search(q)}
    return {r["guid"] for r in store.rows("SELECT id, guid FROM items") if r["id"] in ids}


def consistent(store: Store) -> None:
    """FTS5's integrity check, comparing the index with the rows of ``items_search`` too."""
    store.conn.execute("INSERT INTO items_fts(items_fts, rank) VALUES ('integrity-check', 1)")
    n_items = store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    n_indexed = store.conn.execute("SELECT COUNT(*) FROM items_fts_docsize").fetchone()[0]
    assert n_items == n_indexed


def index_rows(store: Store) -> int:
    return int(store.conn.execute("SELECT COUNT(*) FROM items_fts_data").fetchone()[0])


def test_one_transaction_writes_its_items_as_one_index_segment(tmp_path: Path) -> None:
    """Fails before migration 14: the insert trigger's statement savepoint made FTS5 write
    each item's terms out as a segment of its own (~1 index row per item here)."""
    store = Store.open(tmp_path / "s.db", StoreConfig())
    for key, value in (("automerge", 0), ("crisismerge", 2000)):  # keep every segment
        store.conn.execute(f"INSERT INTO items_fts(items_fts, rank) VALUES ('{key}', {value})")
    store.conn.commit()
    with store.transaction():
        fid = store.add_feed("https://example.test/rss", now=FIXED_NOW)
    before = index_rows(store)
    n = 40
    with store.transaction():
        for k in range(n):
            words = " ".join(WORDS[(k + j) % len(WORDS)] for j in range(4))
            store.insert_item(item(fid, f"g{k}", f"Item {k} {words}", f"Lead {k}: {words}."))
    assert index_rows(store) - before < n // 4
    assert guids(store, "Item 17 ") == {"g17"}
    consistent(store)


def test_a_group_indexes_its_kept_units_only(tmp_path: Path) -> None:
    """Equivalence guard (passes before by design): what a group commit makes searchable."""
    store = Store.open(tmp_path / "s.db", StoreConfig(commit_interval_ms=60_000))
    with store.transaction():
        fid = store.add_feed("https://example.test/rss", now=FIXED_NOW)
    with store.group_unit():
        store.insert_item(item(fid, "kept", "Pangolin sighted", "A pangolin in the park."))
    with pytest.raises(RuntimeError), store.group_unit():
        store.insert_item(item(fid, "gone", "Ocelot sighted", "An ocelot in the park."))
        raise RuntimeError("this feed's unit fails")
    with store.group_unit():
        store.insert_item(item(fid, "later", "Okapi sighted", "An okapi in the park."))
    assert store.group_open
    store.commit_group()
    assert guids(store, "sighted") == {"kept", "later"}
    assert guids(store, "ocelot") == set()
    consistent(store)
    # Outside any batch (Python's implicit transaction), the trigger indexes as before.
    store.insert_item(item(fid, "bare", "Quokka sighted", "A quokka."))
    store.conn.commit()
    assert guids(store, "quokka") == {"bare"}
    consistent(store)


def test_other_connections_are_indexed_by_the_trigger(tmp_path: Path) -> None:
    """Equivalence guard: a writer that is not the store (a script) gets its rows indexed."""
    path = tmp_path / "s.db"
    store = Store.open(path, StoreConfig())
    with store.transaction():
        store.add_feed("https://example.test/rss", now=FIXED_NOW)
    other = sqlite3.connect(path)
    other.execute(
        "INSERT INTO items (feed_id, guid, title, summary, fetched_at, updated_at,"
        " content_hash) VALUES (1, 'ext', 'Narwhal tusk', 'A narwhal lead.', ?, ?, 'h')",
        (AT, AT),
    )
    other.commit()
    other.close()
    assert guids(store, "narwhal") == {"ext"}
    consistent(store)


def test_revisions_and_deletes_inside_a_batch_keep_the_index_consistent(
    tmp_path: Path,
) -> None:
    """The update and delete triggers expect every row indexed: the batch indexes its items
    before them (``Store.flush_search``)."""
    store = Store.open(tmp_path / "s.db", StoreConfig())
    with store.transaction():
        fid = store.add_feed("https://example.test/rss", now=FIXED_NOW)
        a = store.insert_item(item(fid, "a", "Copper hits record", "Lead about smelters."))
        store.revise_item(a, item(fid, "a", "Copper hits record", "Lead about refiners."))
        store.insert_item(item(fid, "b", "Tin falls", "Lead about tin mines."))
        store.conn.execute("DELETE FROM items WHERE guid = 'b'")  # a script, inside the batch
        store.insert_item(item(fid, "c", "Zinc steady", "Lead about galvanising."))
    assert guids(store, "refiners") == {"a"}
    assert guids(store, "smelters") == set()
    assert guids(store, "galvanising") == {"c"}
    consistent(store)


def _closed_store_with_one_item(path: Path) -> int:
    """A store at ``path`` holding one indexed walrus item, closed; its feed's id."""
    store = Store.open(path, StoreConfig())
    with store.transaction():
        fid = store.add_feed("https://example.test/rss", now=FIXED_NOW)
        store.insert_item(item(fid, "old", "Walrus colony", "A walrus lead."))
    store.close()
    return fid


def _reopened_with_current_triggers(path: Path) -> Store:
    """The store at ``path`` opened, after checking that opening installed today's FTS
    triggers."""
    store = Store.open(path, StoreConfig())
    rows = store.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    triggers = dict(rows.fetchall())
    assert [triggers.get(t) for t in TRIGGERS] == statements("lead")[2:]
    return store


def test_a_store_from_before_migration_14_upgrades(tmp_path: Path) -> None:
    """A store whose insert trigger is the old one (no batch condition) and whose
    schema_migrations stops at 13 opens: migration 14 applies, the trigger is replaced, the
    index is kept (not rebuilt) and stays consistent."""
    path = tmp_path / "old.db"
    fid = _closed_store_with_one_item(path)
    conn = sqlite3.connect(path)
    old_trigger = statements("lead")[2].replace(
        " WHEN NOT EXISTS (SELECT 1 FROM pragma_table_list('open') WHERE schema ="
        " 'aggregator_fts_batch')",
        "",
    )
    assert "pragma_table_list" not in old_trigger
    for name in ("items_fts_ai", "items_fts_bd", "items_fts_bu"):
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute(old_trigger)
    conn.execute("DELETE FROM schema_migrations WHERE version = 14")
    conn.commit()
    conn.close()
    store = _reopened_with_current_triggers(path)
    assert store.conn.execute("SELECT 1 FROM schema_migrations WHERE version = 14").fetchone()
    with store.transaction():
        store.insert_item(item(fid, "new", "Walrus census", "A second walrus lead."))
    assert guids(store, "walrus") == {"old", "new"}
    consistent(store)


def test_triggers_of_the_whole_table_list_form_are_replaced(tmp_path: Path) -> None:
    """A store whose triggers test the batch marker by listing every table (before session
    12) opens with the one-name form, keeps its index, and indexes inside and outside
    batches as before."""
    path = tmp_path / "s11.db"
    fid = _closed_store_with_one_item(path)
    old_cond = (
        "EXISTS (SELECT 1 FROM pragma_table_list WHERE schema = 'aggregator_fts_batch'"
        " AND name = 'open')"
    )
    conn = sqlite3.connect(path)
    for name, sql in zip(TRIGGERS, statements("lead")[2:], strict=True):
        if "pragma_table_list" in sql:
            conn.execute(f"DROP TRIGGER {name}")
            conn.execute(sql.replace(
                "EXISTS (SELECT 1 FROM pragma_table_list('open') WHERE schema ="
                " 'aggregator_fts_batch')", old_cond))  # fmt: skip
    conn.commit()
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE sql LIKE ?",
                        (f"%{old_cond}%",)).fetchone()[0] == 3  # fmt: skip
    conn.close()
    store = _reopened_with_current_triggers(path)
    with store.transaction():
        store.insert_item(item(fid, "new", "Walrus census", "A second walrus lead."))
    other = sqlite3.connect(path)
    other.execute(
        "INSERT INTO items (feed_id, guid, title, summary, fetched_at, updated_at,"
        " content_hash) VALUES (?, 'script', 'Walrus tusks', 'A walrus lead.', ?, ?, 'h')",
        (fid, AT, AT),
    )
    other.commit()
    other.close()
    assert guids(store, "walrus") == {"old", "new", "script"}
    consistent(store)
