"""The cluster stage's batched writes give the rows of the one-at-a-time store calls."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from conftest import stored_item

from aggregator.models import Decision
from aggregator.store import events as store_events
from aggregator.store.core import Store, utc_iso


def _world(store: Store, now: datetime) -> tuple[list[int], list[int]]:
    """Three feeds (two of one outlet name), five items in three events, one a duplicate,
    one Chinese; returns (item ids, event ids)."""
    feeds = [store.add_feed(f"http://127.0.0.1:9/{n}.xml", now=now) for n in range(3)]
    ids = []
    with store.transaction():
        for n, (feed, lang) in enumerate(
            zip([0, 1, 2, 0, 1], ["en", "zh", "en", "en", "en"], strict=True)
        ):
            item = dataclasses.replace(
                stored_item(feeds[feed], f"g{n}", f"Title {n}", f"Summary {n}"), lang=lang
            )
            ids.append(store.insert_item(item))
        store.set_duplicate_of(ids[4], ids[3])
        at = utc_iso(now)
        events = [
            store.create_event(title=f"E{n}", at=at, representative_item_id=ids[n])
            for n in range(3)
        ]
        for item, ev in zip(ids, [0, 0, 1, 1, 1], strict=True):
            store.set_item_event(item, events[ev])
    return ids, events


def _events(store: Store) -> list[dict[str, Any]]:
    return store.rows("SELECT * FROM events ORDER BY id")


def test_refresh_events_equals_refresh_event(store: Store, now: datetime) -> None:
    _ids, events = _world(store, now)
    at = utc_iso(now)
    with store.transaction():
        store.refresh_event(events[0], updated_at=at, title="New", alt_title="Alt")
        store.refresh_event(events[1], updated_at=at)
        store.refresh_event(events[2], updated_at=at, title=None, alt_title="Only alt")
    one_by_one = _events(store)
    with store.transaction():
        store.conn.execute(
            "UPDATE events SET item_count = 0, languages = '', sources = '[]', outlet_count = 0,"
            " title = 'x', alt_title = NULL"
        )
        store.conn.execute("UPDATE events SET title = 'E2' WHERE id = ?", (events[2],))
        store.conn.execute("UPDATE events SET title = 'E1' WHERE id = ?", (events[1],))
        store_events.refresh_events(
            store,
            [(events[2], None, "Only alt"), (events[0], "New", "Alt"), (events[1], None, None)],
            at,
        )
    batched = _events(store)
    assert batched == one_by_one
    assert [r["item_count"] for r in batched] == [2, 2, 0]  # the duplicate is not counted
    # the duplicate is one more outlet: three feeds
    assert batched[0]["languages"] == "en,zh" and batched[1]["outlet_count"] == 3


def test_unmerged_events_answers_is_unmerged(store: Store, now: datetime) -> None:
    ids, events = _world(store, now)
    at = utc_iso(now)
    with store.transaction():
        store_events.record_unmerge(store, ids[0], events[1], at)
        store_events.record_unmerge(store, ids[2], events[0], at)
    got = store_events.unmerged_events(store, ids)
    want = {(i, e) for i in ids for e in events if store.is_unmerged(i, target_event_id=e)}
    assert got == want == {(ids[0], events[1]), (ids[2], events[0])}
    assert store_events.unmerged_events(store, []) == set()


def test_add_decisions_equals_add_decision(store: Store, now: datetime) -> None:
    ids, events = _world(store, now)
    at = utc_iso(now)
    ds = [
        Decision(ids[0], "cluster", "new_event", target_event_id=events[0], score=0.5,
                 features={"shared": ["名", "x"], "lex": 0.25, "ok": True, "at": now}, at=at),
        Decision(ids[1], "cluster", "join_event", target_event_id=events[0], at=at),
    ]  # fmt: skip
    with store.transaction():
        for d in ds:
            store.add_decision(d)
        store.add_decisions(ds)
    rows = store.rows("SELECT * FROM decisions ORDER BY id")
    assert len(rows) == 4
    for a, b in zip(rows[:2], rows[2:], strict=True):
        assert {k: v for k, v in a.items() if k != "id"} == {
            k: v for k, v in b.items() if k != "id"
        }
    assert '"名"' in rows[0]["features"]  # not ASCII-escaped; the datetime by str()


def test_save_doc_freq_adds_updates_and_forgets_terms(store: Store) -> None:
    """Changed frequencies replace the stored ones, new terms are added, a df of 0 deletes
    the term, untouched terms stay; the document count is the ``''`` row."""
    with store.transaction():
        store_events.save_doc_freq(store, 3, [("fed", 2), ("rate", 1), ("美联储", 1)])
    with store.transaction():
        store_events.save_doc_freq(store, 5, [("cut", 1), ("fed", 4), ("rate", 0)])
    n, rows = store_events.load_doc_freq(store)
    assert n == 5
    assert dict(rows) == {"cut": 1, "fed": 4, "美联储": 1}
    with store.transaction():
        store_events.save_doc_freq(store, 5, [])
    assert store_events.load_doc_freq(store) == (n, rows)
