"""explain / unmerge: every merge has a reason; a wrong one can be undone and stays undone."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from conftest import run_cli
from origin import Origin
from test_pipeline import rss

from aggregator.config import Config
from aggregator.pipeline.audit import AuditError, explain, unmerge
from aggregator.pipeline.refresh import Pipeline
from aggregator.store.core import Store


def setup_duplicate(cfg: Config, store: Store, origin: Origin, now: datetime) -> tuple[int, int]:
    origin.static(
        "/a.xml",
        rss(
            [("a", "https://n.example.com/s1", "Quake hits Aomori", "A magnitude 6.8 quake.")],
            "Wire",
        ),
    )
    origin.static(
        "/b.xml",
        rss(
            [
                (
                    "b",
                    "https://www.n.example.com/s1?utm_source=x",
                    "Quake hits Aomori, Japan",
                    "Republished.",
                )
            ],
            "Portal",
        ),
    )
    feeds = [store.feed(store.add_feed(origin.url(p), now=now)) for p in ("/a.xml", "/b.xml")]
    pipeline = Pipeline(cfg, store)
    try:
        asyncio.run(pipeline.poll(feeds, lambda: now))
    finally:
        pipeline.close()
    ids = [r["id"] for r in store.rows("SELECT id FROM items ORDER BY id")]
    return ids[0], ids[1]


def test_explain_names_rule_and_target(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    original, dup = setup_duplicate(cfg, store, origin, now)
    text = explain(store, dup).render()
    assert f"DUPLICATE of item {original}" in text
    assert "dedupe: canonical_url" in text and "canonical_url: https://n.example.com/s1" in text
    orig_text = explain(store, original).render()
    assert "not a duplicate" in orig_text and f"{dup} (Portal)" in orig_text
    with pytest.raises(AuditError):
        explain(store, 999)


def test_unmerge_is_remembered(cfg: Config, store: Store, origin: Origin, now: datetime) -> None:
    original, dup = setup_duplicate(cfg, store, origin, now)
    assert "no longer a duplicate" in unmerge(store, dup, now)
    row = store.rows("SELECT duplicate_of, event_id FROM items WHERE id = ?", (dup,))[0]
    assert row == {"duplicate_of": None, "event_id": None}
    assert store.is_unmerged(dup, target_item_id=original)
    rules = [r["rule"] for r in store.rows("SELECT rule FROM decisions WHERE item_id = ?", (dup,))]
    assert rules == ["canonical_url", "unmerged"]
    with pytest.raises(AuditError):
        unmerge(store, original, now)  # alone in its event, nothing to undo


def test_cli_explain(
    tmp_path: Path, cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    _original, dup = setup_duplicate(cfg, store, origin, now)
    (tmp_path / "config.toml").write_text('[store]\npath = "db/test.db"\n', encoding="utf-8")
    proc = run_cli(tmp_path / "config.toml", "explain", str(dup), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "DUPLICATE of item" in proc.stdout


# -- event merges (issue 13 item 4) --------------------------------------------------------------
def _insert(store: Store, fid: int, guid: str, title: str, at: datetime) -> int:
    from aggregator.store.core import utc_iso

    with store.transaction():
        cur = store.conn.execute(
            "INSERT INTO items (feed_id, guid, title, summary, lang, published_at, fetched_at,"
            " updated_at, content_hash) VALUES (?, ?, ?, '', 'en', ?, ?, ?, ?)",
            (fid, guid, title, utc_iso(at), utc_iso(at), utc_iso(at), f"h-{guid}"),
        )
    return int(cur.lastrowid or 0)


def test_two_events_merge_when_a_later_item_shows_they_are_one_and_unmerge_splits_them(
    cfg: Config, store: Store, now: datetime
) -> None:
    from datetime import timedelta

    from aggregator.cluster.clusterer import ScoreWeights
    from aggregator.cluster.embed import LexicalEmbedder
    from aggregator.pipeline.cluster_pass import EventBuilder

    # The merge's store side (ids, decisions, unmerge): the margin alone decides here, the
    # two halves sharing no headline entity (``merge_key_weight``, tests/cluster/test_merge_key).
    weights = ScoreWeights(
        join_score=0.35,
        cross_lingual_bonus=0.0,
        centre=False,
        merge_margin=0.1,
        merge_key_weight=0.0,
    )

    def cluster() -> None:
        EventBuilder(cfg, store, LexicalEmbedder(), weights).cluster_pending(now)

    fid = store.add_feed("http://example.org/f.xml", now=now)
    a = _insert(
        store, fid, "a", "Volcano erupts near Grindavik in Iceland", now - timedelta(hours=3)
    )
    b = _insert(
        store,
        fid,
        "b",
        "Lava flow reaches Reykjanes homes, residents flee",
        now - timedelta(hours=2),
    )
    cluster()
    ev = {r["id"]: r["event_id"] for r in store.rows("SELECT id, event_id FROM items")}
    assert ev[a] != ev[b]  # nothing yet says they are one event
    ea, eb = ev[a], ev[b]
    bridge = _insert(
        store,
        fid,
        "c",
        "Volcano erupts near Grindavik in Iceland; lava flow"
        " reaches Reykjanes homes, residents flee",
        now - timedelta(hours=1),
    )
    cluster()
    ev = {r["id"]: r["event_id"] for r in store.rows("SELECT id, event_id FROM items")}
    assert ev[a] == ev[b] == ev[bridge] == min(ea, eb)  # the older id survives
    assert not store.rows("SELECT id FROM events WHERE id = ?", (max(ea, eb),))
    assert store.rows("SELECT item_count FROM events WHERE id = ?", (ea,))[0]["item_count"] == 3
    text = explain(store, b).render()
    assert f"merged_into → event {ea}" in text and f"merged_event_id: {eb}" in text
    assert "merge_events" in explain(store, bridge).render()

    msg = unmerge(store, b, now)
    assert f"event {eb} split from event {ea}" in msg
    ev = {r["id"]: r["event_id"] for r in store.rows("SELECT id, event_id FROM items")}
    # Same id back (same tag: URI) with what the merge moved; the bridging item had joined
    # that event before the merge, so it goes back with it.
    assert ev[b] == ev[bridge] == eb and ev[a] == ea
    # Another bridging report does not merge them again: the user's split is remembered.
    _insert(
        store,
        fid,
        "d",
        "Grindavik volcano: lava flow reaches Reykjanes homes",
        now - timedelta(minutes=30),
    )
    cluster()
    assert {r["event_id"] for r in store.rows("SELECT event_id FROM items")} == {ea, eb}
