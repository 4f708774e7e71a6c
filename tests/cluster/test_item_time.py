"""Windows in the items' own time (issue 13 item 1): a stream dated today and the same stream
dated 400 days back form the same events; ``recluster`` over an old period rebuilds them."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from aggregator.cluster.embed import LexicalEmbedder
from aggregator.config import Config
from aggregator.pipeline.cluster_pass import EventBuilder
from aggregator.store.core import Store, utc_iso

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events" / "events.jsonl"


def _load_stream(store: Store, now: datetime, shift: timedelta) -> None:
    rows = [json.loads(x) for x in EVENTS.open()]
    rows.sort(key=lambda r: (r["published_at"], r["id"]))
    fid = store.add_feed("http://example.org/f.xml", now=now)
    with store.transaction():
        for k, r in enumerate(rows):
            # The fixture's order, 10 minutes apart, the newest an hour old ("today"); shifted.
            at = utc_iso(now - timedelta(hours=1, minutes=10 * (len(rows) - k)) - shift)
            store.conn.execute(
                "INSERT INTO items (feed_id, guid, title, summary, lang, published_at,"
                " fetched_at, updated_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (fid, str(r["id"]), r["title"], r["lead"], r["lang"], at, at, at, f"h{r['id']}"),
            )


def _partition(store: Store) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = defaultdict(set)
    for r in store.rows("SELECT guid, event_id FROM items"):
        assert r["event_id"] is not None
        groups[r["event_id"]].add(r["guid"])
    return {frozenset(g) for g in groups.values()}


def _run(cfg: Config, tmp_path: Path, name: str, now: datetime, shift: timedelta) -> Store:
    store = Store.open(tmp_path / f"{name}.db", cfg.store)
    _load_stream(store, now, shift)
    EventBuilder(cfg, store, LexicalEmbedder()).cluster_pending(now)
    return store


def test_backfill_400_days_back_forms_the_same_events(
    cfg: Config, tmp_path: Path, now: datetime
) -> None:
    live = _run(cfg, tmp_path, "live", now, timedelta(0))
    old = _run(cfg, tmp_path, "old", now, timedelta(days=400))
    try:
        today = _partition(live)
        assert sum(len(g) > 1 for g in today) >= 5  # the stream does form multi-item events
        assert _partition(old) == today
    finally:
        live.close()
        old.close()


def test_recluster_over_an_old_period_rebuilds_the_events(
    cfg: Config, tmp_path: Path, now: datetime
) -> None:
    store = _run(cfg, tmp_path, "old", now, timedelta(days=400))
    try:
        before = _partition(store)
        assert sum(len(g) > 1 for g in before) >= 5
        n = EventBuilder(cfg, store, LexicalEmbedder()).recluster(now - timedelta(days=500), now)
        assert n == len(store.rows("SELECT id FROM items"))
        assert _partition(store) == before
    finally:
        store.close()
