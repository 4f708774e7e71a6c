"""Event building: unique items without an event → events rows (I/O: store; decisions logged).

Runs after each poll over every original item whose ``event_id`` is still NULL, so an item
stored just before a crash is clustered on the next run (restart-safe, nothing lost).
Duplicates follow their original's event. With an embedding backend the assignment is the
online clusterer's (:mod:`aggregator.cluster`); without one each item opens its own event.
"""

from __future__ import annotations

import logging
from datetime import datetime

from aggregator.config import Config
from aggregator.models import Decision
from aggregator.store import Store, utc_iso

log = logging.getLogger("aggregator.events")

#: Items clustered per transaction; bounds the work lost to a kill and the lock hold time.
CLUSTER_BATCH_ITEMS = 256


class EventBuilder:
    def __init__(self, cfg: Config, store: Store) -> None:
        self.cfg = cfg
        self.store = store

    def cluster_pending(self, now: datetime) -> int:
        """Assign every pending unique item to an event; returns how many were assigned."""
        done = 0
        at = utc_iso(now)
        while True:
            rows = self.store.rows(
                "SELECT id, title, lang FROM items WHERE event_id IS NULL AND duplicate_of IS"
                " NULL ORDER BY id LIMIT ?",
                (CLUSTER_BATCH_ITEMS,),
            )
            if not rows:
                break
            with self.store.transaction():
                for r in rows:
                    event_id = self.store.create_event(
                        title=r["title"], at=at, representative_item_id=r["id"]
                    )
                    self.store.set_item_event(r["id"], event_id)
                    self.store.refresh_event(event_id, updated_at=at)
                    self.store.add_decision(
                        Decision(
                            item_id=r["id"],
                            stage="cluster",
                            rule="new_event",
                            target_event_id=event_id,
                            score=None,
                            features={"backend": "none"},
                            at=at,
                        )
                    )
                    done += 1
        self.attach_duplicates()
        return done

    def attach_duplicates(self) -> None:
        """Duplicates take their original's event (they are listed as extra sources)."""
        with self.store.transaction():
            self.store.conn.execute(
                "UPDATE items SET event_id = (SELECT o.event_id FROM items o WHERE"
                " o.id = items.duplicate_of) WHERE duplicate_of IS NOT NULL AND event_id IS NULL"
            )
