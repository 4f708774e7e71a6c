"""The statistics a clean close leaves keep the event queries on ``items_event_id``: a close
while every item was unclustered made SQLite scan ``items`` for each event refresh
(docs/session-9/report-cluster-cpu-9.md). Checked on the query plans, not on times."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import FIXED_NOW, stored_item

from aggregator.store import events as store_events
from aggregator.store.core import Store, utc_iso
from aggregator.store.outlets import event_outlets
from aggregator.store.planner_stats import EVENT_INDEX, stored_rows_per_key

FEEDS, PER_FEED, PER_EVENT = 20, 20, 2


def _fill(path: Path) -> None:
    """A store of FEEDS × PER_FEED items, none in an event (as a poll leaves it before its
    cluster stage); closed after the queries a pass runs on it."""
    store = Store.open(path)
    feeds = [store.add_feed(f"http://127.0.0.1:9/{n}.xml", now=FIXED_NOW) for n in range(FEEDS)]
    with store.transaction():
        for f in feeds:
            for k in range(PER_FEED):
                store.insert_item(stored_item(f, f"{f}-{k}", f"Title {f} {k}", f"Text {k}"))
    assert store.has_unclustered_items()
    event_outlets(store.conn, 1)  # the connection used the event index (optimize looks)
    store.close()


def _cluster(path: Path) -> None:
    """Every item into an event of PER_EVENT members, as the cluster stage does; closed."""
    store = Store.open(path)
    at = utc_iso(FIXED_NOW)
    ids = [int(r["id"]) for r in store.rows("SELECT id FROM items ORDER BY id")]
    with store.transaction():
        for i in range(0, len(ids), PER_EVENT):
            ev = store.create_event(title="E", at=at, representative_item_id=ids[i])
            store_events.set_item_events(store, [(ev, j) for j in ids[i : i + PER_EVENT]])
    event_outlets(store.conn, 1)
    store.close()


def _event_plans(store: Store) -> list[str]:
    """EXPLAIN QUERY PLAN of the SELECTs of an event refresh and an outlet lookup."""
    seen: list[str] = []
    calls: list[Callable[[], Any]] = [
        lambda: store_events.refresh_events(store, [(1, None, None), (2, None, None)], "x"),
        lambda: event_outlets(store.conn, 1),
    ]
    store.conn.set_trace_callback(seen.append)
    try:
        with store.transaction():
            for call in calls:
                call()
    finally:
        store.conn.set_trace_callback(None)
    out = []
    for sql in seen:
        if sql.lstrip().upper().startswith("SELECT") and " items " in sql:
            rows = store.conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            out.append(" | ".join(str(r[-1]) for r in rows))
    assert len(out) == 2, seen
    return out


def _assert_event_index(path: Path) -> None:
    store = Store.open(path)
    try:
        for plan in _event_plans(store):
            assert f"USING INDEX {EVENT_INDEX}" in plan, plan
            assert "SCAN i" not in plan, plan
    finally:
        store.close()


def test_a_close_before_clustering_leaves_no_statistics_that_scan_items(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _fill(path)
    _cluster(path)
    _assert_event_index(path)
    # the close after clustering analysed: a few rows per event, as the store holds
    store = Store.open(path)
    stored = stored_rows_per_key(store.conn, EVENT_INDEX)
    store.conn.close()
    assert stored is not None and stored <= PER_EVENT + 1, stored


def test_stale_statistics_from_an_older_close_are_replaced(tmp_path: Path) -> None:
    """A store whose statistics were taken with every item unclustered (what an older
    version's close wrote) gets them right at its next close once clustered."""
    path = tmp_path / "s.db"
    _fill(path)
    store = Store.open(path)
    store.conn.execute("ANALYZE")
    assert stored_rows_per_key(store.conn, EVENT_INDEX) == FEEDS * PER_FEED
    store.close()
    _cluster(path)
    _assert_event_index(path)


def test_a_clustered_store_keeps_its_statistics(tmp_path: Path) -> None:
    """Right statistics are left alone by later closes (no ANALYZE on every close)."""
    path = tmp_path / "s.db"
    _fill(path)
    _cluster(path)
    store = Store.open(path)
    store.conn.execute("UPDATE sqlite_stat1 SET stat = '400 3' WHERE idx = ?", (EVENT_INDEX,))
    store.conn.commit()
    store.close()
    store = Store.open(path)
    assert stored_rows_per_key(store.conn, EVENT_INDEX) == 3
    store.conn.close()
