"""Cluster stage: the records the clusterer takes and gives (pure, no I/O)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from aggregator.cluster import evidence as entities
from aggregator.cluster.embed import fold_chinese
from aggregator.cluster.evidence import Evidence

FloatVector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class ClusterInput:
    """A new unique item to place. ``vector`` is the unit embedding of title + lead."""

    item_id: int
    lang: str
    title: str
    lead: str
    #: Published time, else first-seen time (UTC, timezone-aware).
    at: datetime
    vector: FloatVector
    #: Precomputed evidence; extracted from title + lead when None.
    evidence: Evidence | None = None
    #: Precomputed term counts (``lexical.terms``); computed from title + lead when None.
    terms: Counter[str] | None = None


@dataclass(frozen=True)
class ClusterMember:
    """An item already in an event (also what ``add_existing`` takes on start-up)."""

    item_id: int
    event_id: int
    lang: str
    vector: FloatVector
    at: datetime
    evidence: Evidence
    title: str
    #: Term counts (``lexical.terms``); the headline's alone when None.
    terms: Counter[str] | None = None


@dataclass(frozen=True)
class Assignment:
    """The decision for one item; ``event_id`` None means: open a new event, then add_member."""

    item_id: int
    event_id: int | None
    rule: str
    score: float
    features: dict[str, Any] = field(default_factory=dict)
    evidence: Evidence = field(default_factory=Evidence)
    #: Other open events the item also clearly belongs to: later evidence that they and
    #: ``event_id`` are one event. The caller merges them (the oldest id survives) with
    #: :meth:`EventClusterer.merge_events`.
    merge_with: tuple[int, ...] = ()


def evidence_for(title: str, lead: str) -> Evidence:
    return entities.extract(fold_chinese(title), fold_chinese(lead))
