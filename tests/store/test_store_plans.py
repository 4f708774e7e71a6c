"""Query plans of the store's per-poll and per-item queries: none may scan or sort a table
that grows with the store (at 1M items a sort of one feed's items cost milliseconds per poll)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXED_NOW

from aggregator.store.core import Store


def plans(store: Store, call: Callable[[], Any]) -> list[str]:
    """EXPLAIN QUERY PLAN of every SELECT that ``call`` runs (values as bound)."""
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    try:
        call()
    finally:
        store.conn.set_trace_callback(None)
    out = []
    for sql in seen:
        if sql.lstrip().upper().startswith("SELECT"):
            rows = store.conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
            out.append(" | ".join(str(r[-1]) for r in rows))
    assert out, "the call ran no SELECT"
    return out


@pytest.mark.parametrize(
    "name",
    [
        "recent_publish_times",
        "guid_by_link",
        "existing_by_guid",
        "find_by_canonical_url",
        "find_by_content_hash",
        "find_by_canonical_urls",
        "find_by_content_hashes",
        "due_feeds",
        "has_unclustered_items",
    ],
)
def test_hot_queries_use_an_index_and_no_sort(tmp_path: Path, name: str) -> None:
    store = Store.open(tmp_path / "p.db")
    with store.transaction():
        fid = store.add_feed("https://example.test/rss", now=FIXED_NOW)
    calls: dict[str, Callable[[], Any]] = {
        "recent_publish_times": lambda: store.recent_publish_times(fid),
        "guid_by_link": lambda: store.guid_by_link(fid),
        "existing_by_guid": lambda: store.existing_by_guid(fid, ["a", "b"]),
        "find_by_canonical_url": lambda: store.find_by_canonical_url("https://x.test/a"),
        "find_by_content_hash": lambda: store.find_by_content_hash("0" * 64),
        "find_by_canonical_urls": lambda: store.find_by_canonical_urls(["https://x.test/a", "b"]),
        "find_by_content_hashes": lambda: store.find_by_content_hashes(["0" * 64, "1" * 64]),
        "due_feeds": lambda: store.due_feeds(FIXED_NOW, per_host_cap=2, limit=10),
        "has_unclustered_items": store.has_unclustered_items,
    }
    for plan in plans(store, calls[name]):
        assert "USING" in plan and "TEMP B-TREE" not in plan, plan
        assert not any(step.strip().startswith("SCAN items") for step in plan.split("|")), plan


def test_recent_publish_times_reads_the_index_only(tmp_path: Path) -> None:
    """The per-poll schedule query is answered from the index (no item rows read)."""
    store = Store.open(tmp_path / "p.db")
    with store.transaction():
        fid = store.add_feed("https://example.test/rss", now=FIXED_NOW)
    (plan,) = plans(store, lambda: store.recent_publish_times(fid))
    assert "COVERING INDEX" in plan, plan
