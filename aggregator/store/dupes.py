"""Store stage: re-rooting a duplicate group at its earliest-published item (I/O: disk).

When a copy is stored before the item it copies (a republisher polled first), the group's
root is the copy. :func:`reroot_if_earlier` makes a newly stored duplicate the root when it was
published earlier than the current root: the old root and every other member point at it, it
takes the old root's event, and a ``dedupe``/``reroot`` decision records the change (shown by
``explain``; ``unmerge`` on the old root undoes its link as for any duplicate).
"""

from __future__ import annotations

from aggregator.models import Decision
from aggregator.store.core import Store


def reroot_if_earlier(store: Store, item_id: int, root_id: int, at: str) -> bool:
    """Make ``item_id`` (just stored as a duplicate of ``root_id``) the group's root if its
    own published time is earlier. Both times must be known. Call inside the write's
    transaction. Returns True when the group was re-pointed."""
    rows = {
        r["id"]: r
        for r in store.rows(
            "SELECT id, published_at, event_id FROM items WHERE id IN (?, ?)", (item_id, root_id)
        )
    }
    new, old = rows.get(item_id), rows.get(root_id)
    if new is None or old is None or not new["published_at"] or not old["published_at"]:
        return False
    if new["published_at"] >= old["published_at"]:
        return False
    conn = store.conn
    conn.execute("UPDATE items SET duplicate_of = ? WHERE duplicate_of = ?", (item_id, root_id))
    conn.execute("UPDATE items SET duplicate_of = ? WHERE id = ?", (item_id, root_id))
    conn.execute(
        "UPDATE items SET duplicate_of = NULL, event_id = ? WHERE id = ?",
        (old["event_id"], item_id),
    )
    conn.execute(
        "UPDATE events SET representative_item_id = ? WHERE representative_item_id = ?",
        (item_id, root_id),
    )
    store.add_decision(
        Decision(
            item_id=root_id,
            stage="dedupe",
            rule="reroot",
            target_item_id=item_id,
            features={"earlier_root": item_id, "published_at": new["published_at"]},
            at=at,
        )
    )
    if old["event_id"] is not None:
        store.refresh_event(old["event_id"], updated_at=at)
    return True
