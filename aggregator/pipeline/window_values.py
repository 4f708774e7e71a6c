"""Pipeline, clustering window load: compact values for the members read back from the store
(pure, no I/O; moved out of ``cluster_pass`` for the 500-line rule).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

from aggregator.cluster import lexical


def interned(counts: dict[str, int]) -> Counter[str]:
    """Term counts whose terms are the process-wide copies: the window's term vectors repeat
    the same few thousand words (4,400 members held 197k separate copies, ~2.4 KB each)."""
    intern = sys.intern
    return Counter({intern(t): c for t, c in counts.items()})


def stored_terms(raw: str) -> Counter[str]:
    """Term counts as ``store_events.save_terms`` keeps them (a JSON object, in order)."""
    return interned(json.loads(raw))


def stored_parts(raw: str, native: bool) -> lexical.Parts:
    """Stored term counts split for weighing (``lexical.split``): what ``weigh`` of
    :func:`stored_terms` picks, decoded and filtered in one pass, without the ``Counter``
    (nor interning every term: ``weigh_chosen(…, intern=True)`` interns those it keeps)."""
    return lexical.split(json.loads(raw).items(), native)


T = TypeVar("T")


def consumed(items: list[T]) -> Iterator[T]:
    """``items`` in order, each dropped from the list as it is given (the list ends empty): a
    window load's rows, each with its vector's bytes (2 KB), are freed one by one as they are
    put back, instead of all of them (8 MB of 4,000) staying beside the index's copy to the
    end of the load."""
    items.reverse()
    while items:
        yield items.pop()


#: Window members whose stored vectors :func:`with_blobs` reads per query.
BLOB_ROWS = 500


class HasItemId(Protocol):
    @property
    def item_id(self) -> int: ...


M = TypeVar("M", bound=HasItemId)


def with_blobs(
    members: list[M], fetch: Callable[[list[int]], dict[int, bytes]]
) -> Iterator[tuple[M, bytes | None]]:
    """:func:`consumed` ``members``, each with its stored bytes (``fetch``: item ids → bytes,
    of those stored), read :data:`BLOB_ROWS` at a time: a window load held every member's
    vector (2 KB; 8 MB of 4,000) from its query to its end, and left as many freed bytes in
    malloc's heap beside the index's copy (peer 2-new pass: 97.6 → 90.6 MB when loaded)."""
    part: list[M] = []
    for m in consumed(members):
        part.append(m)
        if len(part) == BLOB_ROWS or not members:
            got = fetch([p.item_id for p in part])
            for p in part:
                yield p, got.pop(p.item_id, None)
            part = []


class SharedSets(dict[tuple[str, ...], frozenset[str]]):
    """Keys → one frozenset per distinct set of keys (4,400 members held 3,700 empty ones,
    216 B each)."""

    def __call__(self, keys: tuple[str, ...]) -> frozenset[str]:
        got = self.get(keys)
        if got is None:
            got = self[keys] = frozenset(keys)
        return got
