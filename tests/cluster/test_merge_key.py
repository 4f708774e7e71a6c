"""Margin merges need the two events' own evidence (session 14): an item close to two open
events merges them only when their headlines share a key weighing at least
``merge_key_weight`` (an organisation, a person, a city, a figure …), not a country or
nothing at all; a shared key is not enough against a conflict."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import numpy as np

from aggregator.cluster import weights
from aggregator.cluster.clusterer import ClusterInput, EventClusterer, ScoreWeights
from aggregator.config import ClusterConfig

NOW = datetime(2023, 8, 24, 12, 0, tzinfo=UTC)
DIM = 16
#: Hand-made vectors, lexical evidence off (as tests/cluster/test_merge.py), the shipped
#: margin and key weight; no signature merge, so only the margin merge is tested.
W = ScoreWeights(
    centre=False,
    cross_lingual_bonus=0.0,
    join_score=0.6,
    lex_same=0.0,
    lex_cross=0.0,
    merge_margin=weights.MERGE_MARGIN,
    signature_merge=False,
)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v)).astype(np.float32)


def _bridge(
    t1: str,
    lang1: str,
    t2: str,
    bridge_title: str,
    w: ScoreWeights = W,
    leads: tuple[str, str, str] = ("", "", ""),
) -> tuple[int | None, tuple[int, ...]]:
    """Two one-member events below the join bar of each other (cosine 0.51) and an item
    between them (cosine ~0.87 to each): where it goes and which events it would merge."""
    rng = np.random.default_rng(3)
    a, b = _unit(rng.standard_normal(DIM)), _unit(rng.standard_normal(DIM))
    b = _unit(b - (b @ a) * a + 0.6 * a)
    cl = EventClusterer(ClusterConfig(), DIM, weights=w)
    cl.add_member(ClusterInput(1, lang1, t1, leads[0], NOW, a), 1)
    cl.add_member(ClusterInput(2, "en", t2, leads[1], NOW, b), 2)
    got = cl.assign(ClusterInput(3, "en", bridge_title, leads[2], NOW, _unit(a + b)), NOW)
    return got.event_id, got.merge_with


def test_shipped_margin_merge_needs_a_shared_headline_key() -> None:
    assert weights.MERGE_MARGIN == 0.15 and weights.MERGE_KEY_WEIGHT == 1.0


def test_events_sharing_an_organisation_in_their_headlines_merge() -> None:
    # A summit's press conference in Chinese and the wire story of its decision.
    eid, merge = _bridge(
        "习近平出席金砖国家领导人第十五次会晤特别记者会",
        "zh",
        "BRICS invites six countries including Saudi Arabia, Iran to be new members",
        "BRICS to expand, inviting Saudi Arabia and Iran",
        leads=(
            "会议宣布,邀请沙特、埃及、阿联酋、阿根廷、伊朗、埃塞俄比亚正式成为金砖大家庭成员。",
            "South African President Cyril Ramaphosa said on Thursday.",
            "Chinese President Xi Jinping welcomed the expansion at the summit.",
        ),
    )
    assert eid in (1, 2) and set(merge) == {1, 2} - {eid}


def test_events_sharing_only_a_country_or_nothing_stay_two() -> None:
    # Two stories of one country's week: only the country in common (weight 0.5).
    eid, merge = _bridge(
        "US orders China to close its consulate in Houston",
        "en",
        "China says US unilateralism harms relations",
        "China and US trade accusations",
    )
    assert eid in (1, 2) and merge == ()
    # Nothing in common at all.
    eid, merge = _bridge(
        "Returning migrant workers revive villages",
        "en",
        "Xinhua commentary on rural revival",
        "Villages revive",
    )
    assert eid in (1, 2) and merge == ()


def test_without_the_key_need_the_margin_alone_merges() -> None:
    loose = dataclasses.replace(W, merge_key_weight=0.0)
    eid, merge = _bridge(
        "US orders China to close its consulate in Houston",
        "en",
        "China says US unilateralism harms relations",
        "China and US trade accusations",
        loose,
    )
    assert eid in (1, 2) and set(merge) == {1, 2} - {eid}


def test_a_shared_key_does_not_merge_conflicting_events() -> None:
    # Same topic, two central banks: a conflict keeps them apart whatever the margin.
    eid, merge = _bridge(
        "Fed cuts rates by a quarter point",
        "en",
        "ECB cuts rates by a quarter point",
        "Central bank cuts rates",
        dataclasses.replace(W, merge_key_weight=0.0),
    )
    assert eid in (1, 2) and merge == ()


def test_the_lexical_fallback_keeps_margin_merges_off() -> None:
    # The margin was chosen on the USE scorer's scale; the hashed-n-gram fallback is untuned.
    assert weights.default_weights("lexical").merge_margin == float("inf")
    assert weights.default_weights("use-m3").merge_margin == weights.MERGE_MARGIN
