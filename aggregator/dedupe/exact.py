"""Dedupe stage, exact rules: an :class:`Item` → the original it duplicates, if any (pure).

Rules, in order (each cheap, each an index lookup through :class:`Lookups`):

1. ``canonical_url`` — the same article URL after canonicalisation, from another feed.
   (Same feed, same URL is the *same item*, handled as a revision by the pipeline.)
2. ``content_hash`` — the same folded title + text (wire copy republished verbatim).

3. near-duplicate text (:mod:`aggregator.pipeline.near_duplicates`): MinHash-LSH candidates
   from the SQLite band table (:mod:`aggregator.dedupe.neardup`), each verified on exact
   shingle sets — ``near_text`` (Jaccard), ``containment`` (a digest quoting an article, a
   truncated lead), ``near_title`` (short items). Only originals are indexed: a duplicate
   already points at its original.
A duplicate always points at the *root* original, so chains never form; provenance is
kept because the duplicate row keeps its own ``url`` and ``feed_id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any, Protocol

from aggregator.models import Item


class ExistingLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def feed_id(self) -> int: ...
    @property
    def duplicate_of(self) -> int | None: ...


class Lookups(Protocol):
    def find_by_canonical_url(self, url: str) -> ExistingLike | None: ...
    def find_by_content_hash(self, h: str) -> ExistingLike | None: ...


@dataclass(frozen=True)
class DupMatch:
    original_id: int
    rule: str
    score: float = 1.0
    features: dict[str, Any] = field(default_factory=dict)


def root_id(e: ExistingLike) -> int:
    return e.duplicate_of if e.duplicate_of is not None else e.id


def find_exact_duplicate(item: Item, lookups: Lookups) -> DupMatch | None:
    """The original that ``item`` exactly duplicates, or None."""
    if item.canonical_url:
        e = lookups.find_by_canonical_url(item.canonical_url)
        if e is not None and e.feed_id != item.feed_id:
            return DupMatch(
                root_id(e),
                "canonical_url",
                1.0,
                {"canonical_url": item.canonical_url, "matched_item": e.id},
            )
    e = lookups.find_by_content_hash(item.content_hash)
    if e is not None:
        return DupMatch(
            root_id(e),
            "content_hash",
            1.0,
            {"content_hash": item.content_hash[:16], "matched_item": e.id},
        )
    return None


@dataclass(frozen=True)
class Prefetched:
    """An item the exact rules found in a prefetch (:class:`PrefetchedLookups`)."""

    id: int
    feed_id: int
    duplicate_of: int | None


class PrefetchedLookups:
    """:class:`Lookups` for one feed's new items, answered from two queries made before the
    feed's first write (one for all its canonical URLs, one for all its content hashes)
    instead of two queries per item; the same answers as ``fallback`` (the store).

    The prefetched answers stay right while the feed's writes are inserts of originals: an
    original's row can only become the answer to a later hash query (the lowest id with that
    hash, kept here), never to a URL query (one new entry per canonical URL and document,
    ``plan_entries``), and changes no stored row. After any other write (a revision, or a
    duplicate, which may re-root a group) call :meth:`stale`: every query goes to
    ``fallback`` from then on. A key that was not prefetched goes there too."""

    def __init__(
        self,
        fallback: Lookups,
        by_url: Mapping[str, ExistingLike],
        urls: Set[str],
        by_hash: Mapping[str, ExistingLike],
        hashes: Set[str],
    ) -> None:
        self.fallback = fallback
        self._by_url, self._urls = by_url, urls
        self._by_hash, self._hashes = by_hash, hashes
        #: Originals stored since the prefetch, by content hash (the first one for each).
        self._new: dict[str, Prefetched] = {}
        self._fresh = True

    def stale(self) -> None:
        """A write other than an original's insert happened: stop answering from the prefetch."""
        self._fresh = False

    def inserted(self, item_id: int, item: Item) -> None:
        """``item`` was stored as an original with id ``item_id``."""
        h = item.content_hash
        if self._fresh and h in self._hashes and h not in self._by_hash and h not in self._new:
            self._new[h] = Prefetched(item_id, item.feed_id, None)

    def find_by_canonical_url(self, url: str) -> ExistingLike | None:
        if self._fresh and url in self._urls:
            return self._by_url.get(url)
        return self.fallback.find_by_canonical_url(url)

    def find_by_content_hash(self, h: str) -> ExistingLike | None:
        if self._fresh and h in self._hashes:
            found = self._by_hash.get(h)
            return found if found is not None else self._new.get(h)
        return self.fallback.find_by_content_hash(h)


class BatchLookups(Lookups, Protocol):
    """:class:`Lookups` that also answer many keys at once (the store)."""

    def find_by_content_hashes(self, hashes: Sequence[str]) -> Mapping[str, ExistingLike]: ...


def prefetch_lookups(
    store: BatchLookups,
    items: Sequence[Item],
    by_url: Mapping[str, ExistingLike],
    urls: Set[str],
) -> PrefetchedLookups:
    """:class:`PrefetchedLookups` for ``items`` (a feed's new items, before its first write):
    ``by_url`` holds the store's answers for the canonical URLs ``urls`` (asked by the
    caller already), the content hashes are asked here in one query."""
    hashes = {it.content_hash for it in items}
    return PrefetchedLookups(
        store, by_url, urls, store.find_by_content_hashes(list(hashes)), hashes
    )
