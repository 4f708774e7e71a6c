"""A store whose near-duplicate band keys came from another MinHash (the numpy one, before
rensa) is re-indexed once at start, so a copy of an item stored before the change is still
found; the sketch in use is recorded in ``store_settings``."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXED_NOW

from aggregator.dedupe import textsim
from aggregator.dedupe.neardup import make_record
from aggregator.models import Item
from aggregator.normalize.item import fold_for_matching
from aggregator.pipeline.near_duplicates import NearDuplicates
from aggregator.store import bands
from aggregator.store.band_index import NearDupIndex
from aggregator.store.core import Store, utc_iso

STORY = (
    "The central bank raised its benchmark interest rate by a quarter point on Tuesday, the "
    "third increase this year, citing inflation that has stayed above target for eighteen "
    "months. Officials said further moves would depend on wage growth and energy prices, "
    "which fell sharply in the spring before rising again over the summer."
)


def _item(fid: int, guid: str, title: str, text: str) -> Item:
    return Item(
        feed_id=fid, guid=guid, url=None, canonical_url=None, title=title, summary=text,
        content_html="", content_text=text, lang="en", published_at=None,
        fetched_at=utc_iso(FIXED_NOW), content_hash=guid, match_text=fold_for_matching(text),
    )


def test_old_band_keys_are_reindexed_once(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "s.db")
    with store.transaction():
        fid = store.add_feed("https://a.example/rss", now=FIXED_NOW)
        old_id = store.insert_item(_item(fid, "g1", "Bank raises rate", STORY))
        # As a store written before rensa: numpy-MinHash keys, no sketch recorded.
        rec = make_record(old_id, "en", fold_for_matching("Bank raises rate"),
                          fold_for_matching(STORY))
        NearDupIndex(store.conn).add(old_id, textsim.sketch_numpy(rec.shingles),
                                     utc_iso(FIXED_NOW))
    assert bands.sketch_setting(store) is None
    near = NearDuplicates(store)
    assert bands.sketch_setting(store) == textsim.SKETCH_ID
    copy = _item(fid, "g2", "Rate rise", "Reuters - " + STORY + " Reporting by staff.")
    match, _probe = near.check(copy)
    assert match is not None and match.original_id == old_id, match
    assert NearDuplicates(store).ensure_sketch() == 0  # recorded: never again
    store.close()
