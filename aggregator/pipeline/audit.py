"""Why an item is (or is not) a duplicate or an event member, and undoing a wrong merge
(I/O: reads and writes the store).

``explain`` reads the item's ``decisions`` rows (event merges included: ``merge_events`` on the
item that showed two events are one, ``merged_into`` on every item moved); ``unmerge``
reverses a duplicate link, an event merge (for an item the merge moved or caused: the merged
event comes back under its old id) or an event membership, records an ``unmerged`` decision
and an ``unmerges`` row, and the clusterer and ``recluster`` consult ``unmerges`` so the
same pair is never merged again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aggregator.errors import AuditError as AuditError  # re-exported: callers import it from here
from aggregator.models import Decision
from aggregator.store import audit as store_audit
from aggregator.store import events as store_events
from aggregator.store.core import Store, utc_iso


@dataclass
class Explanation:
    item: dict[str, Any]
    duplicate_of: dict[str, Any] | None
    event: dict[str, Any] | None
    decisions: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)

    def render(self) -> str:
        i = self.item
        out = [
            f"item {i['id']}: {i['title']}",
            f"  feed {i['feed_id']} ({i['feed_title'] or i['feed_url']}), lang {i['lang']},"
            f" published {i['published_at'] or '?'}",
            f"  url {i['url'] or '-'}",
            f"  canonical {i['canonical_url'] or '-'}",
        ]
        if self.duplicate_of:
            d = self.duplicate_of
            out.append(f"DUPLICATE of item {d['id']}: {d['title']} ({d['feed_title']})")
        else:
            out.append("not a duplicate (original)")
        if self.duplicates:
            out.append(
                f"{len(self.duplicates)} duplicate(s) point here: "
                + ", ".join(f"{d['id']} ({d['feed_title']})" for d in self.duplicates)
            )
        if self.event:
            e = self.event
            out.append(f"EVENT {e['id']}: {e['title']} — {e.get('outlet_count', 0)} outlets,"
                       f" {e['item_count']} items,"
                       f" languages {e['languages']}")
        for d in self.decisions:
            feats = json.loads(d["features"] or "{}")
            target = (
                f"item {d['target_item_id']}"
                if d["target_item_id"] is not None
                else f"event {d['target_event_id']}"
                if d["target_event_id"] is not None
                else "-"
            )
            score = "" if d["score"] is None else f" score={d['score']:.3f}"
            out.append(f"  [{d['at']}] {d['stage']}: {d['rule']} → {target}{score}")
            for k, v in feats.items():
                out.append(f"      {k}: {v}")
        if not self.decisions:
            out.append("  no decisions recorded for this item")
        return "\n".join(out)


def explain(store: Store, item_id: int) -> Explanation:
    item = store_audit.item_with_feed(store, item_id)
    if item is None:
        raise AuditError(f"no item {item_id}")
    dup = store_audit.item_with_feed(store, item["duplicate_of"]) if item["duplicate_of"] else None
    ev = store_audit.event_row(store, item["event_id"]) if item["event_id"] else None
    return Explanation(
        item=item,
        duplicate_of=dup,
        event=ev,
        decisions=store_audit.decisions_for(store, item_id),
        duplicates=store_audit.duplicates_of(store, item_id),
    )


def unmerge(store: Store, item_id: int, now: datetime) -> str:
    """Undo the item's duplicate link if it has one, else take it out of its event. Returns
    a one-line description of what was undone."""
    r = store_audit.item_links(store, item_id)
    if r is None:
        raise AuditError(f"no item {item_id}")
    at = utc_iso(now)
    with store.transaction():
        if r.duplicate_of is not None:
            original = r.duplicate_of
            store.set_duplicate_of(item_id, None)
            store.set_item_event(item_id, None)  # clustered afresh as an original
            store_audit.remember_dedupe_unmerge(store, item_id, original, at)
            store.add_decision(
                Decision(
                    item_id=item_id,
                    stage="dedupe",
                    rule="unmerged",
                    target_item_id=original,
                    at=at,
                    features={"by": "user"},
                )
            )
            if r.event_id is not None:
                store.refresh_event(r.event_id, updated_at=at)
            return f"item {item_id} is no longer a duplicate of item {original}"
        merged = store_events.last_merge(store, item_id)
        if merged is not None:
            return _undo_merge(store, merged, at)
        if r.event_id is None:
            raise AuditError(f"item {item_id} is neither a duplicate nor in an event")
        event_id = r.event_id
        if store_audit.event_size(store, event_id) <= 1:
            raise AuditError(f"item {item_id} is alone in event {event_id}")
        store_audit.leave_event(store, item_id, event_id, at)  # its duplicates leave with it
        store.add_decision(
            Decision(
                item_id=item_id,
                stage="cluster",
                rule="unmerged",
                target_event_id=event_id,
                at=at,
                features={"by": "user"},
            )
        )
        store.refresh_event(event_id, updated_at=at)
        return f"item {item_id} left event {event_id}"


def _undo_merge(store: Store, m: store_events.MergedEvent, at: str) -> str:
    """Split an event merge: the dropped event comes back under its old id with the items the
    merge moved (those still in the kept event), and the two are never merged again."""
    back = store_events.restore_event(store, m, at)
    for moved in back:
        store_events.record_unmerge(store, moved, m.kept, at)
        store.add_decision(
            Decision(
                item_id=moved,
                stage="cluster",
                rule="unmerged",
                target_event_id=m.dropped,
                at=at,
                features={"by": "user", "undid_merge_into": m.kept},
            )
        )
    store.refresh_event(m.kept, updated_at=at)
    store.refresh_event(m.dropped, updated_at=at)
    return f"event {m.dropped} split from event {m.kept} again ({len(back)} items moved back)"
