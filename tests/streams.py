"""Test helper: feed items to an :class:`EventClusterer` the way the cluster pass does.

Each item is assigned, added to its event (a new id when it opens one) and, on a join, the
events it names for merging are merged; the decisions come back for comparison between two
clusterers that must decide alike (deferred vs eager weighing, skipped vs computed cosines).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aggregator.cluster.clusterer import RULE_JOIN, ClusterInput, EventClusterer


def stream_decisions(
    c: EventClusterer, items: list[ClusterInput], now: datetime | None = None
) -> list[tuple[Any, ...]]:
    """Assign each item at ``now`` (else its own time) and record it as the pipeline does;
    returns ``(event_id, rule, score, features, merge_with)`` per item."""
    out: list[tuple[Any, ...]] = []
    next_event = 10_000
    for it in items:
        a = c.assign(it, now or it.at)
        eid = a.event_id
        if eid is None:
            eid = next_event = next_event + 1
        c.add_member(it, eid, a.evidence)
        if a.rule == RULE_JOIN:
            for other in a.merge_with:
                if c.has_event(other) and other != eid:
                    c.merge_events(min(eid, other), max(eid, other))
        out.append((a.event_id, a.rule, a.score, a.features, a.merge_with))
    return out
