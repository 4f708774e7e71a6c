"""The cluster stage's memory on a large pass (issue 16 item 6): the vector matrix is reserved
for the pass's pending items when the window is loaded (no regrowth, old and new copies both
resident, near the pass's end), and the per-pass vector cache holds copies, not views that
keep each whole batch matrix alive — and, with the hashed lexical embedder (whose row for a
text depends on that text alone), nothing: the clusterer holds each vector already."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import numpy as np
from origin import Origin

from aggregator.cluster.embed import LexicalEmbedder
from aggregator.config import Config
from aggregator.pipeline.cluster_pass import CLUSTER_BATCH_ITEMS, EventBuilder
from aggregator.pipeline.refresh import Pipeline
from aggregator.store.core import Store

ITEMS = 150  # > the index's initial 64 rows and > one batch


def _rss(n: int) -> bytes:
    body = "".join(
        f'<item><guid isPermaLink="false">g{i}</guid><link>http://example.org/{i}</link>'
        f"<title>Story number {i} about topic {i * 7919 % 1000}</title>"
        f"<description>Report {i} on subject {i * 104729 % 997}</description>"
        "<pubDate>Thu, 19 Nov 2026 10:00:00 GMT</pubDate></item>"
        for i in range(n)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        f"<link>http://example.org/</link>{body}</channel></rss>"
    ).encode()


class _Watched(EventBuilder):
    """The real builder, recording the matrix's room after the window load and whether the
    cached vectors own their memory after each batch."""

    room: int = -1
    views: int = 0
    cached: int = 0

    def _prepare(self, now: datetime) -> None:
        super()._prepare(now)
        assert self.clusterer is not None
        self.room = self.clusterer.index._cells[0].cap

    def _commit_batch(self, rows: Any, vecs: Any, now: datetime) -> Any:
        self.cached += len(self._pass_vectors)
        self.views += sum(1 for v in self._pass_vectors.values() if v.base is not None)
        return super()._commit_batch(rows, vecs, now)


class _Model(LexicalEmbedder):
    """Stands for a model (any embedder but the lexical one): its vectors are cached per pass."""

    name = "test-model"


def _poll(cfg: Config, store: Store, origin: Origin, now: datetime, builder: _Watched) -> None:
    origin.static("/a.xml", _rss(ITEMS))
    feeds = [store.feed(store.add_feed(origin.url("/a.xml"), now=now))]
    pipeline = Pipeline(cfg, store)
    pipeline._events = builder
    try:
        asyncio.run(pipeline.poll(feeds, lambda: now))
    finally:
        pipeline.close()
    assert ITEMS > CLUSTER_BATCH_ITEMS
    assert store.rows("SELECT COUNT(*) AS n FROM items WHERE event_id IS NOT NULL")[0]["n"] == ITEMS


def test_a_large_pass_reserves_its_rows_and_caches_copies(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    builder = _Watched(cfg, store, embedder=_Model())
    _poll(cfg, store, origin, now, builder)
    assert builder.room >= ITEMS  # was 64: regrown 1.5× at a time during the pass
    assert builder.cached >= ITEMS and builder.views == 0


def test_the_lexical_embedder_is_not_cached(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    builder = _Watched(cfg, store)
    assert builder.embedder.name == LexicalEmbedder.name
    _poll(cfg, store, origin, now, builder)
    assert builder.room >= ITEMS
    assert builder.cached == 0  # was ITEMS × 2 KB beside the clusterer's own copies


def test_lexical_rows_depend_on_their_text_alone() -> None:
    """What makes the cache needless for it: a text's row from a batch (with other texts and
    with copies of itself) is byte-identical to its row embedded alone."""
    texts = [f"Story {i} about topic {i * 7919 % 1000} 美联储 加息 {i}" for i in range(40)]
    texts += [*texts[:7], "", "a", "美"]
    emb = LexicalEmbedder()
    batch = emb.embed(texts)
    for i, t in enumerate(texts):
        alone = emb.embed([t])
        assert alone.dtype == batch.dtype == np.float32
        assert alone[0].tobytes() == batch[i].tobytes()


def test_malloc_is_trimmed_after_each_batch(
    cfg: Config, store: Store, origin: Origin, now: datetime, monkeypatch: Any
) -> None:
    """The free pages a batch leaves in malloc's heap go back to the kernel once it is
    committed (the stage's resident set follows what it uses, not the heap's extent)."""
    from aggregator.pipeline import cluster_pass

    calls: list[int] = []
    builder = _Watched(cfg, store)

    def trim() -> bool:
        done = "SELECT COUNT(*) AS n FROM items WHERE event_id IS NOT NULL"
        calls.append(store.rows(done)[0]["n"])
        return True

    monkeypatch.setattr(cluster_pass, "trim_malloc", trim)
    _poll(cfg, store, origin, now, builder)
    batches = -(-ITEMS // CLUSTER_BATCH_ITEMS)
    assert len(calls) == batches  # one per batch, each after its commit
    assert calls == sorted(calls) and calls[-1] == ITEMS and calls[0] == CLUSTER_BATCH_ITEMS
