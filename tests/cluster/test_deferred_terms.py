"""Stored members' term vectors weighed only when their event is first needed (issue 16: a
window load weighed all 4,400 members of the peer workload, ~40% of the load, for a pass whose
new items make a fraction of the events candidates). The decisions must be exactly those of
weighing everything at load."""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from streams import stream_decisions

from aggregator.cluster import lexical, lexscore
from aggregator.cluster.clusterer import (
    RULE_JOIN,
    ClusterInput,
    ClusterMember,
    EventClusterer,
    ScoreWeights,
    default_weights,
    evidence_for,
)
from aggregator.cluster.embed import LexicalEmbedder
from aggregator.config import ClusterConfig
from aggregator.pipeline.window_values import stored_parts

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
EN = str.split("storm flood quake bank rates vote court strike fire rescue minister talks")
EN += str.split("oil price market protest election ceasefire trade tariff budget deal")
ZH = str.split("美联储 加息 地震 洪水 法院 罢工 选举 停火 关税 预算 石油 抗议 救援")


def _decode(raw: str) -> Counter[str]:
    return Counter(json.loads(raw))


def _stories(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(lang, title) per item: stories of 1-4 reports sharing most of their words."""
    out = []
    for s in range(n):
        zh = s % 3 == 0
        words = rng.sample(ZH if zh else EN, 4)
        for _ in range(rng.randint(1, 4)):
            w = [*words[:3], rng.choice(ZH if zh else EN)]
            rng.shuffle(w)
            out.append(("zh" if zh else "en", ("" if zh else " ").join(w) + f" {s}"))
    return out


WINDOW = 150


#: How deferred members are read back: decoded to counts, or split once for weighing (what
#: ``cluster_pass`` uses).
PARTS = pytest.mark.parametrize("split", [False, True], ids=["decode", "split"])


def _pair(
    split: bool = True, weights: ScoreWeights | None = None, by_id: bool = False
) -> tuple[EventClusterer, EventClusterer, list[ClusterInput]]:
    """Two clusterers holding one window, weighed at load (``eager``) and deferred
    (``lazy``, from the stored JSON; ``by_id``: read back by item id when needed), and the
    items that arrive next."""
    stored: dict[int, str] = {}
    fetched: list[list[int]] = []

    def fetch(ids: Any) -> dict[int, str]:
        fetched.append(list(ids))
        return {i: stored[i] for i in ids if i in stored}

    rng = random.Random(7)
    items = _stories(rng, 90)
    vecs = LexicalEmbedder(dim=64).embed([t for _, t in items])
    counts = [lexical.terms(t, "") for _, t in items]
    df = lexical.DocFreq()
    for c in counts[:WINDOW]:
        df.add(c)
    n, rows = df.take_changes()
    eager, lazy = (EventClusterer(ClusterConfig(), 64, weights=weights) for _ in "el")
    lazy.defer_stored_terms(_decode, stored_parts if split else None, fetch if by_id else None)
    for cl in (eager, lazy):
        cl.df.load(n, rows)
    event = 0
    for i, (lang, title) in enumerate(items[:WINDOW]):
        if i == 0 or title.split()[-1] != items[i - 1][1].split()[-1]:
            event += 1  # the story number ends the title
        at = NOW - timedelta(hours=WINDOW - i)
        m = ClusterMember(i, event, lang, vecs[i], at, evidence_for(title, ""), title)
        eager.add_existing(dataclasses.replace(m, terms=counts[i]))
        raw = json.dumps(counts[i], ensure_ascii=False)
        if by_id:
            stored[i] = raw
            lazy.add_existing(m, terms_stored=True)
        else:
            lazy.add_existing(m, stored_terms=raw)
    lazy.fetched = fetched  # type: ignore[attr-defined]  # what fetch was asked, per call
    new = [
        ClusterInput(1000 + i, lang, title, "", NOW, vecs[WINDOW + i], terms=counts[WINDOW + i])
        for i, (lang, title) in enumerate(items[WINDOW:])
    ]
    return eager, lazy, new


def _stream(c: EventClusterer, items: list[ClusterInput]) -> list[tuple[Any, ...]]:
    return stream_decisions(c, items, NOW)


def _state(c: EventClusterer) -> dict[int, tuple[object, ...]]:
    c._undefer(*list(c._events))
    return {
        eid: (ev.rows, ev.profile.sums, ev.profile.norm2, ev.native.sums, ev.native.norm2)
        for eid, ev in c._events.items()
    }


@PARTS
def test_deferred_window_gives_the_decisions_of_weighing_at_load(split: bool) -> None:
    eager, lazy, new = _pair(split)
    assert len(lazy._deferred) == WINDOW and not lazy._lex  # nothing weighed at load
    assert len(eager._lex) == WINDOW
    assert any(it.lang == "zh" for it in new) and any(it.lang == "en" for it in new)
    got, want = _stream(lazy, new), _stream(eager, new)
    assert got == want  # scores and features to the last bit
    assert any(g[1] == RULE_JOIN for g in got)
    assert 0 < len(lazy._deferred) < WINDOW  # events no item reached were never weighed
    assert lazy._deferred.df is not None  # the copy of the frequencies, while needed
    assert _state(lazy) == _state(eager)
    assert lazy._deferred.df is None  # all weighed: the copy is gone
    assert {r: list(v.items()) for r, v in lazy._lex.items()} == {
        r: list(v.items()) for r, v in eager._lex.items()
    }


@PARTS
def test_members_read_back_by_item_id_give_the_decisions_of_weighing_at_load(
    split: bool,
) -> None:
    """A window held without its members' stored counts (read back by item id, one call per
    event, when the event is weighed) decides as one weighed at load."""
    eager, lazy, new = _pair(split, by_id=True)
    assert len(lazy._deferred) == WINDOW and not lazy._lex
    assert all(isinstance(raw, int) for v in lazy._deferred._events.values() for *_, raw in v)
    assert _stream(lazy, new) == _stream(eager, new)
    calls = lazy.fetched  # type: ignore[attr-defined]
    assert calls and 0 < len(lazy._deferred) < WINDOW
    assert _state(lazy) == _state(eager)
    assert sorted(i for c in lazy.fetched for i in c) == list(range(WINDOW))  # type: ignore[attr-defined]
    for c in (eager, lazy):
        c.merge_events(2, 5)
    assert _state(lazy) == _state(eager)


def test_a_member_whose_stored_counts_are_gone_is_weighed_without_terms() -> None:
    c = EventClusterer(ClusterConfig(), 4)
    c.defer_stored_terms(_decode, stored_parts, lambda ids: {})
    v = LexicalEmbedder(dim=4).embed(["storm coast"])[0]
    c.add_existing(
        ClusterMember(1, 1, "en", v, NOW, evidence_for("storm coast", ""), "storm coast"),
        terms_stored=True,
    )
    c._undefer(1)
    assert not len(c._deferred) and c._lex[0].as_dict() == {}


def test_a_member_put_back_after_the_frequencies_changed_is_weighed_at_once() -> None:
    """Members deferred against one state of the frequencies are weighed against that state;
    a member put back after a change, while those are pending, is weighed at once."""
    c = EventClusterer(ClusterConfig(), 4)
    c.defer_stored_terms(_decode, stored_parts)
    c.df.add(Counter({"storm": 1, "coast": 1}))
    before = c.df.snapshot()
    v = LexicalEmbedder(dim=4).embed(["storm coast"])[0]
    stored = json.dumps({"storm": 2, "coast": 1})
    m = ClusterMember(1, 1, "en", v, NOW, evidence_for("storm coast", ""), "storm coast")
    c.add_existing(m, stored_terms=stored)
    assert len(c._deferred) == 1
    c.df.add(Counter({"storm": 1}))  # the stream moves on
    c.add_existing(ClusterMember(2, 2, "en", v, NOW, m.evidence, m.title), stored_terms=stored)
    assert len(c._deferred) == 1 and 1 in c._lex  # row 1: event 2, weighed now
    assert c._lex[1].as_dict() == lexical.weigh(Counter({"storm": 2, "coast": 1}), c.df)
    c._undefer(1)
    assert not len(c._deferred)
    assert c._lex[0].as_dict() == lexical.weigh(Counter({"storm": 2, "coast": 1}), before)
    assert c._lex[0].as_dict() != c._lex[1].as_dict()


def test_pruned_events_leave_nothing_deferred() -> None:
    eager, lazy, _ = _pair()
    cut = NOW - timedelta(hours=WINDOW // 2)
    assert lazy.prune(cut) == eager.prune(cut) > 0
    assert len(lazy._deferred) == len(lazy) < WINDOW
    assert _state(lazy) == _state(eager)


@PARTS
def test_merging_deferred_events_gives_the_eager_profiles(split: bool) -> None:
    eager, lazy, new = _pair(split)
    for c in (eager, lazy):
        c.merge_events(2, 5)
        c.merge_events(1, 2)
    assert not lazy._deferred.pending(1) and lazy._deferred.pending(3)
    assert _stream(lazy, new[:20]) == _stream(eager, new[:20])
    assert _state(lazy) == _state(eager)


def test_a_candidate_the_bound_skips_stays_deferred(monkeypatch: pytest.MonkeyPatch) -> None:
    """A candidate event is weighed when its term vectors are read (its lexical feature),
    not when it becomes a candidate: one the score bound skips stays deferred (most
    candidates of the peer workload's 2-new pass). Fails when ``assign`` weighs every
    candidate. The decisions stay those of weighing at load (the test above)."""
    eager, lazy, new = _pair(weights=default_weights("lexical"))  # the "none" backend's
    cands: set[int] = set()
    read: set[int] = set()
    score, feature = EventClusterer._score, lexscore.lexical_feature

    def spy_score(self: EventClusterer, *a: Any) -> Any:
        cands.update(a[-1])
        return score(self, *a)

    def spy_feature(lex: Any, nat: Any, ev: Any, *a: Any) -> Any:
        read.add(ev.id)
        return feature(lex, nat, ev, *a)

    monkeypatch.setattr(EventClusterer, "_score", spy_score)
    monkeypatch.setattr(lexscore, "lexical_feature", spy_feature)
    got = _stream(lazy, new)
    joined = {g[0] for g in got} | {e for g in got for e in g[4]}  # joined or merged
    skipped = {e for e in cands - read - joined if e < 10_000}  # window events
    assert skipped and all(lazy._deferred.pending(e) for e in skipped)
    monkeypatch.undo()
    assert got == _stream(eager, new)
