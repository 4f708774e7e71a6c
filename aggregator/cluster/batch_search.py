"""Cluster stage: a batch's nearest-row search in one matrix product, used only where it
provably gives the candidates of the per-item search (pure, no I/O).

The per-item search (``VectorIndex.search``) multiplies the whole window with each item's
vector: a matrix-vector product that reads the ~9 MB window once per item (1.9 ms on the
2-core machine at 4,400 rows), memory-bound. :class:`BatchSims` multiplies the window with
all of a batch's vectors at once (one read); rows added by earlier items of the batch are
multiplied per item. A matrix product sums in another order than a matrix-vector product, so
its values may differ in the last bits: never exactly the per-item search's. What the scorer
does with them (``EventClusterer._fast_candidates``) is therefore only taken when it cannot
depend on those bits: every comparison it makes is decided by more than :attr:`delta`, a
bound on the difference of any two float32 evaluations of the same dot product; otherwise
the item falls back to the per-item search. See :func:`dot_error`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from aggregator.cluster.index import VectorIndex

FloatMatrix = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

#: Rows ranked beyond the ``k`` the per-item search returns, to see who is close below them.
EXTRA_ROWS = 16
#: Unit roundoff of float32.
_U32 = 2.0**-24


def dot_error(dim: int, norm_q: float, norm_rows: float) -> float:
    """Bound on ``|a - b|`` for two float32 evaluations ``a``, ``b`` of one ``dim``-term dot
    product of vectors of norms ≤ ``norm_q`` and ``norm_rows``, in any summation order,
    with or without fused multiply-adds: each is within ``γ_dim · Σ|x_i y_i|`` of the exact
    value (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1), ``γ_n = n·u /
    (1 − n·u)``, and ``Σ|x_i y_i| ≤ ‖x‖·‖y‖``. Padded by 1% for the norms' own rounding."""
    nu = dim * _U32
    return 2.0 * nu / (1.0 - nu) * norm_q * norm_rows * 1.01


#: ``(index layout, rows normed, their largest norm)`` of a batch, for the next one.
NormState = tuple[int, int, float]


class BatchSims:
    """The products of a batch's vectors with the window as it was when the batch began;
    :meth:`sims` adds the rows put in since (exact mode of the index only). ``prior``: the
    previous batch's :meth:`norm_state`; while the layout is the same, rows were only
    appended since, so only those are normed (a pass-1 window grew by a batch at a time and
    was normed whole, in float64, once per batch: ~1.7 % of the stage's instructions)."""

    __slots__ = ("_layout", "_n0", "_norm", "_normed", "_queries", "_row_of", "_sims")

    def __init__(
        self,
        index: VectorIndex,
        keys: Sequence[int],
        vectors: FloatMatrix,
        prior: NormState | None = None,
    ) -> None:
        self._row_of = {k: j for j, k in enumerate(keys)}
        self._queries = np.ascontiguousarray(vectors, dtype=np.float32)
        block = index.exact_block()
        self._sims: FloatMatrix | None = None
        self._n0 = self._normed = 0
        self._norm = 0.0  # the largest row norm of the first ``_normed`` rows
        self._layout = index.layout
        if block is None or not len(keys):
            return
        data, ids = block
        self._n0 = self._normed = len(ids)
        self._sims = self._queries @ data.T  # one read of the window for the whole batch
        if prior is not None and prior[0] == self._layout and prior[1] <= len(ids):
            self._norm = max(prior[2], _max_norm(data[prior[1] :]))
        else:
            self._norm = _max_norm(data)

    def norm_state(self) -> NormState:
        return self._layout, self._normed, self._norm

    def sims(
        self, index: VectorIndex, key: int, q: FloatArray
    ) -> tuple[IntArray, FloatArray, float] | None:
        """Every live row of the window, its product with ``q`` (within the returned bound of
        what ``index.search`` computes for it), in the index's order; None when this batch
        cannot tell (another item, another vector, the index changed mode or lost rows)."""
        j = self._row_of.get(key)
        block = index.exact_block()
        if j is None or self._sims is None or block is None or index.layout != self._layout:
            return None
        data, ids = block
        n0 = self._n0
        if len(ids) < n0 or not np.array_equal(self._queries[j], q):
            return None
        if len(ids) > self._normed:  # rows added by earlier items of this batch
            self._norm = max(self._norm, _max_norm(data[self._normed :]))
            self._normed = len(ids)
        sims = self._sims[j]
        if len(ids) > n0:
            sims = np.concatenate((sims, data[n0:] @ q))
        nq = float(np.sqrt(np.dot(q.astype(np.float64), q.astype(np.float64))))
        return ids, sims, dot_error(len(q), nq, self._norm)


def _max_norm(rows: FloatMatrix) -> float:
    if not len(rows):
        return 0.0
    sq = np.einsum("ij,ij->i", rows, rows, dtype=np.float64)
    return float(np.sqrt(sq.max()))


def ranked(ids: IntArray, sims: FloatArray, k: int, extra: int) -> tuple[list[int], list[float]]:
    """The ``k + extra`` rows of highest product, highest first (those left out are below
    the last one returned)."""
    n = len(sims)
    m = min(n, k + extra)
    top = np.argpartition(-sims, m - 1)[:m] if n > m else np.arange(n)
    order = top[np.argsort(-sims[top], kind="stable")]
    return ids[order].tolist(), sims[order].tolist()


def certified_candidates(
    rows: list[int],
    vals: list[float],
    k: int,
    delta: float,
    reach: float,
    event_of: Callable[[int], int | None],
    limit: int,
) -> list[int] | None:
    """``EventClusterer._candidates`` from :func:`ranked`'s rows (not centred), or None
    when values that may differ from the per-item search's by ``delta`` could change them.

    That loop reads the ``k`` best rows best first and skips rows of no eligible event
    (``event_of`` gives None) or of an event it took: it meets each event at its best row,
    so it takes events in the order of their best value, the first one always, then while
    that value reaches ``reach``, up to ``limit``. Two values within ``2·delta`` may be in
    either order in the per-item search, one within ``delta`` of ``reach`` on either side.
    The events are those of the per-item search when: the events it took, and the one it
    stopped at, are more than ``2·delta`` apart in turn and (after the first) more than
    ``delta`` from ``reach``; after ``limit`` events, every other event and every row
    below the ``k``-th is more than ``2·delta`` below the last one taken (none can take its
    place); after reading all ``k`` rows, the ``k``-th is more than ``2·delta`` above the
    next (the same ``k`` rows). A stop at ``reach`` needs no more: whatever comes after is
    below ``reach`` in both."""
    n = min(len(rows), k)
    best: list[tuple[int, float, int]] = []  # (event, its best value, its row's rank)
    cands: list[int] = []
    stop = -1  # index in best of the event the loop stopped at; -1: it read all k rows
    for p, r in enumerate(rows):  # events met in turn; read no further than needed
        e = event_of(r)
        if e is None or e in cands:
            continue
        best.append((e, vals[p], p))
        if stop >= 0 or p >= n:  # the rival of the last event taken; or past the k rows
            break
        if cands and vals[p] < reach:
            stop = len(best) - 1
            break
        cands.append(e)
        if len(cands) == limit:
            stop = len(best) - 1  # read on for the next event (its rival)
    two = 2.0 * delta
    last = len(cands) - 1 if stop < 0 else stop  # events compared in turn: 0..last
    for i in range(last + 1):
        v = best[i][1]
        if i and abs(v - reach) <= delta:
            return None
        if i < last and v - best[i + 1][1] <= two:
            return None
    if stop < 0:
        if len(rows) > n and vals[n - 1] - vals[n] <= two:
            return None
    elif len(cands) == limit and stop == len(cands) - 1:
        v = best[stop][1]
        rival = best[stop + 1][1] if stop + 1 < len(best) else -np.inf
        if len(rows) > n:
            rival = max(rival, vals[n])
        if v - rival <= two:
            return None
    return cands
