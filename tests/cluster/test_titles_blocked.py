"""A large event's headline picks from the blocked centrality (``titles.representative_of``):
the same two titles as ``pick_titles`` over the full order, whether the blocked sums settle
the picks or the full order is computed (exact ties, near-ties)."""

from __future__ import annotations

import numpy as np

from aggregator.cluster import titles
from aggregator.cluster.index import VectorIndex
from aggregator.cluster.titles import GRAM_MAX_MEMBERS, central_order_of, pick_titles

LANGS = ("en", "zh", "zh-Hant", "de")


def _event(rng: np.random.Generator, n: int, dim: int, spread: float) -> np.ndarray:
    """``n`` unit rows around one centre (an event's members: close, as real ones are)."""
    centre = rng.standard_normal(dim)
    rows = centre + spread * rng.standard_normal((n, dim))
    unit: np.ndarray = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return unit


def _index(vecs: np.ndarray) -> tuple[VectorIndex, list[int]]:
    index = VectorIndex(vecs.shape[1], ivf_min_rows=10**9)
    return index, [index.add(v) for v in vecs]


def _full(
    index: VectorIndex, rows: list[int], langs: list[str], pref: str
) -> tuple[str, str | None]:
    heads = [f"t{i}" for i in range(len(rows))]
    return pick_titles(central_order_of(index, rows), langs, heads, pref)


def test_blocked_picks_equal_the_full_order_and_settle_most_events() -> None:
    rng = np.random.default_rng(11)
    settled = 0
    cases = 0
    for n in (GRAM_MAX_MEMBERS + 1, 129, 300, 700):
        for spread in (0.3, 1.0, 3.0):
            for mix in ((0,), (0, 1), (1, 2), (0, 1, 2, 3)):
                vecs = _event(rng, n, 64, spread)
                index, rows = _index(vecs)
                langs = [LANGS[mix[int(i)]] for i in rng.integers(0, len(mix), n)]
                heads = [f"t{i}" for i in range(n)]
                for pref in ("en", "zh", "fr"):
                    cases += 1
                    got = titles.representative_of(index, rows, langs, heads, pref)
                    assert got == _full(index, rows, langs, pref), (n, spread, mix, pref)
                cent = titles._blocked_centrality(index, rows)
                slack = titles.central_slack(n, 64)
                settled += titles._certain_best(cent, None, slack) is not None
    # Distinct vectors: the blocked sums settle the pick (the memory saving is real).
    assert settled == cases // 3


def test_exact_ties_fall_back_to_the_full_order() -> None:
    """Syndicated copies embed to identical vectors: their centralities tie exactly in the
    full order (the earliest wins); the blocked sums cannot tell them apart within the slack,
    so the full order decides."""
    rng = np.random.default_rng(5)
    vecs = _event(rng, 200, 64, 0.5)
    cent0 = vecs.astype(np.float64) @ vecs.astype(np.float64).sum(axis=0)
    top = int(np.argmax(cent0))
    vecs[150] = vecs[top]  # a copy of the most central member, later in the event
    vecs[20] = vecs[top]  # and one earlier
    index, rows = _index(vecs)
    langs = ["en"] * 200
    cent = titles._blocked_centrality(index, rows)
    assert titles._certain_best(cent, None, titles.central_slack(200, 64)) is None
    heads = [f"t{i}" for i in range(200)]
    got = titles.representative_of(index, rows, langs, heads, "en")
    assert got == _full(index, rows, langs, "en") == (f"t{min(20, top)}", None)


def test_slack_bounds_the_blocked_against_the_linear_form() -> None:
    rng = np.random.default_rng(8)
    for n in (65, 500, 3000):
        vecs = _event(rng, n, 512, 1.0)
        index, rows = _index(vecs)
        v64 = index.vectors64(rows)
        linear = v64 @ v64.sum(axis=0)
        blocked = titles._blocked_centrality(index, rows)
        assert np.max(np.abs(linear - blocked)) <= titles.central_slack(n, 512)
