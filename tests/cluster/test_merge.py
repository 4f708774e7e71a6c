"""Events that grow right (issue 13 item 4): an item that clearly belongs to two open events
merges them; same topic, different event (conflicting evidence) stays two events."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from aggregator.cluster.clusterer import ClusterInput, EventClusterer, ScoreWeights
from aggregator.config import ClusterConfig

NOW = datetime(2025, 3, 28, 12, 0, tzinfo=UTC)
DIM = 16
#: Merge mechanics on hand-made vectors: lexical evidence off (placeholder headlines).
NO_LEX = {"lex_same": 0.0, "lex_cross": 0.0}
W = ScoreWeights(centre=False, cross_lingual_bonus=0.0, join_score=0.6, merge_margin=0.05, **NO_LEX)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def _two_events(t1: str, t2: str) -> tuple[EventClusterer, np.ndarray]:
    rng = np.random.default_rng(3)
    a, b = _unit(rng.standard_normal(DIM)), _unit(rng.standard_normal(DIM))
    b = _unit(b - (b @ a) * a + 0.6 * a)  # cosine(a, b) = 0.51: apart, below the join bar
    cl = EventClusterer(ClusterConfig(), DIM, weights=W)
    cl.add_member(ClusterInput(1, "en", t1, "", NOW, a), 1)
    cl.add_member(ClusterInput(2, "en", t2, "", NOW, b), 2)
    return cl, _unit(a + b)


def test_bridging_item_merges_two_events_of_one_story() -> None:
    cl, bridge = _two_events("Fed cuts rates by a quarter point", "Fed rate cut lifts stocks")
    a = cl.assign(ClusterInput(3, "en", "Fed cuts rates; stocks rise", "", NOW, bridge), NOW)
    assert a.event_id in (1, 2) and set(a.merge_with) == {1, 2} - {a.event_id}
    assert a.event_id is not None
    cl.add_member(ClusterInput(3, "en", "Fed cuts rates; stocks rise", "", NOW, bridge), a.event_id)
    cl.merge_events(1, 2)
    assert cl.event_count == 1 and {m.item_id for m in cl.members(1)} == {1, 2, 3}
    assert not cl.has_event(2)
    # The merged event keeps scoring: a follow-up close to the dropped half joins event 1.
    follow = cl.assign(
        ClusterInput(4, "en", "Fed cut rates", "", NOW, cl.members(1)[1].vector), NOW
    )
    assert follow.event_id == 1


def test_decoys_stay_apart_even_with_a_bridging_vector() -> None:
    cl, bridge = _two_events(
        "Fed cuts rates by a quarter point", "ECB cuts rates by a quarter point"
    )
    a = cl.assign(ClusterInput(3, "en", "Central bank cuts rates", "", NOW, bridge), NOW)
    assert a.event_id is not None and a.merge_with == ()


def test_no_merge_without_the_margin() -> None:
    strict = ScoreWeights(centre=False, cross_lingual_bonus=0.0, join_score=0.6, **NO_LEX)
    assert strict.merge_margin == float("inf") or strict.merge_margin > 0
    cl, bridge = _two_events("Fed cuts rates by a quarter point", "Fed rate cut lifts stocks")
    cl.w = ScoreWeights(
        centre=False,
        cross_lingual_bonus=0.0,
        join_score=0.6,
        merge_margin=0.5,
        signature_merge=False,  # one bank's rate move is a signature: see below
        **NO_LEX,
    )
    a = cl.assign(ClusterInput(3, "en", "Fed cuts rates; stocks rise", "", NOW, bridge), NOW)
    assert a.event_id is not None and a.merge_with == ()


# -- signature merges (session 8): no margin, a signature shared with both halves ---------------
#: Margin merges off (shipped at 0.15 since session 14): the signature path alone.
SIG = ScoreWeights(
    centre=False, cross_lingual_bonus=0.0, join_score=0.6, merge_margin=float("inf"), **NO_LEX
)


def _halves(
    t1: str, lang2: str, t2: str, w: ScoreWeights = SIG
) -> tuple[EventClusterer, np.ndarray]:
    cl, bridge = _two_events(t1, t2)
    cl.w = w
    if lang2 != "en":  # the second half in another language (vectors as _two_events made them)
        m = cl.members(2)[0]
        cl2 = EventClusterer(ClusterConfig(), DIM, weights=w)
        cl2.add_member(ClusterInput(1, "en", t1, "", NOW, cl.members(1)[0].vector), 1)
        cl2.add_member(ClusterInput(2, lang2, t2, "", NOW, m.vector), 2)
        cl = cl2
    return cl, bridge


def test_a_follow_up_of_one_disaster_merges_its_two_halves_without_a_margin() -> None:
    assert SIG.merge_margin == float("inf") and SIG.signature_merge
    cl, bridge = _halves("Earthquake kills 20 in Myanmar", "zh", "缅甸地震死亡人数升至144人")
    a = cl.assign(ClusterInput(3, "en", "Myanmar quake toll passes 1,000", "", NOW, bridge), NOW)
    assert a.event_id in (1, 2) and a.features["signature"] is True
    assert set(a.merge_with) == {1, 2} - {a.event_id}
    # Two meetings' halves: the same two people in every headline.
    cl, bridge = _halves("Biden and Xi meet in California", "zh", "习近平同拜登举行会晤")
    a = cl.assign(ClusterInput(3, "en", "Xi, Biden agree to resume talks", "", NOW, bridge), NOW)
    assert a.features["same_meeting"] is True and len(a.merge_with) == 1


def test_no_signature_merge_without_a_signature_or_when_switched_off() -> None:
    titles = ("Apple unveils a new phone", "en", "Crowds queue for the phone launch")
    cl, bridge = _halves(*titles)
    a = cl.assign(ClusterInput(3, "en", "Apple launches its phone", "", NOW, bridge), NOW)
    assert a.event_id is not None and a.features["signature"] is False and a.merge_with == ()
    off = ScoreWeights(
        centre=False,
        cross_lingual_bonus=0.0,
        join_score=0.6,
        signature_merge=False,
        merge_margin=float("inf"),
        **NO_LEX,
    )
    cl, bridge = _halves("Earthquake kills 20 in Myanmar", "zh", "缅甸地震死亡人数升至144人", off)
    a = cl.assign(ClusterInput(3, "en", "Myanmar quake toll passes 1,000", "", NOW, bridge), NOW)
    assert a.event_id is not None and a.merge_with == ()


def test_two_disasters_stay_apart_through_a_bridge_naming_both() -> None:
    cl, bridge = _halves("Earthquake kills 20 in Myanmar", "en", "Earthquake hits Japan")
    a = cl.assign(ClusterInput(3, "en", "Earthquakes in Myanmar and Japan", "", NOW, bridge), NOW)
    assert a.event_id is not None and a.merge_with == ()
