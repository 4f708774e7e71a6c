"""Event building: unique items without an event → events rows (I/O: store; decisions logged).

Runs after each poll over every original item whose ``event_id`` is still NULL, so an item
stored just before a crash is clustered on the next run (restart-safe, nothing lost).
Duplicates follow their original's event.

Each pending item is embedded (title + lead, in batches), handed to the online
:class:`~aggregator.cluster.clusterer.EventClusterer`, and either joins an open event or opens one;
the decision, with its features, goes to ``decisions``. Vectors are stored in
``item_vectors`` so a restart rebuilds the clusterer's window without re-embedding.
A user's ``unmerge`` is respected: an item never rejoins an event it was taken out of.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from aggregator.cluster.clusterer import (
    ClusterInput,
    ClusterMember,
    EventClusterer,
    default_weights,
    evidence_for,
    window_start,
)
from aggregator.cluster.embed import Embedder, embedding_text, make_embedder
from aggregator.config import Config
from aggregator.models import Decision
from aggregator.store.core import Store, parse_iso, utc_iso

log = logging.getLogger("aggregator.pipeline.cluster_pass")

#: Items embedded and committed per batch: bounds the work lost to a kill and lock hold time,
#: and is large enough for the embedder's batching to pay off.
CLUSTER_BATCH_ITEMS = 64
#: Pending items read per query, then handed out CLUSTER_BATCH_ITEMS at a time. The pending
#: query sorts every pending item (no index on its sort key), so reading only one batch per
#: query cost O(pending) per batch: 41 ms a batch, ~13% of the run, with 20k pending.
PENDING_PAGE_ITEMS = 1024
#: Characters of the item text used as the lead for embedding and evidence.
LEAD_CHARS = 400

#: Only the first LEAD_CHARS of summary and text are read (all _lead uses): the sort of every
#: pending row then carries short strings, not whole articles.
_PENDING_SQL = (
    f"SELECT id, title, substr(summary, 1, {LEAD_CHARS}) AS summary,"
    f" substr(content_text, 1, {LEAD_CHARS}) AS content_text, lang, published_at, fetched_at"
    " FROM items WHERE event_id IS NULL AND duplicate_of IS NULL"
    " ORDER BY COALESCE(published_at, fetched_at), id LIMIT ?"
)


def _lead(row: dict[str, Any]) -> str:
    return str(row.get("summary") or row.get("content_text") or "")[:LEAD_CHARS]


def _at(row: dict[str, Any]) -> datetime:
    return parse_iso(row["published_at"] or row["fetched_at"])


class EventBuilder:
    def __init__(self, cfg: Config, store: Store, embedder: Embedder | None = None) -> None:
        self.cfg = cfg
        self.store = store
        self.embedder = embedder or make_embedder(cfg.cluster)
        self.clusterer: EventClusterer | None = None
        # Pending rows read ahead by _next_batch, in clustering order.
        self._page: list[dict[str, Any]] = []

    # -- state ----------------------------------------------------------------------------------
    def _load(self, now: datetime) -> EventClusterer:
        """Rebuild the clusterer from the members of events still inside the window."""
        clusterer = EventClusterer(
            self.cfg.cluster, self.embedder.dim, weights=default_weights(self.embedder.name)
        )
        since = utc_iso(window_start(now, self.cfg.cluster))
        rows = self.store.rows(
            "SELECT i.id, i.event_id, i.title, i.summary, i.content_text, i.lang,"
            " i.published_at, i.fetched_at, v.vector, v.model FROM items i"
            " JOIN events e ON e.id = i.event_id"
            " LEFT JOIN item_vectors v ON v.item_id = i.id"
            " WHERE i.duplicate_of IS NULL AND e.updated_at >= ? ORDER BY i.id",
            (since,),
        )
        missing = [r for r in rows if r["vector"] is None or r["model"] != self.embedder.name]
        if missing:  # first start with this embedder: embed the window once
            vecs = self._embed(missing)
            with self.store.transaction():
                for r, v in zip(missing, vecs, strict=True):
                    self._save_vector(r["id"], v)
                    r["vector"] = v.tobytes()
        for r in rows:
            vec = np.frombuffer(r["vector"], dtype=np.float32)
            clusterer.add_existing(
                ClusterMember(
                    item_id=r["id"],
                    event_id=r["event_id"],
                    lang=r["lang"],
                    vector=vec,
                    at=_at(r),
                    evidence=evidence_for(r["title"], _lead(r)),
                    title=r["title"],
                )
            )
        log.info(
            "clusterer loaded members=%d events=%d embedder=%s",
            len(clusterer),
            clusterer.event_count,
            self.embedder.name,
        )
        return clusterer

    def _embed(self, rows: Sequence[dict[str, Any]]) -> list[np.ndarray]:
        texts = [embedding_text(r["title"], _lead(r)) for r in rows]
        m = self.embedder.embed(texts)
        return [np.ascontiguousarray(m[i], dtype=np.float32) for i in range(len(rows))]

    def _save_vector(self, item_id: int, vec: np.ndarray) -> None:
        self.store.conn.execute(
            "INSERT OR REPLACE INTO item_vectors (item_id, model, vector) VALUES (?, ?, ?)",
            (item_id, self.embedder.name, vec.astype(np.float32).tobytes()),
        )

    # -- the job ----------------------------------------------------------------------------------
    def cluster_pending(self, now: datetime, progress: Callable[[int], None] | None = None) -> int:
        """Assign every pending unique item to an event; returns how many were assigned."""
        if not self.store.has_unclustered_items():
            return 0  # nothing new: load no window, model or entity keys
        self._prepare(now)
        done = 0
        while (rows := self._next_batch(now)) is not None:
            self._commit_batch(rows, self._embed(rows), now)
            done += len(rows)
            if progress:
                progress(len(rows))
        self.attach_duplicates(now)
        return done

    async def cluster_pending_async(self, now: datetime) -> int:
        """:meth:`cluster_pending` for the daemon: embedding runs in a worker thread (numpy
        releases the GIL) and the loop gets control between batches, so a large first poll
        never starves the HTTP server or the watchdog."""
        import asyncio

        if not self.store.has_unclustered_items():
            return 0  # nothing new: load no window, model or entity keys
        self._prepare(now)
        done = 0
        while (rows := self._next_batch(now)) is not None:
            vecs = await asyncio.to_thread(self._embed, rows)
            self._commit_batch(rows, vecs, now)
            done += len(rows)
            await asyncio.sleep(0)
        self.attach_duplicates(now)
        return done

    def _prepare(self, now: datetime) -> None:
        """Load the clusterer on first use; drop events that left the window."""
        if self.clusterer is None:
            self.clusterer = self._load(now)
        self.clusterer.prune(window_start(now, self.cfg.cluster))
        self._page = []

    def _next_batch(self, now: datetime) -> list[dict[str, Any]] | None:
        """The next CLUSTER_BATCH_ITEMS pending items, oldest first, from a read-ahead page.
        Rows of a page older than this batch are re-checked, so an item assigned or marked
        duplicate meanwhile (the daemon runs other work between batches) is skipped."""
        if self.clusterer is None:
            self._prepare(now)
        while True:
            fresh = not self._page
            if fresh:
                self._page = self.store.rows(_PENDING_SQL, (PENDING_PAGE_ITEMS,))
                if not self._page:
                    return None
            rows = self._page[:CLUSTER_BATCH_ITEMS]
            del self._page[:CLUSTER_BATCH_ITEMS]
            if not fresh:
                ids = [r["id"] for r in rows]
                still = {
                    r["id"]
                    for r in self.store.rows(
                        "SELECT id FROM items WHERE event_id IS NULL AND duplicate_of IS NULL"
                        f" AND id IN ({','.join('?' * len(ids))})",
                        ids,
                    )
                }
                rows = [r for r in rows if r["id"] in still]
            if rows:
                return rows

    def _commit_batch(
        self, rows: list[dict[str, Any]], vecs: list[np.ndarray], now: datetime
    ) -> None:
        clusterer = self.clusterer
        assert clusterer is not None
        at = utc_iso(now)
        touched: set[int] = set()
        try:
            with self.store.transaction(), clusterer.blas_limited():
                for r, vec in zip(rows, vecs, strict=True):
                    touched.add(self._assign_one(clusterer, r, vec, at, now))
                self._retitle(clusterer, touched, at)
        except Exception:
            self.clusterer = None  # memory may be ahead of the rolled-back store
            self._page = []
            raise

    def _assign_one(
        self, clusterer: EventClusterer, r: dict[str, Any], vec: np.ndarray, at: str, now: datetime
    ) -> int:
        item = ClusterInput(
            item_id=r["id"], lang=r["lang"], title=r["title"], lead=_lead(r), at=_at(r), vector=vec
        )
        a = clusterer.assign(item, now)
        features = dict(a.features)
        features["embedder"] = self.embedder.name
        event_id = a.event_id
        rule = a.rule
        if event_id is not None and self.store.is_unmerged(r["id"], target_event_id=event_id):
            features["refused_event"] = event_id  # the user took it out of that event
            event_id, rule = None, "new_event"
        if event_id is None:
            # First seen when its first member was fetched (a recluster keeps that history).
            event_id = self.store.create_event(
                title=r["title"], at=min(at, r["fetched_at"]), representative_item_id=r["id"]
            )
        self.store.set_item_event(r["id"], event_id)
        self._save_vector(r["id"], vec)
        clusterer.add_member(item, event_id, a.evidence)
        self.store.add_decision(
            Decision(
                item_id=r["id"],
                stage="cluster",
                rule=rule,
                target_event_id=event_id,
                score=round(float(a.score), 4),
                features=features,
                at=at,
            )
        )
        return event_id

    def _retitle(self, clusterer: EventClusterer, events: set[int], at: str) -> None:
        pref = self.cfg.publish.preferred_language
        for eid in events:
            title, alt = clusterer.representative(eid, pref)
            self.store.refresh_event(eid, updated_at=at, title=title or None, alt_title=alt)

    def recluster(
        self, since: datetime, now: datetime, progress: Callable[[int], None] | None = None
    ) -> int:
        """Re-run the online clusterer over the unique items first seen since ``since``, in
        time order (after a model or weight change). Their events are emptied and deleted
        when nothing else holds them; unmerges stay respected. Returns items reassigned."""
        cutoff = utc_iso(since)
        with self.store.transaction():
            touched = {
                r["event_id"]
                for r in self.store.rows(
                    "SELECT DISTINCT event_id FROM items WHERE event_id IS NOT NULL"
                    " AND COALESCE(published_at, fetched_at) >= ?",
                    (cutoff,),
                )
            }
            self.store.conn.execute(
                "UPDATE items SET event_id = NULL WHERE COALESCE(published_at, fetched_at) >= ?"
                " OR duplicate_of IN (SELECT id FROM items WHERE"
                " COALESCE(published_at, fetched_at) >= ?)",
                (cutoff, cutoff),
            )
            for eid in touched:
                left = self.store.rows(
                    "SELECT COUNT(*) AS n FROM items WHERE event_id = ?", (eid,)
                )[0]["n"]
                if left:
                    self.store.refresh_event(eid, updated_at=utc_iso(now))
                else:
                    self.store.conn.execute("DELETE FROM events WHERE id = ?", (eid,))
        self.clusterer = None  # rebuilt from what is still assigned
        return self.cluster_pending(now, progress)

    def pending_count(self) -> int:
        return int(
            self.store.rows(
                "SELECT COUNT(*) AS n FROM items WHERE event_id IS NULL AND duplicate_of IS NULL"
            )[0]["n"]
        )

    def attach_duplicates(self, now: datetime) -> None:
        """Duplicates take their original's event (they are listed as extra sources), and the
        event's ``updated`` moves: one more outlet carries the story."""
        with self.store.transaction():
            rows = self.store.rows(
                "SELECT d.id, o.event_id FROM items d JOIN items o ON o.id = d.duplicate_of"
                " WHERE d.event_id IS NULL AND o.event_id IS NOT NULL"
            )
            for r in rows:
                self.store.set_item_event(r["id"], r["event_id"])
            for eid in {r["event_id"] for r in rows}:
                self.store.refresh_event(eid, updated_at=utc_iso(now))
