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


_ITEM_SQL = (
    "SELECT i.*, f.title AS feed_title, f.url AS feed_url FROM items i"
    " JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?"
)


def explain(store: Store, item_id: int) -> Explanation:
    rows = store.rows(_ITEM_SQL, (item_id,))
    if not rows:
        raise AuditError(f"no item {item_id}")
    item = rows[0]
    dup = store.rows(_ITEM_SQL, (item["duplicate_of"],)) if item["duplicate_of"] else []
    ev = (
        store.rows("SELECT * FROM events WHERE id = ?", (item["event_id"],))
        if item["event_id"]
        else []
    )
    return Explanation(
        item=item,
        duplicate_of=dup[0] if dup else None,
        event=ev[0] if ev else None,
        decisions=store.rows("SELECT * FROM decisions WHERE item_id = ? ORDER BY id", (item_id,)),
        duplicates=store.rows(
            "SELECT i.id, f.title AS feed_title FROM items i JOIN feeds f ON f.id = i.feed_id"
            " WHERE i.duplicate_of = ? ORDER BY i.id",
            (item_id,),
        ),
    )


def unmerge(store: Store, item_id: int, now: datetime) -> str:
    """Undo the item's duplicate link if it has one, else take it out of its event. Returns
    a one-line description of what was undone."""
    rows = store.rows("SELECT id, duplicate_of, event_id FROM items WHERE id = ?", (item_id,))
    if not rows:
        raise AuditError(f"no item {item_id}")
    r = rows[0]
    at = utc_iso(now)
    with store.transaction():
        if r["duplicate_of"] is not None:
            original = r["duplicate_of"]
            store.set_duplicate_of(item_id, None)
            store.set_item_event(item_id, None)  # clustered afresh as an original
            store.conn.execute(
                "INSERT INTO unmerges (item_id, target_item_id, stage, at) VALUES (?, ?, ?, ?)",
                (item_id, original, "dedupe", at),
            )
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
            if r["event_id"] is not None:
                store.refresh_event(r["event_id"], updated_at=at)
            return f"item {item_id} is no longer a duplicate of item {original}"
        merged = store_events.last_merge(store, item_id)
        if merged is not None:
            return _undo_merge(store, merged, at)
        if r["event_id"] is None:
            raise AuditError(f"item {item_id} is neither a duplicate nor in an event")
        members = store.rows(
            "SELECT COUNT(*) AS n FROM items WHERE event_id = ?", (r["event_id"],)
        )[0]["n"]
        if members <= 1:
            raise AuditError(f"item {item_id} is alone in event {r['event_id']}")
        event_id = r["event_id"]
        # Its duplicates leave with it.
        store.conn.execute(
            "UPDATE items SET event_id = NULL WHERE id = ? OR duplicate_of = ?", (item_id, item_id)
        )
        store.conn.execute(
            "INSERT INTO unmerges (item_id, target_event_id, stage, at) VALUES (?, ?, ?, ?)",
            (item_id, event_id, "cluster", at),
        )
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
