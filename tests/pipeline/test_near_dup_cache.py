"""The near-duplicate layer's record LRU keeps only what judging against a cached original
reads (issue 16 item 6, peak RSS of ``poll --all``): its whole-text shingle set and folded
title, not the folded text nor the in-order shingle arrays (views of the shingler's whole
n-gram arrays), which only making a sketch needs. ~3.7 KB → ~2 KB a record on
bench/peer.py's items; 4,096 records are kept.

``test_cached_records_judge_as_full_ones`` is an equivalence guard (same verdicts and
features from a cached record as from the full one; it passes on the code before by design,
with the full record standing in). The other tests fail before the change."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from conftest import FIXED_NOW

from aggregator.dedupe import neardup
from aggregator.models import Item
from aggregator.normalize.item import fold_for_matching
from aggregator.pipeline import near_duplicates
from aggregator.pipeline.near_duplicates import NearDuplicates
from aggregator.store.core import Store, utc_iso

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "neardup" / "originals.json"
ZH = (
    "国务院总理主持召开国务院常务会议，部署进一步稳经济一揽子政策措施，"
    "会议指出，要加大宏观政策调节力度，扎实稳住经济，努力确保二季度经济实现合理增长。"
)


def _texts() -> list[tuple[str, str, str]]:
    """(lang, title, body) of the fixture's originals and some copies of them: cut, quoted
    after a lead in another script, retitled, title only."""
    rows = [(r["lang"], r["title"], r["body"]) for r in json.loads(FIXTURE.read_text("utf-8"))]
    out = list(rows)
    for lang, title, body in rows[:12]:
        out.append((lang, title, body[: len(body) // 2]))
        out.append((lang, "Update: " + title, "Agency report. " + body))
        out.append((lang, title, ZH + body))
        out.append((lang, title, ""))
    out += [("zh-Hans", "国务院常务会议", ZH), ("zh-Hans", "常务会议", ZH[:40])]
    return out


def _record(n: int, lang: str, title: str, body: str) -> neardup.TextRecord:
    return neardup.make_record(n, lang, fold_for_matching(title), fold_for_matching(body))


def test_cached_records_judge_as_full_ones() -> None:
    records = [_record(n, *t) for n, t in enumerate(_texts())]
    matches = 0
    for new in records:
        for old in records:
            if new is old:
                continue
            want = neardup.judge(new, old)
            got = neardup.judge(new, near_duplicates.cached_record(old))
            assert got == want, (new.item_id, old.item_id)
            matches += want is not None
    assert matches > 40  # the copies above are judged duplicates of their originals


def test_a_cached_record_holds_neither_text_nor_in_order_shingles() -> None:
    full = _record(1, "en", "A title", "one two three four five six seven eight nine ten")
    cached = near_duplicates.cached_record(full)
    assert cached.text_folded == "" and cached.title_folded == full.title_folded
    assert cached.shingles.han.size == 0 and cached.shingles.words.size == 0
    assert cached.shingles.all is full.shingles.all
    assert near_duplicates.cached_record(cached) is cached


def _item(fid: int, n: int, lang: str, title: str, body: str) -> Item:
    return Item(
        feed_id=fid, guid=f"g{n}", url=None, canonical_url=None, title=title, summary=body,
        content_html="", content_text=body, lang=lang, published_at=utc_iso(FIXED_NOW),
        fetched_at=utc_iso(FIXED_NOW), content_hash=f"h{n}", match_text=fold_for_matching(body),
    )  # fmt: skip


def test_the_record_lru_holds_about_the_shingle_sets_only(tmp_path: Path) -> None:
    """200 originals of ~2.3 KB text each, checked and added: ~7.1 KB traced a record with
    the slim LRU (the cached shingle sets, the band index's and the store's own), ~11.7 KB
    when it kept full records (the n-gram arrays behind the in-order views)."""
    rows = json.loads(FIXTURE.read_text("utf-8"))
    store = Store.open(tmp_path / "s.db")
    try:
        near = NearDuplicates(store, 7)
        with store.transaction():
            fid = store.add_feed("https://a.example/rss", now=FIXED_NOW)
            items = []
            for n in range(200):
                r = rows[n % len(rows)]
                body = f"Report {n}: " + (r["body"] * 3)[:2300]
                items.append(_item(fid, n, r["lang"], f"{n} {r['title']}", body))
            tracemalloc.start()
            try:
                before = tracemalloc.get_traced_memory()[0]
                for it in items:
                    _, probe = near.check(it)
                    near.add(store.insert_item(it), probe, it.published_at or it.fetched_at)
                held = tracemalloc.get_traced_memory()[0] - before
            finally:
                tracemalloc.stop()
        assert len(near._cache) == 200
        assert all(r.text_folded == "" for r in near._cache.values())
        assert held / 200 < 9000, held / 200
    finally:
        store.close()
