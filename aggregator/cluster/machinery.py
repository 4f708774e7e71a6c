"""Cluster stage: the :class:`~aggregator.cluster.clusterer.EventClusterer`'s machinery that
is not scoring (pure, no I/O): holding the BLAS thread cap over a batch, and weighing
members put back with their stored term counts only when their event is first needed
(``deferred``). A base class, so ``clusterer.py`` keeps the decisions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from aggregator.cluster import lexical
from aggregator.cluster.deferred import DeferredTerms
from aggregator.cluster.records import ClusterMember
from aggregator.cluster.state import EventState, ItemLex


class Machinery:
    """Base of ``EventClusterer``; the attributes below are set by its ``__init__``."""

    _blas: Callable[[], AbstractContextManager[object]]
    _blas_held: bool
    df: lexical.DocFreq
    _deferred: DeferredTerms
    _events: dict[int, EventState]
    _lex: dict[int, lexical.Packed]
    _nat: dict[int, lexical.Packed]

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

    def defer_stored_terms(self, decode: Callable[[str], Counter[str]]) -> None:
        """Let ``add_existing`` take members' stored term counts still encoded, weighed when
        their event is first needed; ``decode`` reads one."""
        self._deferred = DeferredTerms(decode)

    def _weigh(
        self, item_id: int, lang: str, counts: Counter[str], df: lexical.DocFreq | None = None
    ) -> ItemLex:
        raise NotImplementedError

    def _defer(self, event_id: int, row: int, m: ClusterMember, stored: str) -> ItemLex | None:
        """None when the member is deferred, else its vectors weighed now."""
        d = self._deferred
        if d.defer(self.df, event_id, row, m.lang, stored):
            return None
        assert d.decode is not None
        return self._weigh(m.item_id, m.lang, d.decode(stored))

    def _put_lex(self, ev: EventState, row: int, lex: ItemLex) -> None:
        packed = self._lex[row] = lexical.pack(lex.vector)
        ev.profile.add(packed)  # a one-member event shares it
        if lex.native is not None:
            nat = self._nat[row] = lexical.pack(lex.native)
            ev.native.add(nat)

    def _undefer(self, *event_ids: int) -> None:
        """Weigh the events' deferred members, in order, against the frequencies they were
        put back under (what ``add_existing`` would have given then)."""
        d = self._deferred
        for eid in event_ids:
            if d.pending(eid):
                ev = self._events[eid]
                df, members = d.take(eid)
                for row, lang, counts in members:
                    self._put_lex(ev, row, self._weigh(0, lang, counts, df))
