"""Cluster stage: the clusterer's per-event and per-item state records (pure, no I/O)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Container, Iterable

from aggregator.cluster import evidence as entities
from aggregator.cluster import lexical
from aggregator.cluster.evidence import Evidence
from aggregator.cluster.weights import LEAD_KEY_FACTOR


class EventState:
    """One open event as the clusterer keeps it: member rows and what scoring needs."""

    __slots__ = (
        "conflict_title",
        "first",
        "id",
        "keys",
        "langs",
        "native",
        "profile",
        "rows",
        "title_keys",
        "titles",
        "updated",
    )

    def __init__(self, event_id: int) -> None:
        self.id = event_id
        self.rows: list[int] = []
        self.langs: list[str] = []
        self.titles: list[str] = []
        self.first = math.inf
        self.updated = -math.inf
        # Members' keys (members only join, so these only grow): all, headline, and headline
        # keys that can conflict by kind (entities.conflict_candidates), kept up to date here
        # so scoring an item against a big event does not rebuild them.
        self.keys: set[str] = set()
        self.title_keys: set[str] = set()
        self.conflict_title: dict[str, set[str]] = {}
        self.profile = lexical.Profile()
        #: The Chinese members' own words (``lexical.weigh(native=True)``).
        self.native = lexical.Profile()


class ItemKeys:
    """One item's evidence in the shapes the scorer needs, computed once per item."""

    __slots__ = ("all", "conflict", "evidence", "title")

    def __init__(self, evidence: Evidence) -> None:
        self.evidence = evidence
        self.title = evidence.title_keys
        self.all = evidence.keys
        self.conflict = conflict_keys(evidence)


class ItemLex:
    """One item's term counts and TF-IDF vectors: the shared space, and for a Chinese item
    its native-word vector (None otherwise, or with ``ScoreWeights.lex_native`` off)."""

    __slots__ = ("counts", "item_id", "native", "vector")

    def __init__(
        self,
        item_id: int,
        counts: Counter[str],
        vector: lexical.TermVector,
        native: lexical.TermVector | None,
    ) -> None:
        self.item_id = item_id
        self.counts = counts
        self.vector = vector
        self.native = native


def conflict_keys(evidence: Evidence, known: ItemKeys | None = None) -> dict[str, frozenset[str]]:
    """The keys of one item that may conflict, by kind: its headline's exclusive keys and
    every date it states (``evidence.conflict_candidates``). ``known``: keys the scorer
    already made; used when they were made from this very ``evidence`` (not computed twice
    for an item that ``assign`` scored and ``add_member`` then records)."""
    if known is not None and known.evidence is evidence:
        return known.conflict
    return entities.conflict_candidates(evidence.title_keys, evidence.keys)


def shared_weight(
    shared: Iterable[str], item_title: Container[str], event_title: Container[str], cap: float
) -> float:
    """The weight of the keys an item shares with an event, at most ``cap``: a key in both
    headlines counts fully, one seen only in a lead LEAD_KEY_FACTOR (leads name every official
    and figure of the day, headlines name the story)."""
    return min(
        cap,
        sum(
            entities.key_weight(k)
            * (1.0 if k in item_title and k in event_title else LEAD_KEY_FACTOR)
            for k in shared
        ),
    )
