"""The clusterer's float64 gather of an event's vectors (``VectorIndex.vectors64``) and the
headline order read through it (``titles.central_order_of``): the same values and the same
order as the float32 gather cast afterwards, without holding both at once."""

from __future__ import annotations

import numpy as np

from aggregator.cluster.index import GATHER_ROWS, VectorIndex
from aggregator.cluster.titles import GRAM_MAX_MEMBERS, central_order, central_order_of


def test_vectors64_and_central_order_of_equal_the_float32_gather() -> None:
    """``vectors64`` gives ``vectors(rows)`` cast to float64 bit for bit (gathered in steps,
    across removed rows, in any row order), and ``central_order_of`` the order
    ``central_order`` gives on the float32 gather, for one member, small events and ones past
    GRAM_MAX_MEMBERS."""
    rng = np.random.default_rng(3)
    data = rng.standard_normal((3 * GATHER_ROWS + 5, 32)).astype(np.float32)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    index = VectorIndex(32)
    for v in data:
        index.add(v)
    index.remove(list(range(0, len(data), 7)))
    rows = [int(r) for r in rng.permutation([r for r in range(len(data)) if r % 7])]
    wide = index.vectors64(rows)
    assert wide.dtype == np.float64 and wide.shape == (len(rows), 32)
    assert np.array_equal(wide, index.vectors(rows).astype(np.float64))
    for n in (1, 2, 5, GRAM_MAX_MEMBERS, GRAM_MAX_MEMBERS + 1, len(rows)):
        assert central_order_of(index, rows[:n]) == central_order(index.vectors(rows[:n]))
