"""The store's side of ``explain`` and ``unmerge``: what an item is, what was decided about
it, and recording what a user undid (I/O: the database; every statement here).

Rows come back as column dicts because ``explain`` prints them as they are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aggregator.store.core import Store

_ITEM_SQL = (
    "SELECT i.*, f.title AS feed_title, f.url AS feed_url FROM items i"
    " JOIN feeds f ON f.id = i.feed_id WHERE i.id = ?"
)


@dataclass(frozen=True)
class ItemLinks:
    """An item's duplicate and event links."""

    id: int
    duplicate_of: int | None
    event_id: int | None


def item_with_feed(store: Store, item_id: int) -> dict[str, Any] | None:
    """The item's row with its feed's title and URL, or None."""
    rows = store.rows(_ITEM_SQL, (item_id,))
    return rows[0] if rows else None


def event_row(store: Store, event_id: int) -> dict[str, Any] | None:
    rows = store.rows("SELECT * FROM events WHERE id = ?", (event_id,))
    return rows[0] if rows else None


def decisions_for(store: Store, item_id: int) -> list[dict[str, Any]]:
    """Every dedup/cluster decision about the item, oldest first."""
    return store.rows("SELECT * FROM decisions WHERE item_id = ? ORDER BY id", (item_id,))


def duplicates_of(store: Store, item_id: int) -> list[dict[str, Any]]:
    """The item's duplicates with their feeds' titles."""
    return store.rows(
        "SELECT i.id, f.title AS feed_title FROM items i JOIN feeds f ON f.id = i.feed_id"
        " WHERE i.duplicate_of = ? ORDER BY i.id",
        (item_id,),
    )


def item_links(store: Store, item_id: int) -> ItemLinks | None:
    r = store.conn.execute(
        "SELECT id, duplicate_of, event_id FROM items WHERE id = ?", (item_id,)
    ).fetchone()
    return ItemLinks(*r) if r else None


def event_size(store: Store, event_id: int) -> int:
    """Items in the event (duplicates included)."""
    r = store.conn.execute("SELECT COUNT(*) FROM items WHERE event_id = ?", (event_id,)).fetchone()
    return int(r[0])


def remember_dedupe_unmerge(store: Store, item_id: int, original_id: int, at: str) -> None:
    """The user undid ``item_id`` being a duplicate of ``original_id``: never again."""
    store.conn.execute(
        "INSERT INTO unmerges (item_id, target_item_id, stage, at) VALUES (?, ?, ?, ?)",
        (item_id, original_id, "dedupe", at),
    )


def leave_event(store: Store, item_id: int, event_id: int, at: str) -> None:
    """Take the item and its duplicates out of their event, and remember it: never again."""
    store.conn.execute(
        "UPDATE items SET event_id = NULL WHERE id = ? OR duplicate_of = ?", (item_id, item_id)
    )
    store.conn.execute(
        "INSERT INTO unmerges (item_id, target_event_id, stage, at) VALUES (?, ?, ?, ?)",
        (item_id, event_id, "cluster", at),
    )
