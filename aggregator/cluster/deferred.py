"""Cluster stage: stored members whose term vectors are weighed only when their event is first
needed (pure, no I/O).

A window load puts back every member of the window's events (4,400 on the peer workload), and
weighing each one's stored term counts was ~40% of the load: most of it wasted on a pass with
few new items, which makes only a few events candidates (400 new items touched 64% of 1,217
events; a daemon poll with 20 touches a handful). :class:`DeferredTerms` keeps each such
member's stored counts, still encoded, beside a copy of the document frequencies as they were
when the member was put back; the clusterer weighs an event's deferred members, in their
order, against that copy the first time the event's term vectors are read (its lexical
feature; a candidate the score bound skips is not), or it is joined or merged. The
vectors, profiles and so every decision are those of weighing at load.

With a ``fetch`` function a member's stored counts need not be held at all: it is deferred by
its item id and its counts are read back (one call per event, when the event is weighed).
The counts were ~2.2 KB a member, the largest part of a window's memory (8.6 MB of 4,000).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from aggregator.cluster import lexical

#: One deferred member: (index row, language, its stored term counts, encoded).
Deferred = tuple[int, str, str]
#: As held: the stored counts, or the member's item id when they are read back (``fetch``).
Held = tuple[int, str, str | int]
#: Item ids → their stored term counts, encoded (an id not stored is left out).
Fetch = Callable[[Sequence[int]], dict[int, str]]
#: What a member whose stored counts have gone (its item deleted meanwhile) is weighed as.
NO_TERMS = "{}"


class DeferredTerms:
    """Deferred members by event, and the document frequencies they are weighed against."""

    __slots__ = ("_events", "_generation", "decode", "df", "fetch", "parts")

    def __init__(
        self,
        decode: Callable[[str], Counter[str]] | None = None,
        parts: Callable[[str, bool], lexical.Parts] | None = None,
        fetch: Fetch | None = None,
    ) -> None:
        #: Stored term counts → counts (the store's encoding; the caller knows it). None:
        #: nothing is deferred.
        self.decode = decode
        #: Stored term counts, native part wanted → ``lexical.Parts`` (the same terms as
        #: ``decode``, split once for weighing); None: weigh what ``decode`` gives.
        self.parts = parts
        #: Reads members' stored counts back by item id (``defer`` given an id); None: every
        #: deferred member's counts are given as text.
        self.fetch = fetch
        #: The frequencies at the time the pending members were put back.
        self.df: lexical.DocFreq | None = None
        self._generation = -1
        self._events: dict[int, list[Held]] = {}

    def defer(
        self, df: lexical.DocFreq, event_id: int, row: int, lang: str, raw: str | int
    ) -> bool:
        """Keep a member for later (``raw``: its stored counts, or its item id to read them
        back by); False when it must be weighed now (members deferred against an earlier
        state of ``df`` are still pending: one copy is kept, not one per state)."""
        if self.decode is None:
            return False
        if self.df is None or self._generation != df.generation:
            if self._events:
                return False
            self.df, self._generation = df.snapshot(), df.generation
        self._events.setdefault(event_id, []).append((row, lang, raw))
        return True

    def pending(self, event_id: int) -> bool:
        return event_id in self._events

    def take(self, event_id: int) -> tuple[lexical.DocFreq | None, list[Deferred]]:
        """The frequencies to weigh them against and the event's deferred members, oldest
        first, still encoded (and no longer deferred)."""
        held = self._events.pop(event_id, None)
        if not held:
            return None, []
        df = self.df
        assert df is not None
        if not self._events:  # the last ones: the copy goes with them (the caller has it)
            self.df = None
        return df, self.resolve(held)

    def resolve(self, held: list[Held]) -> list[Deferred]:
        """``held`` with every item id replaced by its stored counts (one ``fetch``)."""
        ids = [raw for _, _, raw in held if isinstance(raw, int)]
        if not ids:
            return held  # type: ignore[return-value]  # all text already
        assert self.fetch is not None
        got = self.fetch(ids)
        return [
            (row, lang, raw if isinstance(raw, str) else got.get(raw, NO_TERMS))
            for row, lang, raw in held
        ]

    def drop(self, event_id: int) -> None:
        self._events.pop(event_id, None)
        if not self._events:
            self.df = None

    def __len__(self) -> int:
        """Members still deferred."""
        return sum(len(v) for v in self._events.values())
