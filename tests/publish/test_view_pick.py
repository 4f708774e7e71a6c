"""The summary's greedy pick (publish/view.py ``_pick``) keeps each candidate's uncovered
weight up to date instead of recounting it at every step (session 7): the same sentences,
in the same order, as main c3a256c's loop (kept here as the reference), on generated
candidates with overlapping terms, missing weights and tied gains; and the term sets are
those of the per-term set comprehensions it replaced."""

from __future__ import annotations

import random
from collections import Counter
from itertools import pairwise

import pytest

from aggregator.publish import view

Cand = tuple[int, int, str, set[str]]


def _gain(c: Cand, weight: Counter[str], covered: set[str]) -> tuple[float, int, int]:
    g = sum(map(weight.__getitem__, c[3] - covered)) / (len(c[3]) ** 0.5 or 1.0)
    return (g, -c[0], -c[1])


def _reference_pick(cands: list[Cand], weight: Counter[str], budget: int) -> list[Cand]:
    """main c3a256c's loop in ``extractive_summary``, verbatim."""
    cands = list(cands)
    covered: set[str] = set()
    picked: list[Cand] = []
    first_gain = 0.0
    while cands and len(picked) < view.SUMMARY_SENTENCES:
        best = max(cands, key=lambda c: _gain(c, weight, covered))
        g = _gain(best, weight, covered)[0]
        used = sum(len(p[2]) for p in picked)
        if picked and (g < view.MIN_GAIN_SHARE * first_gain or used + len(best[2]) > budget):
            break
        first_gain = first_gain or g
        picked.append(best)
        covered |= best[3]
        cands.remove(best)
    return picked


@pytest.mark.parametrize("seed", range(300))
def test_pick_chooses_what_the_recounting_loop_chose(seed: int) -> None:
    rng = random.Random(seed)
    vocab = [f"t{i}" for i in range(rng.randrange(1, 15))]
    weight: Counter[str] = Counter({t: rng.randrange(1, 4) for t in vocab if rng.random() < 0.8})
    cands: list[Cand] = []
    for rank in range(rng.randrange(1, 5)):
        for pos in range(rng.randrange(1, 5)):
            terms = set(rng.sample(vocab, rng.randrange(0, len(vocab) + 1)))
            cands.append((rank, pos, "x" * rng.randrange(10, 200), terms))
    budget = rng.choice([120, 220, 480])
    assert view._pick(cands, weight, budget) == _reference_pick(cands, weight, budget)


@pytest.mark.parametrize(
    "text",
    [
        "the us and china said it's 5.2% over",
        "中国 美国 经济 growth of the year 2026",
        "",
        "a",
        "中",
        "中国",
        "x 中 y 国 z",
    ],
)
def test_folded_terms_are_the_set_comprehensions_they_replaced(text: str) -> None:
    words = {w for w in view._EN_WORD.findall(text) if w not in view._STOP}
    han = view._HAN_CHAR.findall(text)
    assert view.folded_terms(text, "en") == words
    assert view.folded_terms(text, "zh") == {a + b for a, b in pairwise(han)} | words
