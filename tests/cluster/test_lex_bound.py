"""Candidates that cannot win or be merged even with a perfect lexical feature skip its cosines
(``cluster/lexscore.py``, issue 16): the decisions, scores and features stay those of scoring
every candidate in full, while far fewer cosines are computed."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from streams import stream_decisions

from aggregator.cluster import lexical, lexscore
from aggregator.cluster.clusterer import RULE_JOIN, ClusterInput, EventClusterer
from aggregator.cluster.embed import LexicalEmbedder, fold_chinese
from aggregator.config import ClusterConfig

EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "events" / "events.jsonl"


def _items() -> list[ClusterInput]:
    rows = [json.loads(line) for line in EVENTS.read_text("utf-8").splitlines()]
    rows.sort(key=lambda r: (r["published_at"], r["id"]))
    texts = [(fold_chinese(r["title"]), fold_chinese(r.get("lead", ""))) for r in rows]
    vecs = LexicalEmbedder(dim=256).embed([f"{t} {ld}" for t, ld in texts])
    return [
        ClusterInput(
            r["id"],
            r["lang"],
            t,
            ld,
            datetime.fromisoformat(r["published_at"].replace("Z", "+00:00")),
            vecs[i],
            terms=lexical.terms(t, ld),
        )
        for i, (r, (t, ld)) in enumerate(zip(rows, texts, strict=True))
    ]


def _stream(items: list[ClusterInput]) -> list[tuple[Any, ...]]:
    return stream_decisions(EventClusterer(ClusterConfig(backend="none"), 256), items)


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    cosine = lexical.cosine

    def counting(a: lexical.AnyVector, b: lexical.AnyVector) -> float:
        calls[0] += 1
        return cosine(a, b)

    monkeypatch.setattr(lexical, "cosine", counting)
    return calls


def test_skipping_hopeless_candidates_keeps_every_decision(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _items()
    calls = _counted(monkeypatch)
    got = _stream(items)
    skipped_calls = calls[0]
    # The reference: a bound no score stays below, so every candidate is scored in full.
    monkeypatch.setattr(lexscore, "LEX_UPPER", float("inf"))
    calls[0] = 0
    want = _stream(items)
    assert got == want  # events, rules, scores and features to the last bit
    assert sum(g[1] == RULE_JOIN for g in got) >= 10
    assert sum(g[3].get("candidates", 0) > 1 for g in got) > 20
    assert skipped_calls < 0.8 * calls[0]


def test_the_bound_is_above_any_lexical_feature() -> None:
    assert lexscore.upper(0.0) > 1.0
    for g in (0.3, 1.0, 1.5, -0.5):
        # (1-g)·a + g·b over cosines a, b in [-1, 1] reaches |1-g| + |g| at most.
        assert lexscore.upper(g) >= abs(1 - g) + abs(g)
