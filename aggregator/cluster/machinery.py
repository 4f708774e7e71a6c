"""Cluster stage: the :class:`~aggregator.cluster.clusterer.EventClusterer`'s machinery that
is not scoring (pure, no I/O): holding the BLAS thread cap over a batch, and weighing
members put back with their stored term counts only when their event is first needed
(``deferred``), moving one event's members into another (a merge), and the compact record a
member is held as (its key sets shared: :class:`KeySets`). A base class, so
``clusterer.py`` keeps the decisions."""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

import numpy as np
import numpy.typing as npt

from aggregator.cluster import batch_search, lexical
from aggregator.cluster import evidence as entities
from aggregator.cluster.deferred import DeferredTerms, Fetch
from aggregator.cluster.index import VectorIndex
from aggregator.cluster.records import ClusterMember
from aggregator.cluster.state import EventState, ItemLex
from aggregator.cluster.weights import ScoreWeights

#: A candidate without conflicting evidence: (score, event id, shares a signature).
Scored = tuple[float, int, bool]

#: A member as the clusterer holds it: item id, language, time, headline keys, other keys
#: (its event, vector and title are kept apart; :meth:`EventClusterer.members`).
Held = tuple[int, str, datetime, frozenset[str], frozenset[str]]


class KeySets(dict[frozenset[str], frozenset[str]]):
    """One frozenset per distinct set of evidence keys, its strings the interned copies:
    most members' sets are empty or repeat (a country, a date), and each item's extraction
    made its own strings (~1.5 MB of a 4,000-item window)."""

    def __call__(self, keys: frozenset[str]) -> frozenset[str]:
        got = self.get(keys)
        if got is None:
            got = frozenset(map(sys.intern, keys))
            self[got] = got
        return got


class Machinery:
    """Base of ``EventClusterer``; the attributes below are set by its ``__init__``."""

    _blas: Callable[[], AbstractContextManager[object]]
    _blas_held: bool
    _batch: batch_search.BatchSims | None
    _batch_norms: batch_search.NormState | None
    w: ScoreWeights
    index: VectorIndex
    _row_event: dict[int, int]
    df: lexical.DocFreq
    _deferred: DeferredTerms
    _events: dict[int, EventState]
    _lex: dict[int, lexical.Packed]
    _nat: dict[int, lexical.Packed]

    @contextmanager
    def batch(self, keys: list[int], vectors: list[npt.NDArray[np.float32]]) -> Iterator[None]:
        """Assign the items ``keys`` (ids, with their vectors), in this order, inside the
        block: the window is multiplied with all their vectors at once
        (``batch_search``), and each item's candidates are read from that product when it
        provably gives the per-item search's."""
        # A centred scorer re-ranks the raw rows in their exact order: it searches per item.
        if not self.w.centre:
            self._batch = batch_search.BatchSims(
                self.index, keys, np.asarray(vectors), self._batch_norms
            )
        try:
            yield
        finally:
            if self._batch is not None:
                self._batch_norms = self._batch.norm_state()
            self._batch = None

    def _batch_candidates(
        self,
        key: int,
        q: npt.NDArray[np.float32],
        lo: float,
        hi: float,
        reach: float,
        k: int,
        limit: int,
    ) -> list[int] | None:
        """The candidate events ``_assign`` finds for item ``key`` from the batch's product;
        None when they may differ (it then searches the index for this item alone)."""
        got = self._batch.sims(self.index, key, q) if self._batch is not None else None
        if got is None:
            return None
        ids, sims, delta = got
        rows, vals = batch_search.ranked(ids, sims, k, batch_search.EXTRA_ROWS)
        row_event, events = self._row_event, self._events

        def event_of(r: int) -> int | None:
            eid = row_event.get(r)
            if eid is None:
                return None
            ev = events[eid]
            return None if ev.updated < lo or ev.first > hi else eid

        return batch_search.certified_candidates(rows, vals, k, delta, reach, event_of, limit)

    @contextmanager
    def blas_limited(self) -> Iterator[None]:
        """Hold the BLAS thread cap over many ``assign`` calls (a batch), instead of
        entering threadpoolctl's limit once per item (~0.1 ms each)."""
        if self._blas_held:
            yield
            return
        with self._blas():
            self._blas_held = True
            try:
                yield
            finally:
                self._blas_held = False

    def defer_stored_terms(
        self,
        decode: Callable[[str], Counter[str]],
        parts: Callable[[str, bool], lexical.Parts] | None = None,
        fetch: Fetch | None = None,
    ) -> None:
        """Let ``add_existing`` take members' stored term counts still encoded, weighed when
        their event is first needed; ``decode`` reads one, ``parts`` (optional, faster) reads
        one already split for weighing (``lexical.split``; the same weights); ``fetch``
        (optional) reads members' stored counts back by item id, so a member put back with
        ``terms_stored`` is held without them (``deferred``)."""
        self._deferred = DeferredTerms(decode, parts, fetch)

    def _weigh(
        self, item_id: int, lang: str, counts: Counter[str], df: lexical.DocFreq | None = None
    ) -> ItemLex:
        raise NotImplementedError

    def _wants_native(self, lang: str) -> bool:
        raise NotImplementedError

    def _defer(
        self, event_id: int, row: int, m: ClusterMember, stored: str | int
    ) -> ItemLex | None:
        """None when the member is deferred, else its vectors weighed now (``stored``: its
        stored counts, or its item id to read them back by)."""
        d = self._deferred
        if d.defer(self.df, event_id, row, m.lang, stored):
            return None
        assert d.decode is not None
        raw = stored if isinstance(stored, str) else d.resolve([(row, m.lang, stored)])[0][2]
        return self._weigh(m.item_id, m.lang, d.decode(raw))

    def _put_lex(self, ev: EventState, row: int, lex: ItemLex) -> None:
        self._put_vectors(ev, row, lex.vector, lex.native)

    def _put_vectors(
        self,
        ev: EventState,
        row: int,
        vector: lexical.TermVector,
        native: lexical.TermVector | None,
    ) -> None:
        packed = self._lex[row] = lexical.pack(vector)
        ev.profile.add(packed)  # a one-member event shares it
        if native is not None:
            nat = self._nat[row] = lexical.pack(native)
            ev.native.add(nat)

    def _undefer(self, *event_ids: int) -> None:
        """Weigh the events' deferred members, in order, against the frequencies they were
        put back under (what ``add_existing`` would have given then)."""
        d = self._deferred
        for eid in event_ids:
            if d.pending(eid):
                ev = self._events[eid]
                df, members = d.take(eid)
                assert df is not None
                if d.parts is None:
                    assert d.decode is not None
                    for row, lang, raw in members:
                        self._put_lex(ev, row, self._weigh(0, lang, d.decode(raw), df))
                    continue
                for row, lang, raw in members:  # what _weigh gives, split once per member
                    shared, nat = d.parts(raw, self._wants_native(lang))
                    native = None if nat is None else lexical.weigh_chosen(nat, df, intern=True)
                    vector = lexical.weigh_chosen(shared, df, intern=True)
                    self._put_vectors(ev, row, vector, native)

    def merge_events(self, keep: int, drop: int) -> None:
        """Move every member of event ``drop`` into ``keep`` (the caller moves them in the
        store too); ``drop`` is forgotten."""
        self._undefer(keep, drop)
        ek, ed = self._events[keep], self._events.pop(drop)
        for row in ed.rows:
            self._row_event[row] = keep
            ek.profile.add(self._lex[row])
            if row in self._nat:
                ek.native.add(self._nat[row])
        ek.rows.extend(ed.rows)
        ek.langs.extend(ed.langs)
        ek.titles.extend(ed.titles)
        ek.first = min(ek.first, ed.first)
        ek.updated = max(ek.updated, ed.updated)
        ek.keys |= ed.keys
        ek.title_keys |= ed.title_keys
        for kind, ks in ed.conflict_title.items():
            ek.conflict_title.setdefault(kind, set()).update(ks)

    def _merge_targets(self, eid: int, sig: bool, others: list[Scored]) -> tuple[int, ...]:
        """Other open events the item joining ``eid`` belongs to: it scores ≥ join + margin
        there, or ≥ join with a signature (``signature_merge``: one disaster in one place, the
        same two people) shared with both events' headlines; never two that conflict."""
        w = self.w
        bar = w.join_score + w.merge_margin
        sig_bar = w.join_score if w.signature_merge and sig else math.inf
        return tuple(
            e
            for s, e, g in others
            if e != eid
            and ((s >= bar and self._events_share_key(eid, e)) or (g and s >= sig_bar))
            and not self._events_conflict(eid, e)
        )

    def _events_share_key(self, a: int, b: int) -> bool:
        """A margin merge's own evidence: the two events' headlines share a key weighing at
        least ``merge_key_weight`` (a person, organisation, city, figure, storm …, not a
        country or a date alone), so an item close to both does not chain two stories that
        only it connects."""
        least = self.w.merge_key_weight
        if least <= 0:
            return True
        ta, tb = self._events[a].title_keys, self._events[b].title_keys
        return any(entities.key_weight(k) >= least for k in ta & tb)

    def _events_conflict(self, a: int, b: int) -> bool:
        """Two events whose headlines carry conflicting evidence (two countries, central
        banks, figures…) are kept apart: same topic, different event."""
        ea, eb = self._events[a], self._events[b]
        return bool(
            entities.conflicts_between(ea.conflict_title, ea.keys, eb.conflict_title, eb.keys)
        )
