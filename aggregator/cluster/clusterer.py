"""Cluster stage: one embedded item + the open events → join an event or open one (pure core).

Online, single pass. No clock reads and no DB: the caller passes ``now``, embeds items itself
(``embed.make_embedder``, title + lead in batches), stores every :class:`Assignment` in the
``decisions`` table, and calls :meth:`EventClusterer.add_existing` on start to rebuild state.

For each new item: the index's nearest member rows (re-ranked by centred cosine, see
``centring``) name up to MAX_CANDIDATE_EVENTS events with a member within window_days of the
item's own time; each is scored exactly on its own members and keyword profile (the formula
and how its weights were chosen: ``weights``); the item joins the best if it reaches
JOIN_SCORE, else opens an event (the caller opens it, then :meth:`add_member`). An item that
also clearly belongs to a second open event asks for the two to merge (``merge_with``).
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from aggregator.cluster import evidence as entities
from aggregator.cluster import lexical, lexscore, routes
from aggregator.cluster.centring import LangMeans
from aggregator.cluster.deferred import DeferredTerms
from aggregator.cluster.evidence import Evidence
from aggregator.cluster.index import VectorIndex
from aggregator.cluster.index import blas_limiter as _blas_limiter
from aggregator.cluster.machinery import Held, KeySets, Machinery, Scored
from aggregator.cluster.records import Assignment, ClusterInput, ClusterMember, evidence_for
from aggregator.cluster.state import EventState, ItemKeys, ItemLex, conflict_keys, shared_weight
from aggregator.cluster.titles import GRAM_MAX_MEMBERS as GRAM_MAX_MEMBERS
from aggregator.cluster.titles import base_lang, representative_of
from aggregator.cluster.titles import representative_title as representative_title
from aggregator.cluster.weights import (
    CROSS_LINGUAL_BONUS,
    JOIN_SCORE,
    TIME_SIGMA_DAYS,
    ScoreWeights,
    default_weights,
)
from aggregator.config import ClusterConfig

__all__ = [
    "CROSS_LINGUAL_BONUS",
    "GRAM_MAX_MEMBERS",
    "JOIN_SCORE",
    "Assignment",
    "ClusterInput",
    "ClusterMember",
    "EventClusterer",
    "LangMeans",
    "ScoreWeights",
    "default_weights",
    "evidence_for",
    "representative_title",
    "window_start",
]

FloatVector = npt.NDArray[np.float32]

#: Nearest member rows fetched from the index before grouping by event. 64 rows hold ≥ 8
#: distinct events in practice; more costs argpartition time, not recall.
TOP_ROWS = 64
#: Candidate events scored exactly per item.
MAX_CANDIDATE_EVENTS = 8
#: Members of one event scored exactly (the most recent ones); bounds cost on huge events.
MAX_SCORED_MEMBERS = 64
#: k of "mean of the top-k member cosines": 3 lets a 3-source story outvote one stray member.
TOP_K_MEAN = 3
#: Nearest members (by embedding) whose term vectors are compared with the item's.
LEX_MEMBERS = 3
RULE_JOIN = "join_event"
RULE_NEW = "new_event"


def _epoch(dt: datetime) -> float:
    return dt.timestamp()


class EventClusterer(Machinery):
    """Online same-event clustering over a time window (see the module docstring)."""

    def __init__(
        self,
        cfg: ClusterConfig,
        dim: int,
        *,
        weights: ScoreWeights | None = None,
        index: VectorIndex | None = None,
        mean_priors: Mapping[str, FloatVector] | None = None,
    ) -> None:
        self.window_s = cfg.window_days * 86400.0
        self._blas = _blas_limiter(cfg.threads)
        self._blas_held = False
        self.dim = dim
        self.w = weights or ScoreWeights()
        self.index = index if index is not None else VectorIndex(dim)
        self._events: dict[int, EventState] = {}
        self._row_event: dict[int, int] = {}
        #: By row: what :meth:`members` gives back beside the event's own lists (a tuple,
        #: key strings and equal key sets shared through ``_keys``; ``Held``).
        self._members: dict[int, Held] = {}
        self._keys = KeySets()
        self._row_lang: dict[int, str] = {}
        self.means = LangMeans(dim, self.w.mean_prior_items, self.w.mean_horizon_items, mean_priors)
        #: Document frequencies of the stream (the caller loads and persists them).
        self.df = lexical.DocFreq()
        self._lex: dict[int, lexical.Packed] = {}  # by row
        #: Chinese members' native-word vectors, by row (``lexical.weigh(native=True)``).
        self._nat: dict[int, lexical.Packed] = {}
        self._pending_lex: ItemLex | None = None
        self._pending_keys: ItemKeys | None = None  # assign's, for the item's add_member
        self._deferred = DeferredTerms()
        self._batch = None
        self._batch_norms = None

    def __len__(self) -> int:
        return len(self._members)

    @property
    def event_count(self) -> int:
        return len(self._events)

    # -- state -----------------------------------------------------------------------------
    def reserve(self, members: int) -> None:  # a window load knows its size: no regrowth
        self.index.reserve(len(self.index) + members)

    def add_existing(
        self,
        member: ClusterMember,
        lex: ItemLex | None = None,
        *,
        stored_terms: str = "",
        terms_stored: bool = False,
    ) -> None:
        """Put a stored member back (start-up), or record a decided one. Document frequencies
        are not touched (on start-up they come from the store). ``stored_terms``: its term
        counts as stored; ``terms_stored``: they are stored, to be read back by item id
        (see :meth:`defer_stored_terms`)."""
        row = self.index.add(member.vector)
        ev = self._events.get(member.event_id)
        if ev is None:
            ev = self._events[member.event_id] = EventState(member.event_id)
        t = _epoch(member.at)
        ev.rows.append(row)
        ev.langs.append(base_lang(member.lang))
        ev.titles.append(member.title)
        ev.first = min(ev.first, t)
        ev.updated = max(ev.updated, t)
        ev.keys.update(member.evidence.keys)
        ev.title_keys.update(member.evidence.title_keys)
        for kind, ks in conflict_keys(member.evidence, self._pending_keys).items():
            ev.conflict_title.setdefault(kind, set()).update(ks)
        self._row_event[row] = member.event_id
        self._row_lang[row] = base_lang(member.lang)
        if self.w.centre:
            self.means.update(base_lang(member.lang), member.vector)
        # The index holds the vector; keeping a second copy per member doubled the memory of
        # the window (soak: ~9.5 KB per item). members() puts it back from the index, and
        # the title from the event's list; the member record itself took ~0.5 KB a row.
        keys = self._keys
        self._members[row] = (
            member.item_id,
            sys.intern(member.lang),
            member.at,
            keys(member.evidence.title_keys),
            keys(member.evidence.text_keys),
        )
        if lex is None and (stored_terms or (terms_stored and self._deferred.fetch)):
            lex = self._defer(ev.id, row, member, stored_terms or member.item_id)
            if lex is None:
                return  # weighed when the event is first needed
        if lex is None:
            counts = member.terms if member.terms is not None else lexical.terms(member.title, "")
            lex = self._weigh(member.item_id, member.lang, counts)
        self._undefer(ev.id)  # members put back earlier come first in its profiles
        self._put_lex(ev, row, lex)

    def add_member(
        self, item: ClusterInput, event_id: int, evidence: Evidence | None = None
    ) -> ClusterMember:
        """Record that ``item`` now belongs to ``event_id`` (joined, or the event it opened);
        its terms enter the document frequencies."""
        ev = evidence or item.evidence or evidence_for(item.title, item.lead)
        lex = self._item_lex(item)
        member = ClusterMember(
            item.item_id, event_id, item.lang, item.vector, item.at, ev, item.title, lex.counts
        )
        self.add_existing(member, lex)
        self.df.add(lex.counts)
        self._pending_lex = None
        self._pending_keys = None
        return member

    def _weigh(
        self, item_id: int, lang: str, counts: Counter[str], df: lexical.DocFreq | None = None
    ) -> ItemLex:
        df = self.df if df is None else df
        # lexical.weigh of each part (native first, as before), the counts split once.
        shared, nat = lexical.split(counts.items(), self._wants_native(lang))
        native = None if nat is None else lexical.weigh_chosen(nat, df)
        return ItemLex(item_id, counts, lexical.weigh_chosen(shared, df), native)

    def _wants_native(self, lang: str) -> bool:
        return self.w.lex_native and base_lang(lang) == "zh"

    def _item_lex(self, item: ClusterInput) -> ItemLex:
        """The item's term counts and TF-IDF vectors (weighed before it enters the df),
        cached between :meth:`assign` and :meth:`add_member`."""
        got = self._pending_lex
        if got is not None and got.item_id == item.item_id:
            return got
        counts = item.terms if item.terms is not None else lexical.terms(item.title, item.lead)
        self._pending_lex = self._weigh(item.item_id, item.lang, counts)
        return self._pending_lex

    def prune(self, before: datetime) -> int:
        """Drop events whose last member is older than ``before``; returns events dropped."""
        cut = _epoch(before)
        old = [e for e in self._events.values() if e.updated < cut]
        rows: list[int] = []
        for e in old:
            rows.extend(e.rows)
            del self._events[e.id]
            self._deferred.drop(e.id)
        for r in rows:
            del self._row_event[r]
            del self._members[r]
            del self._row_lang[r]
            self._lex.pop(r, None)  # none when still deferred
            self._nat.pop(r, None)
        self.index.remove(rows)
        if old:  # the pool would keep the dropped members' sets: the next ones start anew
            self._keys.clear()
        return len(old)

    def members(self, event_id: int) -> list[ClusterMember]:
        ev = self._events.get(event_id)
        if not ev:
            return []
        vecs = self.index.vectors(ev.rows)
        out = []
        for i, r in enumerate(ev.rows):
            item_id, lang, at, title_keys, text_keys = self._members[r]
            evidence = Evidence(title_keys, text_keys)
            out.append(ClusterMember(item_id, event_id, lang, vecs[i], at, evidence, ev.titles[i]))
        return out

    def representative(self, event_id: int, preferred_language: str) -> tuple[str, str | None]:
        """:func:`representative_title` of an event's members, read from the clusterer's own
        state (one gather of the member vectors; no per-member objects)."""
        ev = self._events.get(event_id)
        if not ev:
            return "", None
        return representative_of(self.index, ev.rows, ev.langs, ev.titles, preferred_language)

    # -- decision --------------------------------------------------------------------------
    def assign(self, item: ClusterInput, now: datetime) -> Assignment:
        """Best open event for ``item`` and why; does not change state (call add_member)."""
        evidence = item.evidence or evidence_for(item.title, item.lead)
        q = np.asarray(item.vector, dtype=np.float32).reshape(self.dim)
        with self.blas_limited():
            return self._assign(item, evidence, q, now)

    def _assign(
        self, item: ClusterInput, evidence: Evidence, q: FloatVector, now: datetime
    ) -> Assignment:
        t = _epoch(item.at)
        # The window is measured in the items' own time, never from ``now``: an event takes
        # the item when its members' times reach within window_days of the item's time (in
        # either direction: a backfill or a late feed may deliver an older item).
        lo, hi = t - self.window_s, t + self.window_s
        # An event can score at most its best cosine + the cross-lingual bonus + λ (a lexical
        # cosine of 1) + full shared evidence (w_max + w_mean = 1, time and conflicts only
        # subtract), so events that cannot reach the threshold are skipped; the nearest one
        # is still scored for the log.
        w = self.w
        lam = max(w.lex_same, w.lex_cross)
        reach = (
            w.join_score
            - lam * (1.0 - w.lex_pivot)
            - w.cross_lingual_bonus
            - w.w_shared * w.shared_cap
        )
        lang = base_lang(item.lang)
        qc = q
        got = None  # raw cosines rank the rows: the batch's product may stand in for them
        if not w.centre:
            got = self._batch_candidates(
                item.item_id, q, lo, hi, reach, TOP_ROWS, MAX_CANDIDATE_EVENTS
            )
        cands = got if got is not None else self._candidates(q, lang, lo, hi, reach)
        if not cands:
            return Assignment(item.item_id, None, RULE_NEW, 0.0, {"candidates": 0}, evidence)
        lexv = self._item_lex(item)
        if w.centre:
            qc = self.means.centre(q, [lang])[0]
        keys = self._pending_keys = ItemKeys(evidence)
        score, eid, feats, others = self._score(qc, lang, t, keys, lexv, cands)
        feats["candidates"] = len(cands)
        if score >= self.w.join_score:
            merge = self._merge_targets(eid, bool(feats["signature"]), others)
            if merge:
                feats["merge_with"] = {str(e): round(s, 4) for s, e, _ in others if e in merge}
            return Assignment(item.item_id, eid, RULE_JOIN, score, feats, evidence, merge)
        feats["nearest_event_id"] = eid
        return Assignment(item.item_id, None, RULE_NEW, score, feats, evidence)

    def _candidates(
        self, q: FloatVector, lang: str, lo: float, hi: float, reach: float
    ) -> list[int]:
        """Up to MAX_CANDIDATE_EVENTS events of the index's nearest rows, best first, with a
        member in ``[lo, hi]``; after the first, only rows reaching ``reach``."""
        rows, sims = self.index.search(q, TOP_ROWS)
        if self.w.centre and len(rows):
            # The index ranks by raw cosine; re-rank its rows by centred cosine.
            qc = self.means.centre(q, [lang])[0]
            live = [int(r) for r in rows.tolist() if int(r) in self._row_lang]
            rows = np.asarray(live, dtype=np.int64)
            if live:
                mc = self.means.centre(self.index.vectors(live), [self._row_lang[r] for r in live])
                sims = mc @ qc
                order = np.argsort(-sims, kind="stable")
                rows, sims = rows[order], sims[order]
            else:
                sims = np.zeros(0, dtype=np.float32)
        cands: list[int] = []
        for r, sim in zip(rows.tolist(), sims.tolist(), strict=True):
            eid = self._row_event.get(r)
            if eid is None or eid in cands:
                continue
            ev = self._events[eid]
            if ev.updated < lo or ev.first > hi:
                continue
            if cands and sim < reach:
                break  # rows come best first: nothing further can join
            cands.append(eid)
            if len(cands) == MAX_CANDIDATE_EVENTS:
                break
        return cands

    def _score(
        self,
        q: FloatVector,
        lang: str,
        t: float,
        keys: ItemKeys,
        lexv: ItemLex,
        cands: list[int],
    ) -> tuple[float, int, dict[str, Any], list[Scored]]:
        """Score every candidate event; returns the best (first on ties) with its features, and
        every candidate without conflicting evidence as ``(score, event id, signature)``.

        The members of all candidates are fetched, centred and multiplied with ``q`` in one
        go; the features dict is built for the winner only.
        """
        events = [self._events[eid] for eid in cands]
        rows: list[int] = []
        langs: list[str] = []
        bounds = [0]
        for ev in events:
            rows.extend(ev.rows[-MAX_SCORED_MEMBERS:])
            langs.extend(ev.langs[-MAX_SCORED_MEMBERS:])
            bounds.append(len(rows))
        vecs = self.index.vectors(rows)
        if self.w.centre:
            vecs = self.means.centre(vecs, langs)
        cos_all = vecs @ q
        cross_all = np.array([m != lang for m in langs], dtype=bool)
        adj_all = cos_all + self.w.cross_lingual_bonus * cross_all
        adj_vals = adj_all.tolist()  # ≤ 64 values a candidate, read in Python
        best: tuple[float, int, dict[str, Any]] | None = None
        clean: list[Scored] = []
        bar = self.w.join_score + self.w.merge_margin  # a margin merge (_merge_targets)
        for i, ev in enumerate(events):
            a, b = bounds[i], bounds[i + 1]
            floor = None if best is None else min(best[0], bar)
            score, parts = self._score_event(
                ev, adj_vals[a:b], rows[a:b], t, keys, lexv, lang, floor
            )
            if not parts["conflicts"]:
                clean.append((score, ev.id, bool(parts.get("signature"))))
            if best is None or score > best[0]:
                best = (score, i, parts)
        assert best is not None
        score, i, feats = best
        ev = events[i]
        cos = cos_all[bounds[i] : bounds[i + 1]]
        adj = adj_all[bounds[i] : bounds[i + 1]]
        cross = cross_all[bounds[i] : bounds[i + 1]]
        feats["event_id"] = ev.id
        feats["cos_max"] = round(float(cos.max()), 4)
        feats["cross_lingual"] = bool(cross[int(np.argmax(adj))])
        feats["members"] = len(ev.rows)
        return float(score), ev.id, feats, clean

    def has_event(self, event_id: int) -> bool:
        return event_id in self._events

    def _score_event(
        self,
        ev: EventState,
        vals: list[float],
        rows: list[int],
        t: float,
        keys: ItemKeys,
        lexv: ItemLex,
        lang: str,
        floor: float | None = None,
    ) -> tuple[float, dict[str, Any]]:
        """One candidate's score and its features (see ``weights`` for the formula). Below
        ``floor`` even with a perfect lexical feature: that bound, features ``conflicts`` only
        (``lexscore``)."""
        w = self.w
        # ≤ 64 values: Python's sort and sum equal numpy's stable argsort and mean, no overhead.
        order = sorted(range(len(vals)), key=vals.__getitem__, reverse=True) if vals[1:2] else [0]
        top = [vals[j] for j in order[:TOP_K_MEAN]]
        cos_max, cos_mean = top[0], sum(top) / len(top)
        dt_days = _gap_days(ev, t)
        time_f = math.exp(-(dt_days**2) / (2 * TIME_SIGMA_DAYS**2))
        shared = sorted(keys.all & ev.keys)
        shared_w = shared_weight(shared, keys.title, ev.title_keys, w.shared_cap)
        # The same disaster in the same place, named in both headlines: a follow-up (a toll,
        # a rescue) of that event, however differently worded; the same two people named in
        # both: reports of their meeting (the meeting route, ``routes.by_meeting``).
        dis = bool(w.w_signature) and entities.same_disaster(keys.title, ev.title_keys)
        meet = entities.same_meeting(keys.title, ev.title_keys)
        conflicts = entities.conflicts_between(keys.conflict, keys.all, ev.conflict_title, ev.keys)
        if dis:
            conflicts = entities.within_occurrence(conflicts, keys.title, ev.title_keys)
        sig = dis or (meet and bool(w.w_signature))
        n_num = conflicts.count("num")
        # Conflicting entities (two countries, central banks, venues) mean shared wording is
        # a template ("X cuts rates by a quarter point"): lexical evidence then counts nothing.
        lam = 0.0 if len(conflicts) > n_num else w.lex_same if lang in ev.langs else w.lex_cross
        args = (cos_max, cos_mean, lam, time_f, shared_w, sig, len(conflicts) - n_num, n_num)
        # The event's stored members are weighed only when their vectors are read (the
        # route, the lexical feature): a candidate skipped by the bound never needs them.
        if w.lex_route != math.inf and not conflicts:
            self._undefer(ev.id)
        flags = {
            "lex_route": routes.by_words(
                w.lex_route, lang, rows, order[:LEX_MEMBERS], self, lexv, conflicts
            ),
            **routes.by_identity(
                w, meet, dis, shared, dt_days, conflicts, keys.title, ev.title_keys
            ),
        }
        routed = any(flags.values())
        # A signature candidate is scored exactly: it may take part in a merge (_merge_targets).
        exact = routed or (sig and w.signature_merge)
        if floor is not None and not exact and lam >= 0:
            bound = lexscore.linear(w, lexscore.upper(w.lex_zh_gloss), *args)
            if bound < floor:
                return bound, {"conflicts": conflicts}
        self._undefer(ev.id)
        nearest = [rows[j] for j in order[:LEX_MEMBERS]]
        lex_member, lex_profile = lexscore.lexical_feature(
            self._lex, self._nat, ev, nearest, lexv, w.lex_zh_gloss
        )
        lex = max(lex_member, lex_profile)
        score = lexscore.linear(w, lex, *args)
        return max(score, w.join_score) if routed else score, {
            **flags,
            "cos_max_adj": round(cos_max, 4),
            "cos_mean_topk": round(cos_mean, 4),
            "lex": round(lex, 4),
            "lex_member": round(lex_member, 4),
            "lex_profile": round(lex_profile, 4),
            "lex_weight": lam,
            "dt_days": round(dt_days, 3),
            "time": round(time_f, 4),
            "shared": shared,
            "shared_weight": round(shared_w, 3),
            "same_disaster": dis,
            "same_meeting": meet,
            "signature": sig,
            "conflicts": conflicts,
        }


def _gap_days(ev: EventState, t: float) -> float:
    """Days between ``t`` and the event's reports (0 inside their span)."""
    if ev.first <= t <= ev.updated:
        return 0.0
    return min(abs(t - ev.first), abs(t - ev.updated)) / 86400.0


def window_start(t: datetime, cfg: ClusterConfig) -> datetime:
    """Oldest last-member time an event may have and still take an item of time ``t`` (item
    time: for ``prune`` pass the oldest item still to be placed, not the wall clock)."""
    return t - timedelta(days=cfg.window_days)
