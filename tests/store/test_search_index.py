"""The full-text index layout (``[store] search``): what it covers, rebuilds on a change of
setting, upgrades of stores made before it existed, and consistency after revisions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import FIXED_NOW, stored_item

from aggregator.config import StoreConfig
from aggregator.store.core import Store
from aggregator.store.migrations import MIGRATIONS, split_sql
from aggregator.store.search_index import LEAD_CHARS, current_layout, layout

AT = "2026-11-20T12:00:00Z"
FILLER = "Markets were quiet on Friday as traders waited for the data. " * 20
assert len(FILLER) > LEAD_CHARS


item = stored_item


def fill(store: Store) -> int:
    with store.transaction():
        fid = store.add_feed("https://example.test/rss", now=FIXED_NOW)
        # The distinctive words: in the title, in the lead, deep in the body only.
        store.insert_item(item(fid, "a", "Copper hits record", "Lead about smelters.", FILLER))
        store.insert_item(
            item(fid, "b", "Quiet day", "稀土出口 暂停", FILLER + " zanzibar cloves " + FILLER)
        )
        store.insert_item(item(fid, "c", "No summary", "", "Body-only lead: pangolin. " + FILLER))
    return fid


def guids(store: Store, q: str) -> set[str]:
    ids = {r["id"] for r in store.search(q)}
    return {r["guid"] for r in store.rows("SELECT id, guid FROM items") if r["id"] in ids}


def integrity(store: Store) -> None:
    store.conn.execute("INSERT INTO items_fts(items_fts) VALUES ('integrity-check')")


def test_lead_layout_covers_title_and_lead_not_the_deep_body(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db", StoreConfig(search="lead"))
    fill(store)
    assert guids(store, "copper") == {"a"}  # title
    assert guids(store, "smelters") == {"a"}  # summary (the lead)
    assert guids(store, "pangolin") == {"c"}  # no summary: the start of the text
    assert guids(store, "稀土出口") == {"b"}  # 4 characters: trigram index
    assert guids(store, "稀土") == {"b"}  # 2 characters: LIKE over the same text
    assert guids(store, "zanzibar") == set()  # deep in the body: not indexed in this layout
    assert current_layout(store.conn) == layout("lead")
    integrity(store)


def test_full_layout_covers_the_whole_text(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db", StoreConfig(search="full"))
    fill(store)
    assert guids(store, "zanzibar") == {"b"}
    assert guids(store, "pangolin") == {"c"}
    integrity(store)


def test_changing_the_setting_rebuilds_the_index(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = Store.open(path, StoreConfig(search="lead"))
    fill(store)
    store.close()
    store = Store.open(path, StoreConfig(search="full"))
    assert current_layout(store.conn) == layout("full")
    assert guids(store, "zanzibar") == {"b"}
    integrity(store)
    store.close()
    store = Store.open(path, StoreConfig(search="lead"))
    assert guids(store, "zanzibar") == set()
    assert guids(store, "smelters") == {"a"}
    integrity(store)


def test_revisions_and_deletes_keep_the_index_consistent(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db", StoreConfig(search="lead"))
    fid = fill(store)
    a = store.rows("SELECT id FROM items WHERE guid = 'a'")[0]["id"]
    with store.transaction():
        store.revise_item(a, item(fid, "a", "Copper hits record", "Lead about refiners.", "x"))
    assert guids(store, "smelters") == set()
    assert guids(store, "refiners") == {"a"}
    with store.transaction():
        store.conn.execute("DELETE FROM items WHERE guid = 'a'")
    assert guids(store, "refiners") == set()
    integrity(store)


def test_store_from_before_the_layout_setting_is_upgraded(tmp_path: Path) -> None:
    """A store made by migrations 1-4 (items_fts over content_text) opens, migrates and
    searches; the items it already had are indexed."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    for version, name, sql in MIGRATIONS[:4]:
        for stmt in split_sql(sql):
            conn.execute(stmt)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, AT))
    conn.execute("INSERT INTO feeds (url, subscribed_url, added_at) VALUES ('u', 'u', ?)", (AT,))
    conn.execute(
        "INSERT INTO items (feed_id, guid, title, summary, content_text, fetched_at,"
        " updated_at, content_hash) VALUES (1, 'old', 'Old title', 'ocelot lead', 'x', ?, ?, 'h')",
        (AT, AT),
    )
    conn.commit()
    conn.close()
    store = Store.open(path, StoreConfig())
    assert guids(store, "ocelot") == {"old"}
    integrity(store)


def test_bad_setting_names_the_key(tmp_path: Path) -> None:
    from aggregator.config import ConfigError, from_dict

    with pytest.raises(ConfigError, match=r"store\.search"):
        from_dict({"store": {"search": "everything"}}, base_dir=tmp_path)
