"""The near-duplicate layer: the dedupe stage's MinHash-LSH index and judge over the
store's items (I/O: reads candidate items, writes band rows inside the caller's transaction).

The pure parts are :mod:`aggregator.dedupe.neardup` (records, judge, band index) and
:mod:`aggregator.dedupe.textsim` (shingles, sketches); this joins them to the store, with an
LRU of recent originals' shingled records.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from aggregator.dedupe import neardup, textsim
from aggregator.dedupe.exact import DupMatch
from aggregator.models import Item
from aggregator.store import bands
from aggregator.store.core import Store

#: Shingled records of candidate originals kept in memory (~1 KB each, :func:`cached_record`):
#: a story's copies arrive within hours, so a few thousand recent originals cover nearly every
#: repeat probe.
NEAR_DUP_RECORD_CACHE = 4096
#: Items read per query when the band table is re-indexed (bounds memory: ~2 KB each).
REINDEX_PAGE_ITEMS = 500

log = logging.getLogger(__name__)


class NearDuplicates:
    """The near-duplicate layer over the store's connection (I/O: reads candidate items,
    writes band rows inside the caller's transaction)."""

    def __init__(
        self, store: Store, window_days: float | None = None, *, hold: bool = False
    ) -> None:
        """``hold``: band rows are written at the transaction's commit (``NearDupIndex``)."""
        from aggregator.store.band_index import NearDupIndex

        self.store = store
        #: Candidates are items within this many days of the new item's own time (published,
        #: else fetched), never of the wall clock: a backfill decides as the live stream did
        #: (issue 13 item 1). None: no time limit (tests, tools).
        self.window_s = window_days * 86400.0 if window_days is not None else None
        self.index = NearDupIndex(store.conn, hold=store.db if hold else None)
        self._cache: dict[int, neardup.TextRecord] = {}
        #: Items probed, and candidates verified for them (stray candidates cost ~0.5 ms
        #: each: reading and shingling the stored item).
        self.probes = 0
        self.verified = 0
        self.ensure_sketch()

    def ensure_sketch(self) -> int:
        """Re-index the stored items when their band keys came from another MinHash than
        :func:`textsim.sketch` (a store written before rensa): keys of two sketches never
        meet, so a copy of an item stored before the change would go unseen. Once per store
        (recorded in ``store_settings``); 0.33 ms CPU per indexed item at 3,000 items, more in
        a large store (random-key inserts). Returns the items re-indexed."""
        from aggregator.normalize.item import fold_for_matching

        if bands.sketch_setting(self.store) == textsim.SKETCH_ID:
            return 0
        items = bands.indexed_items(self.store)
        if items:
            log.warning(
                "re-indexing %d items for near-duplicate detection (MinHash now %s)",
                len(items),
                textsim.SKETCH_ID,
            )

        def rows() -> Iterator[tuple[int, int, int]]:
            for start in range(0, len(items), REINDEX_PAGE_ITEMS):
                page = dict(items[start : start + REINDEX_PAGE_ITEMS])
                for t in bands.indexed_texts(self.store, list(page)):
                    rec = neardup.make_record(
                        t.item_id, t.lang, fold_for_matching(t.title), t.match_text
                    )
                    for k in self.index.keys(textsim.sketch(rec.shingles)):
                        yield k, t.item_id, page[t.item_id]

        bands.replace_bands(self.store, rows(), textsim.SKETCH_ID)
        return len(items)

    def make_probes(self, items: Sequence[Item]) -> list[NearProbe]:
        """The probe of each completed item (:meth:`check`), made for all at once (the
        ``*_many`` functions of :mod:`aggregator.dedupe`: the same records and keys as one by
        one, at a fraction of the fixed numpy and MinHash cost per item)."""
        from aggregator.normalize.item import fold_for_matching

        # item.match_text is the folded text (normalize.complete_item): fold only the title.
        recs = neardup.make_records(
            [(0, it.lang, fold_for_matching(it.title), it.match_text) for it in items]
        )
        sigs = textsim.sketch_many([r.shingles for r in recs])
        ix = self.index
        keys = neardup.band_keys_many(sigs, ix.bands, ix.rows, ix.lead_bands)
        return [NearProbe(k, r) for k, r in zip(keys, recs, strict=True)]

    def check(
        self, item: Item, probe: NearProbe | None = None
    ) -> tuple[DupMatch | None, NearProbe]:
        """The original ``item`` nearly duplicates (or None), and the probe to pass to
        :meth:`add` if it is stored as an original (its band keys are computed once).
        ``probe``: the item's probe if already made (:meth:`make_probes`)."""
        if probe is None:
            probe = self.make_probes([item])[0]
        rec, keys = probe.record, probe.keys
        around = None
        if self.window_s is not None:
            around = (item.published_at or item.fetched_at, self.window_s)
        ids = self.index.candidates_for_keys(keys, around=around)
        self.probes += 1
        if not ids:
            return None, probe
        rows = bands.candidate_texts(self.store, ids)
        order = {i: n for n, i in enumerate(ids)}
        for r in sorted(rows, key=lambda r: order[r["id"]]):
            self.verified += 1
            old = self._record(r)
            m = neardup.judge(rec, old)
            if m is not None:
                original = r["duplicate_of"] if r["duplicate_of"] is not None else r["id"]
                feats = {**dict(m.features), "matched_item": r["id"]}
                return DupMatch(original, m.rule, round(float(m.score), 4), feats), probe
        return None, probe

    def _record(self, r: dict[str, Any]) -> neardup.TextRecord:
        """A stored candidate's shingled record, from an LRU of recent originals: the same
        few candidates come back for every copy of a story, and re-shingling them was the
        largest part of the near-duplicate check (bench/pipeline.py profile)."""
        from aggregator.normalize.item import fold_for_matching

        rec = self._cache.pop(r["id"], None)
        if rec is None:
            rec = neardup.make_record(
                r["id"], r["lang"], fold_for_matching(r["title"]), r["match_text"]
            )
        self._remember(rec)
        return rec

    def _remember(self, rec: neardup.TextRecord) -> None:
        rec = cached_record(rec)
        self._cache[rec.item_id] = rec  # most recently used last
        if len(self._cache) > NEAR_DUP_RECORD_CACHE:
            del self._cache[next(iter(self._cache))]

    def forget(self, item_id: int) -> None:
        """Drop a cached record (its item was revised)."""
        self._cache.pop(item_id, None)

    def add(self, item_id: int, probe: NearProbe, at: str) -> None:
        """Index a new original; its record goes to the LRU, since its copies (the next
        probes to meet it) usually arrive soon after it."""
        self.index.add_keys(item_id, probe.keys, at)
        self._remember(dataclasses.replace(probe.record, item_id=item_id))


def cached_record(rec: neardup.TextRecord) -> neardup.TextRecord:
    """``rec`` as the LRU keeps it: what judging against a stored original reads of it
    (``neardup.judge``: the whole-text shingle set, the folded title for its lazy title
    shingles), without the folded text and the in-order shingle arrays that only making a
    sketch reads. The in-order arrays are views of the shingler's whole n-gram arrays, so a
    full record held ~3.7 KB on bench/peer.py's items; 4,096 of them ~15 MB, which outlived
    the refresh stage as fragmented heap (``bench/pass_memory.py``)."""
    s = rec.shingles
    if not rec.text_folded and s.han is _EMPTY and s.words is _EMPTY:
        return rec
    slim = textsim.Shingled(han=_EMPTY, words=_EMPTY, all=s.all)
    return neardup.TextRecord(rec.item_id, rec.lang, rec.title_folded, "", slim)


#: The in-order shingle arrays of every cached record (read-only, shared).
_EMPTY = np.zeros(0, dtype=np.uint64)
_EMPTY.flags.writeable = False


@dataclass(frozen=True)
class NearProbe:
    """One new item's near-duplicate probe: its band keys and shingled record."""

    keys: list[int]
    record: neardup.TextRecord
