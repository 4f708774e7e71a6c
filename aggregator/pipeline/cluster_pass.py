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

import functools
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from aggregator.cluster import lexical
from aggregator.cluster.boilerplate import story_lead
from aggregator.cluster.clusterer import (
    RULE_JOIN,
    ClusterInput,
    ClusterMember,
    EventClusterer,
    ScoreWeights,
    default_weights,
    evidence_for,
    window_start,
)
from aggregator.cluster.embed import Embedder, LexicalEmbedder, embedding_text, make_embedder
from aggregator.cluster.evidence import Evidence
from aggregator.cluster.index import IVF_MIN_ROWS
from aggregator.config import Config
from aggregator.daemon.memory import trim_malloc
from aggregator.models import Decision
from aggregator.pipeline.code_id import code_fingerprint
from aggregator.pipeline.model_caches import use_model_caches
from aggregator.pipeline.window_values import SharedSets as _SharedSets
from aggregator.pipeline.window_values import stored_parts as _stored_parts
from aggregator.pipeline.window_values import stored_terms as _stored_terms
from aggregator.pipeline.window_values import with_blobs as _with_blobs
from aggregator.store import events as store_events
from aggregator.store import window_reads
from aggregator.store.core import Store, parse_iso, utc_iso

log = logging.getLogger("aggregator.pipeline.cluster_pass")

#: What a batch stores per clustered item (``store_events.save_members``).
_Saved = tuple[int, np.ndarray, Counter[str] | None, frozenset[str], frozenset[str]]

#: Items embedded and committed per batch: bounds the work lost to a kill and lock hold time,
#: and is large enough for the embedder's batching to pay off.
CLUSTER_BATCH_ITEMS = 64
#: Pending items read per query, then handed out CLUSTER_BATCH_ITEMS at a time. The pending
#: query sorts every pending item (no index on its sort key), so reading only one batch per
#: query cost O(pending) per batch: 41 ms a batch, ~13% of the run, with 20k pending.
PENDING_PAGE_ITEMS = 1024
#: Characters of the item text used as the lead for embedding and evidence (the pending
#: query reads no more).
LEAD_CHARS = store_events.LEAD_CHARS


@functools.cache
def evidence_extractor_id() -> str:
    """Fingerprint of what makes an item's entity keys (``records.evidence_for``): the
    sources of the extractor and of every module of ours it imports (the Chinese folding,
    the alias table…), and OpenCC's version. Keys stored under another fingerprint are
    recomputed, so an edit of the extractor never leaves stale keys in the window."""
    import importlib.metadata  # here: ~30 ms of imports that only this lookup needs

    h = hashlib.sha256(
        code_fingerprint("aggregator.cluster.records", "aggregator.cluster.boilerplate").encode()
    )
    try:
        h.update(importlib.metadata.version("opencc").encode())
    except importlib.metadata.PackageNotFoundError:
        h.update(b"no-opencc")
    return h.hexdigest()[:16]


#: Row key under which a pending row keeps its lead (read for embedding, then for clustering).
_LEAD = "_lead"


def _lead(row: dict[str, Any]) -> str:
    """The item's lead as the clusterer reads it: the summary (else the text) without page
    boilerplate (``boilerplate.story_lead``: paywall, cookie, share and photo lines); kept
    in the row."""
    got = row.get(_LEAD)
    if got is None:
        got = row[_LEAD] = story_lead(
            str(row.get("summary") or row.get("content_text") or "")[:LEAD_CHARS]
        )
    return str(got)


def _member_row(m: store_events.WindowMember) -> dict[str, Any]:
    return {
        "title": m.title,
        "summary": m.summary,
        "content_text": m.content_text,
        "published_at": m.published_at,
        "fetched_at": m.fetched_at,
    }


def _at(row: dict[str, Any]) -> datetime:
    return parse_iso(row["published_at"] or row["fetched_at"])


class EventBuilder:
    def __init__(
        self,
        cfg: Config,
        store: Store,
        embedder: Embedder | None = None,
        weights: ScoreWeights | None = None,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.embedder = embedder or make_embedder(cfg.cluster)
        self.weights = weights or default_weights(self.embedder.name)
        use_model_caches(store.path)
        self.clusterer: EventClusterer | None = None
        #: Item time from which the clusterer holds every event (its window's far edge).
        self._horizon: datetime | None = None
        #: Events merged into another during this run (no longer in the store).
        self._dropped: set[int] = set()
        # Pending rows read ahead by _next_batch, in clustering order.
        self._page: list[dict[str, Any]] = []
        #: Folded embedding text → vector, for the current pass only (emptied after it).
        self._pass_vectors: dict[str, np.ndarray] = {}
        # A batch's writes held back to be one statement each (_flush): (event, item) placed,
        # decisions in order; the batch's ``(item id, event id)`` unmerges, read once.
        self._placed: list[tuple[int, int]] = []
        self._decided: list[Decision] = []
        self._unmerged: set[tuple[int, int]] = set()

    # -- state ----------------------------------------------------------------------------------
    def _load(self, since: datetime) -> EventClusterer:
        """Rebuild the clusterer from the members of events that have a member whose own
        time is ≥ ``since`` (item time, not the wall clock), oldest first."""
        clusterer = EventClusterer(self.cfg.cluster, self.embedder.dim, weights=self.weights)
        # Stored term counts are read and weighed when their event is first needed.
        reader = functools.partial(store_events.stored_terms, self.store)  # by item id
        clusterer.defer_stored_terms(_stored_terms, _stored_parts, reader)
        store_events.ensure_terms_version(self.store, lexical.TERMS_VERSION)
        extractor, name, df = evidence_extractor_id(), self.embedder.name, clusterer.df
        members = window_reads.window(self.store, utc_iso(since), extractor, name, df.load)
        missing = [m for m in members if m.vector is None or m.model != name]
        fresh: dict[int, np.ndarray] = {}
        if missing:  # first start with this embedder: embed the window once
            vecs = self._embed([_member_row(m) for m in missing])
            with self.store.transaction():
                for m, v in zip(missing, vecs, strict=True):
                    store_events.save_vector(self.store, m.item_id, self.embedder.name, v)
                    fresh[m.item_id] = v
        computed: dict[int, Counter[str]] = {}
        extracted: dict[int, Evidence] = {}
        key_sets = _SharedSets()  # equal key sets (most often empty ones) held once
        # The window and room for the items this pass adds (those pending, up to the exact
        # mode's size, else an eighth of the window): the matrix does not regrow — old and new
        # copy both resident — near the end of a large pass. Rows never filled are never
        # touched (the matrix is mmapped), so the room costs no RSS.
        pending = min(store_events.pending_count(self.store), IVF_MIN_ROWS)
        clusterer.reserve(len(members) + max(len(members) // 8, pending))
        blobs = functools.partial(window_reads.stored_vectors, self.store, name)  # 500 a read
        for m, blob in _with_blobs(members, blobs):  # each row freed once put back
            vec = fresh.get(m.item_id)
            if vec is None:  # a vector of this embedder is stored (else it is in ``fresh``)
                vec = np.frombuffer(blob or b"", dtype=np.float32)
            row = _member_row(m)
            terms: Counter[str] | None = None
            if m.terms is None:  # else stored when it was clustered: no segmenting again
                terms = computed[m.item_id] = lexical.terms(m.title, _lead(row))
            if m.keys is not None:  # stored when it was clustered: no extraction again
                evidence = Evidence(key_sets(m.keys[0]), key_sets(m.keys[1]))
            else:
                evidence = extracted[m.item_id] = evidence_for(m.title, _lead(row))
            clusterer.add_existing(
                ClusterMember(
                    item_id=m.item_id,
                    event_id=m.event_id,
                    lang=m.lang,
                    vector=vec,
                    at=_at(row),
                    evidence=evidence,
                    title=m.title,
                    terms=terms,
                ),
                terms_stored=m.terms is not None,
            )
        if computed or extracted:  # stored for the next start (older store, new extractor)
            with self.store.transaction():
                for item_id, counts in computed.items():
                    store_events.save_terms(self.store, item_id, counts)
                for item_id, ev in extracted.items():
                    store_events.save_keys(
                        self.store, item_id, extractor, ev.title_keys, ev.text_keys
                    )
        self._horizon = since
        log.info(
            "clusterer loaded members=%d events=%d embedder=%s since=%s",
            len(clusterer),
            clusterer.event_count,
            self.embedder.name,
            utc_iso(since),
        )
        return clusterer

    def _embed(self, rows: Sequence[dict[str, Any]]) -> list[np.ndarray]:
        """Vectors of ``rows``; with a model, a text already embedded in this pass (syndicated
        copies that dedupe let through, e.g. with dedupe off) is not embedded again. The
        hashed lexical embedder is not cached: its row for a text depends on that text alone
        (integer counts, normalised per row), so embedding it again gives the same bytes, for
        far less than the 2 KB per item the cache held beside the clusterer's own copy
        (~8 MB of a 4,000-item pass, ``bench/pass_memory.py``)."""
        texts = [embedding_text(r["title"], _lead(r)) for r in rows]
        if self.embedder.name == LexicalEmbedder.name:
            m = self.embedder.embed(texts)
            return [m[i] for i in range(len(texts))]
        seen = self._pass_vectors
        todo = list(dict.fromkeys(t for t in texts if t not in seen))
        if todo:
            m = self.embedder.embed(todo)
            for i, t in enumerate(todo):
                # A copy: a view would keep the whole batch matrix alive as long as the pass.
                seen[t] = np.array(m[i], dtype=np.float32)
        return [seen[t] for t in texts]

    # -- the job ----------------------------------------------------------------------------------
    def cluster_pending(self, now: datetime, progress: Callable[[int], None] | None = None) -> int:
        """Assign every pending unique item to an event; returns how many were assigned."""
        if not self.store.has_unclustered_items():
            return 0  # nothing new: load no window, model or entity keys
        self._prepare(now)
        done = 0
        try:
            while (rows := self._next_batch(now)) is not None:
                self._commit_batch(rows, self._embed(rows), now)
                trim_malloc()  # see cluster_pending_async
                done += len(rows)
                if progress:
                    progress(len(rows))
        finally:
            self._pass_vectors.clear()
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
        try:
            while (rows := self._next_batch(now)) is not None:
                vecs = await asyncio.to_thread(self._embed, rows)
                self._commit_batch(rows, vecs, now)
                # The free pages inside malloc's heap back to the kernel (~1 ms): a batch's
                # transient allocations (rows, texts, score matrices) land in the holes an
                # earlier stage left and glibc keeps every page they touched resident, so the
                # heap stayed at its largest extent however little of it was in use (peer
                # pass 5: peak 138.5 → 132.7 MB; pass 1: 63 calls, 0.057 s CPU in all).
                trim_malloc()
                done += len(rows)
                await asyncio.sleep(0)
        finally:
            self._pass_vectors.clear()
        self.attach_duplicates(now)
        return done

    def _prepare(self, now: datetime) -> None:
        """Make the clusterer hold every event a pending item could join.

        Windows are measured in the items' own time: the oldest pending item ``p`` can join
        events with a member at or after ``p − window``; the clusterer is (re)loaded from
        there when it holds less, and events that ended before it are dropped otherwise.
        """
        self._page = []
        oldest = store_events.oldest_pending_at(self.store)
        if oldest is None:
            if self.clusterer is None:
                self.clusterer = self._load(window_start(now, self.cfg.cluster))
            return
        self._cover(parse_iso(oldest))

    def _cover(self, t: datetime) -> None:
        """Ensure the in-memory window reaches back to ``t − window`` (item time)."""
        need = window_start(t, self.cfg.cluster)
        if self.clusterer is None or self._horizon is None or need < self._horizon:
            self.clusterer = self._load(need)
        elif need - self._horizon >= timedelta(days=self.cfg.cluster.window_days / 4):
            # Retention follows the stream: older events can no longer take a member.
            self.clusterer.prune(need)
            self._horizon = need

    def _next_batch(self, now: datetime) -> list[dict[str, Any]] | None:
        """The next CLUSTER_BATCH_ITEMS pending items, oldest first, from a read-ahead page.
        Rows of a page older than this batch are re-checked, so an item assigned or marked
        duplicate meanwhile (the daemon runs other work between batches) is skipped."""
        if self.clusterer is None:
            self._prepare(now)
        while True:
            fresh = not self._page
            if fresh:
                self._page = store_events.pending_page(self.store, PENDING_PAGE_ITEMS)
                if not self._page:
                    return None
            rows = self._page[:CLUSTER_BATCH_ITEMS]
            del self._page[:CLUSTER_BATCH_ITEMS]
            if not fresh:
                still = store_events.still_pending(self.store, [r["id"] for r in rows])
                rows = [r for r in rows if r["id"] in still]
            if rows:
                return rows

    def _commit_batch(
        self, rows: list[dict[str, Any]], vecs: list[np.ndarray], now: datetime
    ) -> None:
        self._cover(min(_at(r) for r in rows))  # rows may be older than the last batch's
        clusterer = self.clusterer
        assert clusterer is not None
        at = utc_iso(now)
        touched: set[int] = set()
        saves: list[_Saved] = []  # written once per batch (one statement per table)
        self._placed, self._decided = [], []
        ids = [r["id"] for r in rows]
        try:
            with self.store.transaction(), clusterer.blas_limited(), clusterer.batch(ids, vecs):
                self._unmerged = store_events.unmerged_events(self.store, ids)
                for r, vec in zip(rows, vecs, strict=True):
                    touched.add(self._assign_one(clusterer, r, vec, at, now, saves))
                self._flush()
                store_events.save_members(
                    self.store, self.embedder.name, evidence_extractor_id(), saves
                )
                self._retitle(clusterer, touched, at)
                store_events.save_doc_freq(self.store, *clusterer.df.take_changes())
        except Exception:
            self.clusterer = None  # memory may be ahead of the rolled-back store
            self._horizon = None
            self._page = []
            self._placed, self._decided = [], []
            raise

    def _flush(self) -> None:
        """Write the held-back placements and decisions: before a merge, at the batch's end."""
        if self._placed:
            store_events.set_item_events(self.store, self._placed)
            self._placed = []
        if self._decided:
            self.store.add_decisions(self._decided)
            self._decided = []

    def _assign_one(
        self,
        clusterer: EventClusterer,
        r: dict[str, Any],
        vec: np.ndarray,
        at: str,
        now: datetime,
        saves: list[_Saved],
    ) -> int:
        lead = _lead(r)
        item = ClusterInput(
            item_id=r["id"],
            lang=r["lang"],
            title=r["title"],
            lead=lead,
            at=_at(r),
            vector=vec,
            terms=lexical.terms(r["title"], lead),  # interned by terms()
        )
        a = clusterer.assign(item, now)
        features = dict(a.features)
        features["embedder"] = self.embedder.name
        event_id = a.event_id
        rule = a.rule
        if event_id is not None and (r["id"], event_id) in self._unmerged:
            features["refused_event"] = event_id  # the user took it out of that event
            event_id, rule = None, "new_event"
        if event_id is None:
            # First seen when its first member was fetched (a recluster keeps that history).
            event_id = self.store.create_event(
                title=r["title"], at=min(at, r["fetched_at"]), representative_item_id=r["id"]
            )
        self._placed.append((event_id, r["id"]))
        member = clusterer.add_member(item, event_id, a.evidence)
        ev = member.evidence
        saves.append((r["id"], vec, member.terms, ev.title_keys, ev.text_keys))
        self._decided.append(
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
        if rule == RULE_JOIN:
            for other in a.merge_with:
                event_id = self._merge(clusterer, r["id"], event_id, other, at)
        return event_id

    def _merge(
        self, clusterer: EventClusterer, item_id: int, event_id: int, other: int, at: str
    ) -> int:
        """Item ``item_id`` (now in ``event_id``) showed that ``other`` is the same event:
        merge the two, the older id surviving, unless a user split them. Returns the event
        the item is in afterwards."""
        if other == event_id or not clusterer.has_event(other):
            return event_id
        self._flush()  # the merge reads and moves items, and drops an event decisions name
        if store_events.merge_refused(self.store, event_id, other):
            return event_id
        keep, drop = min(event_id, other), max(event_id, other)
        m = store_events.merge_events(self.store, keep, drop)
        clusterer.merge_events(keep, drop)
        self._dropped.add(drop)
        feats = {
            "kept_event_id": keep,
            "merged_event_id": drop,
            "moved_items": m.moved_items,
            "dropped_event": {
                "title": m.title,
                "alt_title": m.alt_title,
                "first_seen_at": m.first_seen_at,
            },
        }
        self.store.add_decision(
            Decision(
                item_id=item_id,
                stage="cluster",
                rule="merge_events",
                target_event_id=keep,
                features=feats,
                at=at,
            )
        )
        for moved in m.moved_items:
            self.store.add_decision(
                Decision(
                    item_id=moved,
                    stage="cluster",
                    rule="merged_into",
                    target_event_id=keep,
                    features=feats | {"by_item": item_id},
                    at=at,
                )
            )
        return keep

    def _retitle(self, clusterer: EventClusterer, events: set[int], at: str) -> None:
        pref = self.cfg.publish.preferred_language
        updates = []
        for eid in events - self._dropped:
            title, alt = clusterer.representative(eid, pref)
            updates.append((eid, title or None, alt))
        store_events.refresh_events(self.store, updates, at)

    def recluster(
        self, since: datetime, now: datetime, progress: Callable[[int], None] | None = None
    ) -> int:
        """Re-run the online clusterer over the unique items first seen since ``since``, in
        time order (after a model or weight change). Their events are emptied and deleted
        when nothing else holds them; unmerges stay respected. Returns items reassigned."""
        with self.store.transaction():
            store_events.reset_events_since(self.store, utc_iso(since), utc_iso(now))
        self.clusterer = None  # rebuilt from what is still assigned
        self._horizon = None
        return self.cluster_pending(now, progress)

    def pending_count(self) -> int:
        return store_events.pending_count(self.store)

    def attach_duplicates(self, now: datetime) -> None:
        """Duplicates take their original's event (they are listed as extra sources), and the
        event's ``updated`` moves: one more outlet carries the story."""
        with self.store.transaction():
            rows = store_events.detached_duplicates(self.store)
            store_events.set_item_events(self.store, [(e, i) for i, e in rows])
            events = [(e, None, None) for e in dict.fromkeys(e for _, e in rows)]
            store_events.refresh_events(self.store, events, utc_iso(now))
