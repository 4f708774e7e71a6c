"""Daily digest: one entry per calendar day in [publish] digest_timezone (default
Asia/Shanghai), listing that day's events by number of outlets, with a stable id per day."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from origin import Origin
from readerworld import REPORTS, Report, build_world

from aggregator.config import from_dict
from aggregator.pipeline.publish_pass import publish_outputs
from aggregator.store.core import Store

#: 18.5 h before the fixture's noon UTC: 17:30 UTC on the 19th, 01:30 on the 20th in Shanghai.
LATE_NIGHT = Report("night", "/bbc.xml", "Overnight blaze closes port in Rotterdam",
                    "A fire closed the port of Rotterdam overnight, officials said.",
                    timedelta(hours=18, minutes=30))


def _digest(tmp_path: Path, store: Store, origin: Origin, now: datetime, zone: str | None
            ) -> tuple[dict[str, dict], dict[str, int]]:  # type: ignore[type-arg]
    publish = {"digest_timezone": zone} if zone else {}
    cfg = from_dict(
        {"store": {"path": "db/test.db"}, "publish": publish, "cluster": {"backend": "none"},
         "fetch": {"allow_private_networks": True, "per_host_min_gap_s": 0.0}},
        base_dir=tmp_path,
    )  # fmt: skip
    events = build_world(cfg, store, origin, now, [*REPORTS, LATE_NIGHT])
    publish_outputs(cfg, store, now)
    doc = json.loads((cfg.publish_dir / "digest.json").read_text("utf-8"))
    return {it["_aggregator"]["day"]: it for it in doc["items"]}, events


def test_one_entry_per_shanghai_day_ordered_by_outlets(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    days, events = _digest(tmp_path, store, origin, now, None)
    # now = 2026-11-20 12:00 UTC; the rare-earths story began 7 days 2 hours earlier
    assert sorted(days) == ["2026-11-13", "2026-11-20"]
    today = days["2026-11-20"]
    assert today["id"] == "tag:aggregator.localhost,2026:digest/2026-11-20"
    listed = [e["id"].rsplit("/", 1)[1] for e in today["_aggregator"]["events"]]
    want = {str(events[s]) for s in ("quake", "oil", "fed", "night")}
    assert set(listed) == want
    counts = [e["outlet_count"] for e in today["_aggregator"]["events"]]
    assert counts == sorted(counts, reverse=True) and counts[0] == 2  # fed: AP + 联合早报
    assert listed[0] == str(events["fed"])
    assert "Overnight blaze" in today["content_html"]


def test_day_follows_the_configured_zone(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    days, events = _digest(tmp_path, store, origin, now, "UTC")
    assert sorted(days) == ["2026-11-13", "2026-11-19", "2026-11-20"]
    night = [e["id"] for e in days["2026-11-19"]["_aggregator"]["events"]]
    assert night == [f"tag:aggregator.localhost,2026:event/{events['night']}"]


def test_digest_id_and_updated_are_stable_on_republish(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    _digest(tmp_path, store, origin, now, None)
    cfg_dir = tmp_path / "public"
    before = (cfg_dir / "digest.atom").read_bytes()
    cfg = from_dict(
        {"store": {"path": "db/test.db"}, "cluster": {"backend": "none"}}, base_dir=tmp_path
    )
    publish_outputs(cfg, store, now + timedelta(hours=2))
    assert (cfg_dir / "digest.atom").read_bytes() == before


def test_digest_and_topics_cover_events_beyond_the_feed_window(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    """A first poll makes more events than the event feed shows (max_entries = 1): the
    digest and topic feeds still list every one of them, links and outlet counts included."""
    cfg = from_dict(
        {"store": {"path": "db/test.db"}, "publish": {"max_entries": 1},
         "cluster": {"backend": "none"},
         "fetch": {"allow_private_networks": True, "per_host_min_gap_s": 0.0},
         "topics": [{"slug": "today", "title": "Today", "keywords": ["rates", "earthquake",
                                                                     "油价", "blaze"]}]},
        base_dir=tmp_path,
    )  # fmt: skip
    events = build_world(cfg, store, origin, now, [*REPORTS, LATE_NIGHT])
    publish_outputs(cfg, store, now)
    assert len(json.loads((cfg.publish_dir / "events.json").read_text("utf-8"))["items"]) == 1
    doc = json.loads((cfg.publish_dir / "digest.json").read_text("utf-8"))
    listed = {e["id"].rsplit("/", 1)[1]: e["outlet_count"]
              for it in doc["items"] for e in it["_aggregator"]["events"]}  # fmt: skip
    assert set(listed) == {str(i) for i in events.values()}
    assert listed[str(events["rare"])] == 4 and listed[str(events["fed"])] == 2
    assert all("href=" in it["content_html"] for it in doc["items"])
    topic = json.loads((cfg.publish_dir / "topics" / "today.json").read_text("utf-8"))
    # the topic feed holds max_entries entries, its matches are all stored
    assert len(topic["items"]) == 1
    stored = {r["event_id"] for r in store.rows("SELECT event_id FROM topic_matches")}
    assert stored == {events[s] for s in ("quake", "oil", "fed", "night")}
