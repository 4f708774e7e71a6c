"""Band rows held back to the commit (``NearDupIndex(hold=…)``, the poll's near-duplicate
layer): lookups inside the transaction see them as if written, the commit writes them, and a
rolled-back unit (a feed whose store step failed) or transaction drops the rows of the items
it removed — an id SQLite hands out again after a rollback gets only its own rows. Every
step is compared with an index that writes each row at once (the table, the candidates)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import FIXED_NOW

from aggregator.models import Item
from aggregator.store.band_index import NearDupIndex, _epoch_s
from aggregator.store.core import Store, utc_iso

AT = "2026-11-20T00:00:00Z"
S = _epoch_s(AT)


def _item(fid: int, guid: str) -> Item:
    return Item(
        feed_id=fid, guid=guid, url=None, canonical_url=None, title=guid, summary="",
        content_html="", content_text=guid, lang="en", published_at=AT,
        fetched_at=utc_iso(FIXED_NOW), content_hash=guid,
    )  # fmt: skip


def _table(store: Store) -> list[tuple[int, int, int]]:
    return list(store.conn.execute("SELECT * FROM minhash_bands ORDER BY band_key, item_id"))


class _Unit(Exception):
    """A feed's store step failing after its items were inserted."""


def _run(tmp_path: Path, name: str, hold: bool, seed: int) -> tuple[list[object], list[object]]:
    """Random feeds of 1-3 items with keys from a small pool (shared keys: candidates),
    some units failing, group commits now and then; returns every lookup's candidates and
    the table after each commit."""
    rng = random.Random(seed)
    store = Store.open(tmp_path / f"{name}.db")
    seen: list[object] = []
    tables: list[object] = []
    try:
        with store.transaction():
            fid = store.add_feed("https://a.example/rss", now=FIXED_NOW)
        index = NearDupIndex(store.conn, hold=store.db if hold else None)
        n = 0
        for feed in range(60):
            fail = rng.random() < 0.2
            try:
                with store.group_unit():
                    for _ in range(rng.randint(1, 3)):
                        keys = rng.sample(range(40), 6)
                        seen.append(index.candidates_for_keys(keys, around=(AT, 3600.0)))
                        n += 1
                        item_id = store.insert_item(_item(fid, f"g{n}"))
                        seen.append(item_id)
                        index.add_keys(item_id, keys, AT)
                    if fail:
                        raise _Unit
            except _Unit:
                pass
            if feed % 7 == 6:
                store.commit_group()
                tables.append(_table(store))
        store.commit_group()
        tables.append(_table(store))
    finally:
        store.close()
    return seen, tables


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_held_rows_decide_and_end_as_rows_written_at_once(tmp_path: Path, seed: int) -> None:
    held = _run(tmp_path, "held", True, seed)
    now = _run(tmp_path, "now", False, seed)
    assert held == now
    assert held[1][-1]  # rows were written


def test_a_rolled_back_unit_drops_its_rows_and_a_reused_id_keeps_only_its_own(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "r.db")
    try:
        with store.transaction():
            fid = store.add_feed("https://a.example/rss", now=FIXED_NOW)
        index = NearDupIndex(store.conn, hold=store.db)
        with store.group_unit():
            kept = store.insert_item(_item(fid, "a"))
            index.add_keys(kept, [1, 2], AT)
        with pytest.raises(_Unit), store.group_unit():
            gone = store.insert_item(_item(fid, "b"))
            index.add_keys(gone, [2, 3], AT)
            assert index.candidates_for_keys([3]) == [gone]
            raise _Unit
        assert index.candidates_for_keys([2, 3]) == [kept]
        with store.group_unit():
            again = store.insert_item(_item(fid, "c"))
            index.add_keys(again, [4], AT)
        assert again == gone  # the rolled-back id is given out again
        assert store.conn.execute("SELECT count(*) FROM minhash_bands").fetchone()[0] == 0
        store.commit_group()
        assert _table(store) == [(1, kept, S), (2, kept, S),
                                 (4, again, S)]  # fmt: skip
        assert index.candidates_for_keys([3]) == []
    finally:
        store.close()


def test_a_rolled_back_transaction_drops_every_held_row(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "t.db")
    try:
        with store.transaction():
            fid = store.add_feed("https://a.example/rss", now=FIXED_NOW)
        index = NearDupIndex(store.conn, hold=store.db)
        with pytest.raises(_Unit), store.transaction():
            index.add_keys(store.insert_item(_item(fid, "a")), [7], AT)
            raise _Unit
        assert index.candidates_for_keys([7]) == []
        with store.transaction():
            item_id = store.insert_item(_item(fid, "b"))
            index.add_keys(item_id, [7], AT)
        assert _table(store) == [(7, item_id, S)]  # written by the commit
    finally:
        store.close()


def test_a_rollback_the_store_cannot_be_read_after_drops_every_held_row() -> None:
    """No ``items`` to ask (here: the table is missing): every held row goes, nothing raises
    over the error being handled."""
    import sqlite3

    from aggregator.store.sqldb import Database

    conn = sqlite3.connect(":memory:", isolation_level=None)
    db = Database(conn)
    index = NearDupIndex(conn, hold=db)
    index.add_keys(1, [5, 6], AT)
    assert index.candidates_for_keys([5]) == [1]
    db.rolled_back()
    assert index.candidates_for_keys([5, 6]) == []
