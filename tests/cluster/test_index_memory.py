"""The exact-mode vector index holds its rows in a matrix at most 1.5x the live rows (issue 16
item 6): moving the full cell to a free tail, as an IVF cell does, left up to 6x (48 MiB of
float32 rows for bench/peer.py's 4,400-member window). Search and row lookup are unchanged."""

from __future__ import annotations

import numpy as np

from aggregator.cluster.index import VectorIndex


def test_exact_index_matrix_stays_within_one_and_a_half_times_its_rows() -> None:
    rng = np.random.default_rng(6)
    dim, n = 16, 4400
    data = rng.standard_normal((n, dim)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    index = VectorIndex(dim, ivf_min_rows=10**9)
    worst = 0.0
    for i, v in enumerate(data):
        index.add(v)
        if i >= 64:
            worst = max(worst, len(index._data) / (i + 1))
    assert worst <= 1.5 + 1e-9, worst
    np.testing.assert_array_equal(index.vectors(list(range(n))), data)
    for q in data[:50]:
        rows, sims = index.search(q, 10)
        want = np.argsort(-(data @ q), kind="stable")[:10]
        assert rows.tolist() == want.tolist()
        np.testing.assert_array_equal(sims, (data @ q)[want])
    index.remove(list(range(0, n, 2)))
    for v in data[:300]:
        index.add(v)
    live = list(range(1, n, 2)) + list(range(n, n + 300))
    np.testing.assert_array_equal(index.vectors(live), np.concatenate([data[1::2], data[:300]]))
    assert len(index._data) <= 1.5 * n


def test_a_window_load_reserves_its_rows_exactly() -> None:
    """EventBuilder._load knows the window's size: the matrix then holds the window and the
    headroom asked for, not the ≤ 1.5× that growing row by row leaves (4,400 rows: 5,472)."""
    rng = np.random.default_rng(7)
    dim, n = 16, 4400
    data = rng.standard_normal((n, dim)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    index = VectorIndex(dim, ivf_min_rows=10**9)
    index.add(data[0])
    index.reserve(n)
    for v in data[1:]:
        index.add(v)
    assert len(index._data) == n
    np.testing.assert_array_equal(index.vectors(list(range(n))), data)
    q = data[5]
    rows, _ = index.search(q, 10)
    assert rows.tolist() == np.argsort(-(data @ q), kind="stable")[:10].tolist()
