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
