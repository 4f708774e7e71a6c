"""The headline's similarity over a large event: computed in row blocks, so its memory grows
with the member count, not its square, and the same member is chosen as from the full matrix."""

from __future__ import annotations

import tracemalloc

import numpy as np

from aggregator.models import EventMember
from aggregator.publish import view


def _members(n: int) -> list[EventMember]:
    return [
        EventMember(
            item_id=i,
            feed_id=i,
            source="s",
            title=f"report {i}",
            url=None,
            lang="en",
            published_at=None,
            fetched_at="2026-11-20T00:00:00Z",
        )
        for i in range(n)
    ]


def _vectors(n: int, dim: int, seed: int) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(seed)
    centre = rng.standard_normal(dim)
    # a story's reports: one direction plus each report's own noise, so means differ
    spread = rng.uniform(0.2, 3.0, n)[:, None]
    mat = (centre + spread * rng.standard_normal((n, dim))).astype(np.float32)
    return {i: mat[i] for i in range(n)}


def _full_means(vectors: dict[int, np.ndarray], n: int) -> np.ndarray:
    mat = np.stack([vectors[i] for i in range(n)]).astype(np.float64)
    mat /= np.linalg.norm(mat, axis=1, keepdims=True)
    sim = mat @ mat.T
    np.fill_diagonal(sim, 0.0)
    return np.asarray(sim.sum(axis=1) / (n - 1))


def test_blocked_means_equal_the_full_matrix_and_pick_the_same_headline() -> None:
    for n, seed in ((view.SIMILARITY_BLOCK + 1, 1), (659, 2), (1000, 3)):
        vectors = _vectors(n, 64, seed)
        members = _members(n)
        got = view._similarities(members, "en", vectors)
        want = _full_means(vectors, n)
        assert np.allclose(got, want, rtol=0, atol=1e-12)
        best = max(range(n), key=lambda i: (round(float(want[i]), 6), -i))
        chosen = view.central_member(members, "en", vectors)
        assert chosen is not None and chosen.item_id == best


def test_a_large_events_similarity_does_not_take_its_square_in_memory() -> None:
    n, dim = 3000, 16
    vectors = _vectors(n, dim, 4)
    members = _members(n)
    tracemalloc.start()
    try:
        view._similarities(members, "en", vectors)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    full = 8 * n * n  # 72 MB: what the whole matrix would take
    assert peak < full / 10, peak


def _exact_pick(members: list[EventMember], vectors: dict[int, np.ndarray]) -> int:
    """The pick from the matrix's scores (``_similarities``), as central_member made it."""
    scores = view._similarities(members, "en", vectors)
    return max(range(len(members)), key=lambda i: (round(float(scores[i]), 6), -i))


def test_the_headline_from_summed_rows_is_the_matrixs_pick() -> None:
    """O(n·dim) means pick the member the n×n matrix picks: random stories of 3 to 700
    reports, with exact copies (syndicated reports: equal vectors, equal scores, the earliest
    wins), zero vectors, and near-equal reports (scores equal to the 6th decimal)."""
    rng = np.random.default_rng(7)
    for trial in range(300):
        n = int(rng.choice([3, 4, 5, 9, 30, 129, 700])) if trial % 10 else 3
        dim = int(rng.choice([8, 64, 512]))
        vectors = _vectors(n, dim, trial)
        if trial % 3 == 0:  # copies of one report, and an empty one
            for i in rng.choice(n, size=max(1, n // 3)):
                vectors[int(i)] = vectors[0].copy()
            vectors[n - 1] = np.zeros(dim, np.float32)
        if trial % 5 == 0:  # reports differing in the last bits only
            base = vectors[0]
            for i in range(1, n):
                vectors[i] = (base + np.float32(1e-7) * rng.standard_normal(dim)).astype(np.float32)
        members = _members(n)
        chosen = view.central_member(members, "en", vectors)
        assert chosen is not None and chosen.item_id == _exact_pick(members, vectors), trial


def test_means_near_a_rounding_boundary_leave_the_pick_to_the_matrix() -> None:
    """A contender within the slack of a 6-decimal rounding boundary is not settled by the
    summed rows (the matrix's own sums might round either way): no pick, the caller computes."""
    assert view._certain_pick(np.array([0.25, 0.5, 0.125])) == 1
    assert view._certain_pick(np.array([0.5, 0.5, 0.125])) == 0  # equal: the earliest
    assert view._certain_pick(np.array([0.7000005, 0.1])) is None  # 0.700000|0.700001
    # a boundary far below the contenders does not matter
    assert view._certain_pick(np.array([0.9, 0.1000005])) == 0
    # a contender one rounding step below the best, at a boundary: not settled
    assert view._certain_pick(np.array([0.900001, 0.9000005])) is None
    assert view._certain_pick(np.array([0.5, float("nan")])) is None


def test_a_large_events_means_agree_with_the_matrix_within_the_slack() -> None:
    for n, seed in ((3, 5), (view.SIMILARITY_BLOCK + 1, 6), (2000, 8)):
        vectors = _vectors(n, 512, seed)
        mat = np.stack([vectors[i] for i in range(n)]).astype(np.float64)
        mat /= np.linalg.norm(mat, axis=1, keepdims=True)
        got = view._mean_similarity(mat)
        want = view._similarities(_members(n), "en", vectors)
        assert np.abs(got - want).max() < view.MEAN_SLACK / 100
