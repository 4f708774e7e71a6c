"""Each text is embedded once per pass (issue 16 item 4): a duplicate found by dedupe is never
embedded (it takes its original's event), and originals whose embedding text is the same
(syndicated copies with dedupe off) are embedded once and get the same vector."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from conftest import make_config
from origin import Origin

from aggregator.cluster.embed import FloatMatrix, LexicalEmbedder
from aggregator.config import Config
from aggregator.pipeline.cluster_pass import EventBuilder
from aggregator.pipeline.refresh import Pipeline
from aggregator.store.core import Store


class CountingEmbedder(LexicalEmbedder):
    """The real lexical embedder, recording every text it is asked to embed; named as a
    model would be (the pass caches a model's vectors, not the lexical embedder's, whose
    row for a text depends on that text alone)."""

    name = "counting-model"

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> FloatMatrix:
        self.texts.extend(texts)
        return super().embed(texts)


def _rss(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f'<item><guid isPermaLink="false">{g}</guid><link>http://example.org/{g}</link>'
        f"<title>{t}</title><description>{d}</description>"
        "<pubDate>Thu, 19 Nov 2026 10:00:00 GMT</pubDate></item>"
        for g, t, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        f"<link>http://example.org/</link>{body}</channel></rss>"
    ).encode()


SHARED = ("Wildfire forces thousands to flee homes near Athens", "Firefighters battled flames")


def _poll(cfg: Config, store: Store, origin: Origin, now: datetime) -> CountingEmbedder:
    origin.static("/a.xml", _rss([("a1", *SHARED), ("a2", "Central bank holds rates", "Once")]))
    origin.static("/b.xml", _rss([("b1", *SHARED), ("b2", "Storm closes schools", "Rain")]))
    feeds = [store.feed(store.add_feed(origin.url(p), now=now)) for p in ("/a.xml", "/b.xml")]
    embedder = CountingEmbedder()
    pipeline = Pipeline(cfg, store)
    pipeline._events = EventBuilder(cfg, store, embedder=embedder)
    try:
        asyncio.run(pipeline.poll(feeds, lambda: now))
    finally:
        pipeline.close()
    return embedder


def test_a_duplicate_is_never_embedded(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    embedder = _poll(cfg, store, origin, now)
    dup = store.rows("SELECT id, duplicate_of, event_id FROM items WHERE duplicate_of IS NOT NULL")
    assert len(dup) == 1  # the syndicated copy, found by dedupe
    assert len(embedder.texts) == 3 == len(set(embedder.texts))
    original = store.rows("SELECT event_id FROM items WHERE id = ?", (dup[0]["duplicate_of"],))
    assert dup[0]["event_id"] == original[0]["event_id"] is not None
    assert not store.rows("SELECT 1 FROM item_vectors WHERE item_id = ?", (dup[0]["id"],))


def test_the_same_text_is_embedded_once_per_pass(
    tmp_path: Path, origin: Origin, now: datetime
) -> None:
    cfg = make_config(tmp_path, dedupe={"enabled": False})
    store = Store.open(cfg.store_path, cfg.store)
    try:
        embedder = _poll(cfg, store, origin, now)
        rows = store.rows(
            "SELECT i.id, v.vector FROM items i JOIN item_vectors v ON v.item_id = i.id"
            " WHERE i.title = ? ORDER BY i.id",
            (SHARED[0],),
        )
        assert len(rows) == 2  # both originals: dedupe is off
        assert len(embedder.texts) == 3 == len(set(embedder.texts))
        a, b = (np.frombuffer(r["vector"], dtype=np.float32) for r in rows)
        np.testing.assert_array_equal(a, b)
    finally:
        store.close()
