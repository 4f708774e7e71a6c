"""The root of a duplicate group is the original (issue 13 item 5): when a republisher is
polled before the outlet it copies, the earlier-published item becomes the root."""

from __future__ import annotations

import asyncio
from datetime import datetime

from origin import Origin

from aggregator.config import Config
from aggregator.pipeline.audit import explain
from aggregator.pipeline.cluster_pass import EventBuilder
from aggregator.pipeline.refresh import Pipeline
from aggregator.store.core import Store


def _rss(guid: str, link: str, title: str, pub: str, feed: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{feed}</title><link>http://example.org/</link>"
        f'<item><guid isPermaLink="false">{guid}</guid><link>{link}</link><title>{title}</title>'
        f"<description>A magnitude 6.8 quake.</description><pubDate>{pub}</pubDate></item>"
        "</channel></rss>"
    ).encode()


def _poll(cfg: Config, store: Store, url: str, now: datetime) -> int:
    feed = store.feed(store.add_feed(url, now=now))
    pipeline = Pipeline(cfg, store)
    try:
        asyncio.run(pipeline.poll([feed], lambda: now))
    finally:
        pipeline.close()
    return feed.id


def test_original_polled_after_its_copy_becomes_the_root(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    link = "https://n.example.com/s1"
    origin.static(
        "/wire.xml", _rss("w1", link, "Quake hits Aomori", "Thu, 19 Nov 2026 09:00:00 GMT", "Wire")
    )
    origin.static(
        "/portal.xml",
        _rss(
            "p1",
            link + "?utm_source=x",
            "Quake hits Aomori, Japan",
            "Thu, 19 Nov 2026 10:30:00 GMT",
            "Portal",
        ),
    )
    _poll(cfg, store, origin.url("/portal.xml"), now)  # the republisher first
    (copy,) = [r["id"] for r in store.rows("SELECT id FROM items")]
    _poll(cfg, store, origin.url("/wire.xml"), now)
    rows = {r["guid"]: r for r in store.rows("SELECT id, guid, duplicate_of, event_id FROM items")}
    wire, portal = rows["w1"], rows["p1"]
    assert portal["id"] == copy
    assert wire["duplicate_of"] is None and portal["duplicate_of"] == wire["id"]
    assert wire["event_id"] is not None and wire["event_id"] == portal["event_id"]
    assert f"DUPLICATE of item {wire['id']}" in explain(store, copy).render()
    assert "dedupe: reroot" in explain(store, copy).render()
    EventBuilder(cfg, store).cluster_pending(now)  # nothing left pending or detached
    assert not store.rows("SELECT id FROM items WHERE event_id IS NULL")


def test_a_later_copy_leaves_the_root_alone(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    link = "https://n.example.com/s2"
    origin.static(
        "/wire.xml", _rss("w1", link, "Fed holds rates", "Thu, 19 Nov 2026 09:00:00 GMT", "Wire")
    )
    origin.static(
        "/portal.xml",
        _rss(
            "p1",
            link + "?utm_source=x",
            "Fed holds rates steady",
            "Thu, 19 Nov 2026 10:30:00 GMT",
            "Portal",
        ),
    )
    _poll(cfg, store, origin.url("/wire.xml"), now)
    _poll(cfg, store, origin.url("/portal.xml"), now)
    rows = {r["guid"]: r for r in store.rows("SELECT id, guid, duplicate_of FROM items")}
    assert rows["w1"]["duplicate_of"] is None and rows["p1"]["duplicate_of"] == rows["w1"]["id"]
    assert not store.rows("SELECT id FROM decisions WHERE rule = 'reroot'")
