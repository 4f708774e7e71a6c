"""Entity keys persisted per item (issue 16 item 2): loading the clustering window reads the
keys stored when each member was clustered instead of running the extractor on every member
again (~0.9 s of a 200-feed CLI pass), recomputes them when the extractor changes or the item
is revised, and gives the clusterer exactly the keys a fresh extraction gives."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from origin import Origin

from aggregator.cluster.evidence import Evidence
from aggregator.cluster.records import evidence_for
from aggregator.config import Config
from aggregator.pipeline import cluster_pass
from aggregator.pipeline.cluster_pass import EventBuilder
from aggregator.pipeline.refresh import Pipeline, PollReport
from aggregator.store.core import Store

STORIES = [
    ("g0", "http://example.org/0", "Fed raises rates by 0.25 percentage points", "Powell said"),
    ("g1", "http://example.org/1", "美联储宣布加息25个基点", "鲍威尔表示，7月26日"),
    ("g2", "http://example.org/2", "Earthquake of 7.4 hits Hualien, Taiwan", "1,200 injured"),
    ("g3", "http://example.org/3", "台湾花莲发生7.4级地震", "1200人受伤"),
]


def _rss(items: list[tuple[str, str, str, str]]) -> bytes:
    body = "".join(
        f'<item><guid isPermaLink="false">{g}</guid><link>{ln}</link><title>{t}</title>'
        f"<description>{d}</description><pubDate>Thu, 19 Nov 2026 10:00:00 GMT</pubDate></item>"
        for g, ln, t, d in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
        f"<link>http://example.org/</link>{body}</channel></rss>"
    ).encode()


def _poll(cfg: Config, store: Store, url: str, now: datetime) -> PollReport:
    feed = store.feed(store.add_feed(url, now=now))
    pipeline = Pipeline(cfg, store)
    try:
        return asyncio.run(pipeline.poll([feed], lambda: now))
    finally:
        pipeline.close()


def _fresh(store: Store, item_id: int) -> Evidence:
    row = store.rows("SELECT title, summary FROM items WHERE id = ?", (item_id,))[0]
    return evidence_for(row["title"], cluster_pass._lead(row))


def test_keys_stored_when_clustered_and_reused_on_load(
    cfg: Config, store: Store, origin: Origin, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin.static("/k.xml", _rss(STORIES))
    _poll(cfg, store, origin.url("/k.xml"), now)
    rows = store.rows("SELECT item_id, extractor, keys FROM item_evidence ORDER BY item_id")
    assert len(rows) == 4
    assert {r["extractor"] for r in rows} == {cluster_pass.evidence_extractor_id()}
    for r in rows:
        title, text = json.loads(r["keys"])
        ev = _fresh(store, r["item_id"])
        assert (frozenset(title), frozenset(text)) == (ev.title_keys, ev.text_keys)
    assert any(json.loads(r["keys"])[0] for r in rows)  # the stories do carry keys

    calls = _count_extractions(monkeypatch)
    clusterer = EventBuilder(cfg, store)._load(now - timedelta(days=3))  # a new process
    assert len(clusterer) == 4
    assert calls["n"] == 0  # every member's keys came from the store
    loaded = {m.item_id: m.evidence for e in clusterer._events for m in clusterer.members(e)}
    assert loaded == {r["item_id"]: _fresh(store, r["item_id"]) for r in rows}


def test_keys_recomputed_for_a_new_extractor_and_a_revised_item(
    cfg: Config, store: Store, origin: Origin, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    stories = list(STORIES)
    origin.static("/k.xml", _rss(stories))
    _poll(cfg, store, origin.url("/k.xml"), now)
    first = store.rows("SELECT item_id FROM item_evidence ORDER BY item_id")[0]["item_id"]
    # The first story comes back edited: a revision, so its stored keys go.
    stories[0] = (stories[0][0], stories[0][1], "ECB cuts rates in Frankfurt", "Lagarde said")
    origin.static("/k.xml", _rss(stories))
    _poll(cfg, store, origin.url("/k.xml"), now + timedelta(minutes=20))
    assert not store.rows("SELECT 1 FROM item_evidence WHERE item_id = ?", (first,))

    calls = _count_extractions(monkeypatch)
    EventBuilder(cfg, store)._load(now - timedelta(days=3))
    assert calls["n"] == 1  # only the revised item, and its keys are kept
    keys = store.rows("SELECT keys FROM item_evidence WHERE item_id = ?", (first,))[0]["keys"]
    assert "central_bank:ecb" in json.loads(keys)[0]

    # Another extractor (an edit of cluster/evidence.py): every member is extracted once more.
    monkeypatch.setattr(cluster_pass, "evidence_extractor_id", lambda: "other-extractor")
    EventBuilder(cfg, store)._load(now - timedelta(days=3))
    assert calls["n"] == 1 + 4
    assert {r["extractor"] for r in store.rows("SELECT extractor FROM item_evidence")} == {
        "other-extractor"
    }
    EventBuilder(cfg, store)._load(now - timedelta(days=3))
    assert calls["n"] == 5


def _count_extractions(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts the cluster pass's calls of the entity-key extractor from here on."""
    calls = {"n": 0}
    real = evidence_for

    def counting(title: str, lead: str) -> Evidence:
        calls["n"] += 1
        return real(title, lead)

    monkeypatch.setattr(cluster_pass, "evidence_for", counting)
    return calls


def _polled_window(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> tuple[str, str, str]:
    """Poll STORIES once; the window's (extractor id, since, embedder name) for ``now``."""
    origin.static("/w.xml", _rss(STORIES))
    _poll(cfg, store, origin.url("/w.xml"), now)
    since = (now - timedelta(days=30)).isoformat()
    return cluster_pass.evidence_extractor_id(), since, EventBuilder(cfg, store).embedder.name


def test_window_reads_leads_only_for_members_that_need_them(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """A member with its terms, keys and a vector of the embedder stored needs no lead (the
    window load held ~1.6 KB of lead text per member for nothing); a member whose vector is
    of another model is embedded again, from title + lead, so it still gets its lead."""
    from aggregator.store import events as store_events

    ext, since, model = _polled_window(cfg, store, origin, now)
    lean = store_events.window_members(store, since, ext, model)
    assert len(lean) == 4 and all(m.summary == "" and m.content_text == "" for m in lean)
    full = store_events.window_members(store, since, ext)
    assert all(m.summary for m in full)
    other = store_events.window_members(store, since, ext, model + "-other")
    assert [m.summary for m in other] == [m.summary for m in full]
    assert [(m.item_id, m.vector, m.terms, m.keys) for m in lean] == [
        (m.item_id, m.vector, m.terms, m.keys) for m in full
    ]


def test_equal_key_sets_are_held_once_in_the_window(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """Members with equal stored keys (most often none in the lead) share one frozenset: a
    4,400-member window held 3,700 empty ones, 216 B each."""
    plain = [(f"p{i}", f"http://example.org/p{i}", f"Quiet day number {i}", "") for i in range(4)]
    origin.static("/s.xml", _rss(STORIES + plain))
    _poll(cfg, store, origin.url("/s.xml"), now)
    clusterer = EventBuilder(cfg, store)._load(now - timedelta(days=3))
    members = [m for e in clusterer._events for m in clusterer.members(e)]
    assert len(members) == 8
    empty = [m.evidence.text_keys for m in members if not m.evidence.text_keys]
    assert len(empty) >= 4 and all(s is empty[0] for s in empty)
    by_value: dict[frozenset[str], set[int]] = {}
    for m in members:
        for s in (m.evidence.title_keys, m.evidence.text_keys):
            by_value.setdefault(s, set()).add(id(s))
    assert all(len(ids) == 1 for ids in by_value.values())
    assert {m.item_id: m.evidence for m in members} == {
        m.item_id: _fresh(store, m.item_id) for m in members
    }


def test_a_batch_stores_vectors_terms_and_keys_in_one_statement_per_table(
    cfg: Config, store: Store, origin: Origin, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch of clustered items writes its vectors, term counts and entity keys once per
    table (``save_members``), the rows each item's own writes gave."""
    from aggregator.cluster import lexical
    from aggregator.cluster.embed import LexicalEmbedder, embedding_text
    from aggregator.store import events as store_events

    batches: list[int] = []
    save = store_events.save_members

    def spy(*a: Any) -> None:
        batches.append(len(a[3]))
        save(*a)

    monkeypatch.setattr(store_events, "save_members", spy)
    origin.static("/b.xml", _rss(STORIES))
    _poll(cfg, store, origin.url("/b.xml"), now)
    assert batches == [4]
    rows = store.rows(
        "SELECT i.id, i.title, i.summary, v.model, v.vector, t.terms, k.keys FROM items i"
        " JOIN item_vectors v ON v.item_id = i.id JOIN item_terms t ON t.item_id = i.id"
        " JOIN item_evidence k ON k.item_id = i.id ORDER BY i.id"
    )
    assert len(rows) == 4
    for r in rows:
        lead = cluster_pass._lead(r)
        vec = LexicalEmbedder().embed([embedding_text(r["title"], lead)])[0]
        assert (r["model"], r["vector"]) == ("lexical", vec.tobytes())
        assert json.loads(r["terms"]) == dict(lexical.terms(r["title"], lead))
        ev = _fresh(store, r["id"])
        assert json.loads(r["keys"]) == [sorted(ev.title_keys), sorted(ev.text_keys)]


def test_window_vectors_read_back_by_item_id(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """Without ``vector_blobs`` the window query marks a stored vector ``b""``, and
    ``window_reads.stored_vectors`` gives the bytes the full query gives, for that embedder only;
    ``with_blobs`` hands every member its bytes, in order, reading a few at a time."""
    from aggregator.pipeline import window_values
    from aggregator.store import events as store_events
    from aggregator.store import window_reads

    ext, since, model = _polled_window(cfg, store, origin, now)
    full = store_events.window_members(store, since, ext, model)
    lean = store_events.window_members(store, since, ext, model, vector_blobs=False)
    assert len(full) == 4 and all(m.vector and len(m.vector) > 0 for m in full)
    assert [m.vector for m in lean] == [b""] * 4
    ids = [m.item_id for m in lean]
    got = window_reads.stored_vectors(store, model, [*ids, 10**9])  # an id not stored is left out
    assert got == {m.item_id: m.vector for m in full}
    assert window_reads.stored_vectors(store, model + "-other", ids) == {}

    reads: list[list[int]] = []

    def fetch(asked: list[int]) -> dict[int, bytes]:
        reads.append(asked)
        return window_reads.stored_vectors(store, model, asked)

    old, window_values.BLOB_ROWS = window_values.BLOB_ROWS, 3
    try:
        given = list(window_values.with_blobs(lean, fetch))
    finally:
        window_values.BLOB_ROWS = old
    assert [(m.item_id, b) for m, b in given] == [(m.item_id, m.vector) for m in full]
    assert reads == [ids[:3], ids[3:]] and lean == []  # the list is consumed
