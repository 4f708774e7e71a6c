"""The near-duplicate window is measured in the items' own time (issue 13 item 1): a copy
is checked against originals within ``dedupe.window_days`` of *its* time, never of the wall
clock, so one stream dated today and the same stream dated 400 days back get the same
decisions; band rows are retained relative to the newest indexed item, so a backfill keeps
the rows its later copies are checked against."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import FIXED_NOW

from aggregator.dedupe import textsim
from aggregator.models import Item
from aggregator.normalize.item import fold_for_matching
from aggregator.pipeline.near_duplicates import NearDuplicates
from aggregator.store.band_index import NearDupIndex
from aggregator.store.core import Store, utc_iso
from aggregator.store.upkeep import prune_near_duplicates

STORY = (
    "Rescue teams searched collapsed buildings through the night after the earthquake, and "
    "officials said the death toll had risen to more than two hundred, with hundreds more "
    "injured. Aftershocks continued into the morning as aid convoys reached the worst hit "
    "towns along the coast, where roads had been cut by landslides."
)
WINDOW_DAYS = 7


def _item(fid: int, guid: str, text: str, at: datetime) -> Item:
    return Item(
        feed_id=fid, guid=guid, url=None, canonical_url=None, title="Quake toll rises",
        summary=text, content_html="", content_text=text, lang="en",
        published_at=utc_iso(at), fetched_at=utc_iso(FIXED_NOW), content_hash=guid,
        match_text=fold_for_matching(text),
    )


def _decisions(tmp_path: Path, name: str, times: list[datetime]) -> list[int | None]:
    """Store an original and its copies at ``times``; each copy's matched original index."""
    store = Store.open(tmp_path / f"{name}.db")
    try:
        near = NearDuplicates(store, WINDOW_DAYS)
        out: list[int | None] = []
        ids: list[int] = []
        with store.transaction():
            fid = store.add_feed("https://a.example/rss", now=FIXED_NOW)
            for n, at in enumerate(times):
                text = STORY if n == 0 else f"Agency report {n}. " + STORY
                item = _item(fid, f"g{n}", text, at)
                match, probe = near.check(item)
                item.duplicate_of = match.original_id if match else None
                item_id = store.insert_item(item)
                ids.append(item_id)
                out.append(ids.index(match.original_id) if match else None)
                if match is None:
                    near.add(item_id, probe, item.published_at or item.fetched_at)
        return out
    finally:
        store.close()


def test_backfill_and_live_give_the_same_near_duplicate_decisions(tmp_path: Path) -> None:
    today = FIXED_NOW
    # An original, a copy a day later (inside the window), a copy 30 days later (outside).
    live = [today - timedelta(days=31), today - timedelta(days=30), today]
    back = [t - timedelta(days=400) for t in live]
    assert _decisions(tmp_path, "live", live) == [None, 0, None]
    assert _decisions(tmp_path, "back", back) == [None, 0, None]


def test_a_copy_far_from_the_original_in_item_time_is_not_its_duplicate(tmp_path: Path) -> None:
    # Both dated long before the wall-clock window, 400 days apart: not one story's copies.
    old = FIXED_NOW - timedelta(days=800)
    assert _decisions(tmp_path, "far", [old, old + timedelta(days=400)]) == [None, None]


def test_band_retention_follows_the_newest_item(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "p.db")
    try:
        index = NearDupIndex(store.conn)
        sig = textsim.sketch(textsim.shingle("one two three four five six seven eight"))
        newest = datetime(2025, 3, 1, tzinfo=UTC)
        with store.transaction():
            index.add(1, sig, utc_iso(newest - timedelta(days=30)))
            index.add(2, sig, utc_iso(newest - timedelta(days=2)))
            index.add(3, sig, utc_iso(newest))
        now = datetime(2026, 11, 1, tzinfo=UTC)  # a backfill: every row is a year old
        window = timedelta(days=WINDOW_DAYS)
        assert prune_near_duplicates(store, now - window, window) > 0
        assert sorted(index.candidates(sig)) == [2, 3]
        # Without the stream-relative window (wall clock only) every row would go.
        assert prune_near_duplicates(store, now - window) > 0
        assert index.candidates(sig) == []
    finally:
        store.close()
