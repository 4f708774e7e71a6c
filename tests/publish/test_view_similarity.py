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
