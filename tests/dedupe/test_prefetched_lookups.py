"""The exact rules' prefetched lookups (``dedupe.exact.PrefetchedLookups``) give the store's
own answers, item after item, while the feed's items are stored as the pipeline stores them."""

from __future__ import annotations

from datetime import datetime

import pytest

from aggregator.dedupe.exact import ExistingLike, find_exact_duplicate, prefetch_lookups
from aggregator.models import Item
from aggregator.store.core import Store


def _item(feed_id: int, guid: str, url: str | None, h: str, now: datetime) -> Item:
    return Item(
        feed_id=feed_id, guid=guid, url=url, canonical_url=url, title=guid, summary="s",
        content_html="", content_text="t", lang="en", published_at=None,
        fetched_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"), content_hash=h,
    )  # fmt: skip


def _key(e: ExistingLike | None) -> tuple[int, int, int | None] | None:
    return None if e is None else (e.id, e.feed_id, e.duplicate_of)


#: Each entry: (guid, canonical URL, content hash, the rule that should match it first).
ENTRIES = {
    "b1": ("https://x.test/1", "h2", "canonical_url"),  # a1's URL, another feed
    "b2": ("https://x.test/2", "h3", None),  # new
    "b3": ("https://x.test/3", "h3", "content_hash"),  # b2's text (when b2 came first)
    "b4": (None, "h9", "content_hash"),  # a hash stored twice: the lowest id answers
    "b5": ("https://x.test/5", "h5", None),  # new
}


@pytest.mark.parametrize(
    "order", [["b2", "b3", "b5"], ["b4", "b5"], ["b1", "b2", "b3"], ["b5", "b2", "b4", "b3", "b1"]]
)
def test_prefetched_answers_equal_the_stores_item_after_item(
    store: Store, now: datetime, order: list[str]
) -> None:
    with store.transaction():
        fa = store.add_feed("https://a.test/rss", now=now)
        fb = store.add_feed("https://b.test/rss", now=now)
        store.insert_item(_item(fa, "a1", "https://x.test/1", "h1", now))
        store.insert_item(_item(fa, "a2", "https://x.test/9", "h9", now))
        store.insert_item(_item(fa, "a3", None, "h9", now))  # a second item with hash h9
    new = [_item(fb, g, ENTRIES[g][0], ENTRIES[g][1], now) for g in order]
    urls = {it.canonical_url for it in new if it.canonical_url}
    with store.transaction():
        lookups = prefetch_lookups(store, new, store.find_by_canonical_urls(sorted(urls)), urls)
        rules = []
        for it in new:
            if it.canonical_url:
                got = lookups.find_by_canonical_url(it.canonical_url)
                assert _key(got) == _key(store.find_by_canonical_url(it.canonical_url))
            got = lookups.find_by_content_hash(it.content_hash)
            assert _key(got) == _key(store.find_by_content_hash(it.content_hash))
            match = find_exact_duplicate(it, lookups)
            assert match == find_exact_duplicate(it, store)
            rules.append(match.rule if match else None)
            it.duplicate_of = match.original_id if match else None
            item_id = store.insert_item(it)
            if match is None:
                lookups.inserted(item_id, it)
            else:
                lookups.stale()
    first = {"b3": "b2"}  # b3 matches only when b2 was stored before it
    want = [ENTRIES[g][2] if first.get(g, g) in order[: i + 1] else None
            for i, g in enumerate(order)]  # fmt: skip
    assert rules == want


def test_a_stale_prefetch_asks_the_store(store: Store, now: datetime) -> None:
    with store.transaction():
        fa = store.add_feed("https://a.test/rss", now=now)
        fb = store.add_feed("https://b.test/rss", now=now)
    new = [_item(fb, "b1", "https://x.test/1", "h1", now)]
    lookups = prefetch_lookups(store, new, {}, {"https://x.test/1"})
    with store.transaction():  # a write the prefetch did not see (as a revision would be)
        first = store.insert_item(_item(fa, "a1", "https://x.test/1", "h1", now))
    assert lookups.find_by_canonical_url("https://x.test/1") is None  # still the prefetch
    lookups.stale()
    assert _key(lookups.find_by_canonical_url("https://x.test/1")) == (first, fa, None)
    assert _key(lookups.find_by_content_hash("h1")) == (first, fa, None)
