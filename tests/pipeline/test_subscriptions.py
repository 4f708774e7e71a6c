"""feeds.opml is the source of truth (issue 15, item 10): the store follows the file —
outlines removed unsubscribe (items kept), a new bridge base rewrites bridged feeds in place."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, make_config

from aggregator.opml import Subscription, read_opml
from aggregator.pipeline.subscriptions import plan_sync, sync_opml, sync_subscriptions
from aggregator.store.core import Store
from aggregator.store.subscriptions import UNSUBSCRIBED_REASON, subscribed_feeds

PUBLIC = "https://rsshub.app"
OWN = "http://127.0.0.1:1200"


def bundled(base: str) -> list[Subscription]:
    return read_opml((REPO / "feeds.opml").read_bytes(), rsshub_base=base)


def urls(store: Store) -> set[str]:
    return {f.url for f in subscribed_feeds(store, include_unsubscribed=False)}


def test_new_bridge_base_rewrites_bridged_feeds_in_place(store: Store, now: datetime) -> None:
    sync_subscriptions(store, bundled(PUBLIC), now)
    before = {f.bridge_route: f.id for f in subscribed_feeds(store) if f.bridged}
    n = len(subscribed_feeds(store))
    assert len(before) >= 10
    store.conn.execute("UPDATE feeds SET error_count = 5, last_error = 'HTTP 403'")
    result = sync_subscriptions(store, bundled(OWN), now)
    feeds = subscribed_feeds(store)
    assert len(feeds) == n  # no second subscription beside the stale one
    assert result.rebased == len(before) and result.added == 0 and result.unsubscribed == 0
    assert not any("rsshub.app" in f.url or "rsshub.app" in f.subscribed_url for f in feeds)
    after = {f.bridge_route: f.id for f in feeds if f.bridged}
    assert after == before  # same rows: their items and events stay theirs
    for f in feeds:
        if f.bridged:
            assert f.url == OWN + f.bridge_route and f.error_count == 0 and f.last_error is None
    # Syncing again changes nothing.
    again = sync_subscriptions(store, bundled(OWN), now)
    assert (again.added, again.rebased, again.unsubscribed) == (0, 0, 0)


def test_rows_from_before_routes_were_stored_are_rebased_too(store: Store, now: datetime) -> None:
    sync_subscriptions(store, bundled(PUBLIC), now)
    store.conn.execute("UPDATE feeds SET bridge_route = NULL")  # as migrated from an old store
    n = len(subscribed_feeds(store))
    sync_subscriptions(store, bundled(OWN), now)
    assert len(subscribed_feeds(store)) == n
    assert not any("rsshub.app" in u for u in urls(store))


def test_store_already_doubled_by_the_old_sync_keeps_one_of_each(
    store: Store, now: datetime
) -> None:
    """The old sync added every bridged feed again beside the stale rsshub.app one: the new
    ones match by URL and the stale ones, with no outline left, are unsubscribed."""
    sync_subscriptions(store, bundled(PUBLIC), now)
    stale = {f.id for f in subscribed_feeds(store) if f.bridged}
    for s in bundled(OWN):
        if s.bridge:
            store.add_feed(s.url, now=now, title=s.title, bridged=s.bridge)
    result = sync_subscriptions(store, bundled(OWN), now)
    assert result.unsubscribed == len(stale)
    assert {f.id for f in subscribed_feeds(store) if not f.subscribed} == stale
    assert len(urls(store)) == len(bundled(OWN))
    assert not any("rsshub.app" in u for u in urls(store))


def test_removed_outline_unsubscribes_keeps_items_and_comes_back(
    store: Store, now: datetime
) -> None:
    a, b = Subscription(url="https://a.example/rss"), Subscription(url="https://b.example/rss")
    sync_subscriptions(store, [a, b], now)
    fid_b = next(f.id for f in subscribed_feeds(store) if f.url == b.url)
    store.conn.execute(
        "INSERT INTO items (feed_id, guid, title, fetched_at, updated_at, content_hash)"
        " VALUES (?, 'g1', 't', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'h')",
        (fid_b,),
    )
    result = sync_subscriptions(store, [a], now)
    assert result.unsubscribed == 1
    gone = next(f for f in subscribed_feeds(store) if f.id == fid_b)
    assert gone.disabled and gone.disabled_reason == UNSUBSCRIBED_REASON and not gone.subscribed
    assert store.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 1
    assert [f.id for f in store.due_feeds(now, per_host_cap=10)] != [fid_b]
    assert fid_b not in {f.id for f in store.due_feeds(now, per_host_cap=10)}
    back = sync_subscriptions(store, [a, b], now)
    assert back.resubscribed == 1 and back.added == 0
    assert fid_b in {f.id for f in store.due_feeds(now, per_host_cap=10)}


def test_plan_is_pure_and_takes_the_exact_url_before_the_route(store: Store, now: datetime) -> None:
    s = Subscription(url=OWN + "/x", bridge="rsshub", bridge_route="/x")
    sync_subscriptions(
        store, [Subscription(url=PUBLIC + "/x", bridge="rsshub", bridge_route="/x")], now
    )
    sync_subscriptions(store, [s], now)
    plan = plan_sync([s], subscribed_feeds(store))
    assert plan.add == [] and plan.rebase == [] and plan.unsubscribe == []
    assert [fid for fid, _ in plan.refresh] == [f.id for f in subscribed_feeds(store)]


def test_missing_opml_changes_nothing(tmp_path: Path, now: datetime) -> None:
    cfg = make_config(tmp_path, feeds={"opml": "no-such.opml"})
    store = Store.open(cfg.store_path, cfg.store)
    try:
        sync_subscriptions(store, [Subscription(url="https://a.example/rss")], now)
        result = sync_opml(cfg, store, now)
        assert (result.added, result.unsubscribed) == (0, 0)
        assert urls(store) == {"https://a.example/rss"}
    finally:
        store.close()


def test_outlets_follow_the_opml_and_an_unchanged_one_is_not_reassigned(
    store: Store, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14: the OPML names each feed's outlet; the sync applies it, follows a rename,
    and (every poll syncs every outline) leaves an outlet that is already right alone."""
    from aggregator.store import subscriptions as store_subs

    subs = [Subscription(url="https://apnews.example/top.xml", title="AP Top", outlet="AP",
                         country="US")]  # fmt: skip
    sync_subscriptions(store, subs, now)

    def outlet() -> tuple[str, str]:
        r = store.conn.execute(
            "SELECT o.name, o.country FROM feeds f JOIN outlets o ON o.id = f.outlet_id"
        ).fetchone()
        return r[0], r[1]

    assert outlet() == ("AP", "US")
    calls = {"n": 0}
    real = store_subs.assign_outlet

    def counting(*a: Any, **kw: Any) -> int:
        calls["n"] += 1
        return real(*a, **kw)

    monkeypatch.setattr(store_subs, "assign_outlet", counting)
    sync_subscriptions(store, subs, now)
    assert calls["n"] == 0
    renamed = [dataclasses.replace(subs[0], outlet="Associated Press")]
    sync_subscriptions(store, renamed, now)
    assert calls["n"] == 1 and outlet() == ("Associated Press", "US")
