"""The window load's reads decoded by sqlite3 itself (``window_reads.utf8_reads``): the same
values as the store's replacing decoder, also where a text is not UTF-8, and the store's
decoder back in place afterwards, whatever happened."""

from __future__ import annotations

import sqlite3

import pytest

from aggregator.store import window_reads
from aggregator.store.core import Store


def _settings(store: Store) -> list[tuple[str, str]]:
    rows = store.conn.execute("SELECT key, value FROM store_settings WHERE key LIKE 't%'")
    return sorted(rows.fetchall())


def test_utf8_reads_give_the_stores_values(store: Store) -> None:
    own = store.conn.text_factory
    with store.transaction():
        store.conn.execute("INSERT INTO store_settings (key, value) VALUES ('t1', '地震 Ünïcode')")
    assert window_reads.utf8_reads(store, lambda: _settings(store)) == _settings(store)
    assert store.conn.text_factory is own
    with store.transaction():  # bytes that are not UTF-8 (another writer's)
        store.conn.execute(
            "INSERT INTO store_settings (key, value) VALUES ('t2', CAST(x'ff41' AS TEXT))"
        )
    calls: list[object] = []

    def read() -> list[tuple[str, str]]:
        calls.append(store.conn.text_factory)
        return _settings(store)

    got = window_reads.utf8_reads(store, read)
    assert got == _settings(store) and ("t2", "\ufffdA") in got
    assert calls == [str, own] and store.conn.text_factory is own


def test_utf8_reads_reraise_other_errors_and_restore_the_decoder(store: Store) -> None:
    own = store.conn.text_factory
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        window_reads.utf8_reads(store, lambda: store.conn.execute("SELECT * FROM nope"))
    assert store.conn.text_factory is own
