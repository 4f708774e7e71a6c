"""Same-language lexical route (issue 13 session 5, direction 3: word overlap decides for two
reports in one language) and names the dictionary lacks (direction 4)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from aggregator.cluster import lexical
from aggregator.cluster.clusterer import ClusterInput, EventClusterer, ScoreWeights
from aggregator.config import ClusterConfig

NOW = datetime(2025, 10, 30, 8, 0, tzinfo=UTC)


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(16).astype(np.float32)
    return (v / np.linalg.norm(v)).astype(np.float32)


def _assign(route: float, item: ClusterInput, first: ClusterInput) -> tuple[int | None, bool]:
    # No lexical term in the score (λ 0): only the route reads the words.
    w = ScoreWeights(
        centre=False,
        cross_lingual_bonus=0.0,
        w_shared=0.0,
        lex_same=0.0,
        lex_cross=0.0,
        lex_route=route,
    )
    cl = EventClusterer(ClusterConfig(), 16, weights=w)
    cl.add_member(first, 10)
    a = cl.assign(item, NOW)
    return a.event_id, a.features["lex_route"]


def test_the_route_joins_same_language_reports_that_share_their_words() -> None:
    """Vectors far apart (the embedding alone would open an event): with the route on, the
    report that shares the member's words joins; the one in another language never takes
    the route, however its glosses overlap."""
    first = ClusterInput(
        1,
        "en",
        "Snowmobile crashes into tree in Crawford's Purchase, New Hampshire",
        "",
        NOW,
        _unit(1),
    )
    same = ClusterInput(
        2,
        "en",
        "New Hampshire snowmobile crash into tree in Crawford's Purchase",
        "",
        NOW,
        _unit(2),
    )
    other = ClusterInput(3, "en", "City council passes school budget", "", NOW, _unit(3))
    assert _assign(float("inf"), same, first) == (None, False)
    assert _assign(0.5, same, first) == (10, True)
    assert _assign(0.5, other, first) == (None, False)
    zh = ClusterInput(4, "zh-Hans", "新罕布什尔州雪地摩托撞树", "", NOW, _unit(4))
    assert _assign(0.0, zh, first)[1] is False  # the route is for one language only


def test_the_route_stays_shut_across_conflicting_evidence() -> None:
    first = ClusterInput(1, "en", "Fed cuts interest rates by a quarter point", "", NOW, _unit(1))
    decoy = ClusterInput(2, "en", "ECB cuts interest rates by a quarter point", "", NOW, _unit(2))
    assert _assign(0.3, decoy, first) == (None, False)


def test_leaders_the_dictionary_lacks_are_their_names_not_character_glosses() -> None:
    """CC-CEDICT (2023-11) segments 李在明 into 李 "plum" + 在 "exist" + 明 "bright"; the hand
    table gives the name as wire copy writes it, and a Chinese summit headline meets the
    English one on the leaders' names."""
    zh = lexical.terms("习近平会见韩国总统李在明", "")
    assert {"lee", "jae", "myung"} <= set(zh) and "plum" not in zh
    assert {"li", "qiang"} <= set(lexical.terms("李强出席东盟峰会", ""))
    assert "slovakia" not in lexical.terms("赫格塞斯访问马尼拉", "")
    en = lexical.terms("Xi meets South Korea's Lee Jae-myung", "")
    df = lexical.DocFreq()
    for c in (zh, en):
        df.add(c)
    assert lexical.cosine(lexical.weigh(zh, df), lexical.weigh(en, df)) > 0.5
