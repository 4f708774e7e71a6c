"""Cluster stage, search half: an in-memory vector index over event members (pure, no I/O).

Rows are unit vectors; :meth:`VectorIndex.search` returns the ids of the rows with the highest
dot product. Below :data:`IVF_MIN_ROWS` it is exact (one float32 matrix-vector product over a
contiguous block). Above, it becomes an inverted file: spherical k-means centroids, each cell
its own contiguous block, and a query scans the :data:`IVF_NPROBE` nearest cells only, so the
cost grows like √N instead of N (see bench/cluster_speed.py for the measured figures).

Every cell is a segment of one backing matrix, so :meth:`VectorIndex.vectors` (the exact
scorer fetches up to a few hundred member rows per item) is a single fancy-indexing gather
instead of a Python loop over rows. A full cell moves to the free tail of the matrix with
twice its capacity; the holes it leaves are dropped whenever the matrix is repacked.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

#: Exact search up to this many rows. Measured on the 2-core machine, one BLAS thread
#: (bench/cluster_speed.py): exact search costs 2.7 ms at 10k × 512 rows and ~17 ms at 100k,
#: so past a few thousand rows the inverted file is cheaper (1.0 ms at 100k).
IVF_MIN_ROWS = 5_000
#: Cells scanned per query. On synthetic clustered data (tests/cluster/test_cluster.py::
#: test_ivf_recall_and_remove: 4k rows, 126 cells) 16 probes kept the exact top-1 for 200/200
#: queries. Not yet measured on real news vectors at 100k+; cost is linear in it.
IVF_NPROBE = 16
#: k-means iterations when (re)training the coarse quantizer; assignment barely moves after 6.
IVF_TRAIN_ITERS = 8
#: Training sample per cell: 16 rows a cell place centroids well enough for routing and keep a
#: retrain at 100k rows under a second.
IVF_TRAIN_PER_CELL = 16
#: Retrain when the row count has grown by this factor since the last training.
IVF_RETRAIN_GROWTH = 2.0
_INITIAL_CAP = 64
#: Rows gathered per step by :meth:`VectorIndex.vectors64` (128 × 512 float32: 256 KB).
GATHER_ROWS = 128


class _Cell:
    """A segment ``[start, start + cap)`` of the backing matrix; its first ``n`` slots live."""

    __slots__ = ("cap", "n", "start")

    def __init__(self, start: int, cap: int) -> None:
        self.start = start
        self.cap = cap
        self.n = 0


class VectorIndex:
    """Exact-then-IVF nearest-row search with stable integer row ids."""

    def __init__(
        self, dim: int, *, ivf_min_rows: int = IVF_MIN_ROWS, nprobe: int = IVF_NPROBE, seed: int = 0
    ) -> None:
        self.dim = dim
        self.ivf_min_rows = ivf_min_rows
        self.nprobe = nprobe
        self._rng = np.random.default_rng(seed)
        # Backing storage: vectors and the row id held at each position; [_end, cap) is free.
        self._data: FloatMatrix = np.empty((_INITIAL_CAP, dim), dtype=np.float32)
        self._ids: IntArray = np.empty(_INITIAL_CAP, dtype=np.int64)
        self._end = _INITIAL_CAP
        self._cells: list[_Cell] = [_Cell(0, _INITIAL_CAP)]
        self._centroids: FloatMatrix | None = None
        self._trained_at = 0
        # row id → cell and absolute position in _data; -1 cell means removed.
        self._loc_cell: IntArray = np.empty(0, dtype=np.int64)
        self._loc_pos: IntArray = np.empty(0, dtype=np.int64)
        self._next_id = 0
        self._live = 0
        #: Bumped whenever rows are removed or reordered (appending keeps it): a search's
        #: row positions stay valid while it is unchanged.
        self.layout = 0

    def __len__(self) -> int:
        return self._live

    @property
    def is_ivf(self) -> bool:
        return self._centroids is not None

    def _grow_loc(self, need: int) -> None:
        if need <= len(self._loc_cell):
            return
        cap = max(need, 2 * len(self._loc_cell), _INITIAL_CAP)
        for name in ("_loc_cell", "_loc_pos"):
            old = getattr(self, name)
            new = np.full(cap, -1, dtype=np.int64)
            new[: len(old)] = old
            setattr(self, name, new)

    def _repack(self, extra: int) -> None:
        """Copy every cell, holes dropped, into a new matrix with room for ``extra`` more."""
        used = sum(c.cap for c in self._cells)
        cap = max(_INITIAL_CAP, 2 * (used + extra))
        data = np.empty((cap, self.dim), dtype=np.float32)
        ids = np.empty(cap, dtype=np.int64)
        pos = 0
        for cell in self._cells:
            n = cell.n
            data[pos : pos + n] = self._data[cell.start : cell.start + n]
            ids[pos : pos + n] = self._ids[cell.start : cell.start + n]
            self._loc_pos[ids[pos : pos + n]] = np.arange(pos, pos + n)
            cell.start = pos
            pos += cell.cap
        self._data, self._ids, self._end = data, ids, pos

    def _regrow_single(self, cap: int) -> None:
        """Exact mode (one cell): move the rows into matrices of ``cap`` rows, in order.
        Moving the full cell to a free tail, as an IVF cell does, left the matrix up to 6×
        the live rows (48 MiB for a 4,400-member window of 512-d rows); this keeps ≤ 1.5×."""
        cell = self._cells[0]
        n = cell.n
        data = np.empty((cap, self.dim), dtype=np.float32)
        ids = np.empty(cap, dtype=np.int64)
        data[:n] = self._data[cell.start : cell.start + n]
        ids[:n] = self._ids[cell.start : cell.start + n]
        self._loc_pos[ids[:n]] = np.arange(n)
        self._data, self._ids, self._end = data, ids, cap
        cell.start, cell.cap = 0, cap

    def reserve(self, rows: int) -> None:
        """Room for ``rows`` rows in exact mode without regrowing: a window load knows its
        size, and growing by 1.5× on the way there left up to a third of the matrix empty
        (and a 2.5× peak during each move). No-op in IVF mode or when the room is there."""
        cell = self._cells[0]
        if self._centroids is None and rows > cell.cap:
            self._grow_loc(rows)
            self._regrow_single(rows)

    def _append(self, ci: int, row_id: int, vec: FloatMatrix) -> int:
        """Put ``vec`` in cell ``ci`` (moving the cell to the tail when it is full)."""
        cell = self._cells[ci]
        if cell.n == cell.cap and len(self._cells) == 1:
            self._regrow_single(max(_INITIAL_CAP, cell.n + cell.n // 2))
        elif cell.n == cell.cap:
            cap = max(_INITIAL_CAP, 2 * cell.n)
            if self._end + cap > len(self._ids):
                self._repack(cap)
            s, n, e = cell.start, cell.n, self._end
            self._data[e : e + n] = self._data[s : s + n]
            self._ids[e : e + n] = self._ids[s : s + n]
            self._loc_pos[self._ids[e : e + n]] = np.arange(e, e + n)
            cell.start, cell.cap = e, cap
            self._end = e + cap
        pos = cell.start + cell.n
        self._data[pos] = vec
        self._ids[pos] = row_id
        cell.n += 1
        return pos

    def add(self, vec: FloatMatrix) -> int:
        """Store one unit vector; returns its row id."""
        row = self._next_id
        self._next_id += 1
        self._grow_loc(self._next_id)
        v = np.asarray(vec, dtype=np.float32).reshape(self.dim)
        cell = 0 if self._centroids is None else int(np.argmax(self._centroids @ v))
        self._loc_cell[row] = cell
        self._loc_pos[row] = self._append(cell, row, v)
        self._live += 1
        if self._live >= self.ivf_min_rows and (
            self._centroids is None or self._live >= IVF_RETRAIN_GROWTH * self._trained_at
        ):
            self._train()
        return row

    def vectors(self, rows: IntArray | list[int]) -> FloatMatrix:
        """The stored vectors of ``rows`` (live rows only), one per row, in order."""
        out: FloatMatrix = self._data[self._loc_pos[np.asarray(rows, dtype=np.int64)]]
        return out

    def vectors64(self, rows: IntArray | list[int]) -> npt.NDArray[np.float64]:
        """:meth:`vectors` as float64 (the same values: the cast is exact), gathered
        :data:`GATHER_ROWS` rows at a time: ``vectors(rows).astype(float64)`` held the
        float32 gather beside its float64 copy (a 659-member event's headline: 1.3 + 2.7 MB
        at once, each retitle, at the pass's peak)."""
        pos = self._loc_pos[np.asarray(rows, dtype=np.int64)]
        out = np.empty((len(pos), self.dim), dtype=np.float64)
        for a in range(0, len(pos), GATHER_ROWS):
            out[a : a + GATHER_ROWS] = self._data[pos[a : a + GATHER_ROWS]]
        return out

    def exact_block(self) -> tuple[FloatMatrix, IntArray] | None:
        """Exact mode: every live row's vector and id, in search order (views, valid until
        the next change); None in IVF mode."""
        if self._centroids is not None:
            return None
        cell = self._cells[0]
        s, e = cell.start, cell.start + cell.n
        return self._data[s:e], self._ids[s:e]

    def search(self, q: FloatMatrix, k: int) -> tuple[IntArray, npt.NDArray[np.float32]]:
        """Row ids and dot products of (about) the ``k`` best rows, best first."""
        q = np.asarray(q, dtype=np.float32).reshape(self.dim)
        if self._centroids is None:
            cells = [self._cells[0]]
        else:
            cs = self._centroids @ q
            probe = min(self.nprobe, len(cs))
            cells = [self._cells[i] for i in np.argpartition(-cs, probe - 1)[:probe]]
        data, all_ids = self._data, self._ids
        ids_parts, sim_parts = [], []
        for cell in cells:
            if cell.n:
                s, e = cell.start, cell.start + cell.n
                sim_parts.append(data[s:e] @ q)
                ids_parts.append(all_ids[s:e])
        if not sim_parts:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        sims = np.concatenate(sim_parts) if len(sim_parts) > 1 else sim_parts[0]
        ids = np.concatenate(ids_parts) if len(ids_parts) > 1 else ids_parts[0]
        if len(sims) > k:
            top = np.argpartition(-sims, k - 1)[:k]
            sims, ids = sims[top], ids[top]
        order = np.argsort(-sims, kind="stable")
        return ids[order], sims[order]

    def remove(self, rows: IntArray | list[int]) -> None:
        """Forget ``rows`` (pruned events). Cells are compacted in one pass."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        self.layout += 1
        dead = np.zeros(self._next_id, dtype=bool)
        dead[rows] = True
        dead &= self._loc_cell[: self._next_id] >= 0
        self._live -= int(dead.sum())
        self._loc_cell[: self._next_id][dead] = -1
        for cell in self._cells:
            if not cell.n:
                continue
            s = cell.start
            ids = self._ids[s : s + cell.n]
            keep = ~dead[ids]
            if keep.all():
                continue
            n = int(keep.sum())
            self._data[s : s + n] = self._data[s : s + cell.n][keep]
            self._ids[s : s + n] = ids[keep]
            cell.n = n
            self._loc_pos[self._ids[s : s + n]] = np.arange(s, s + n)
        if self._centroids is not None and self._live < self.ivf_min_rows // 2:
            self._flatten()

    def _all(self) -> tuple[IntArray, FloatMatrix]:
        ids = np.concatenate([self._ids[c.start : c.start + c.n] for c in self._cells])
        vecs = np.concatenate([self._data[c.start : c.start + c.n] for c in self._cells])
        return ids, vecs

    def _rebuild(self, ids: IntArray, vecs: FloatMatrix, assign: IntArray, ncells: int) -> None:
        self.layout += 1
        sels = [np.flatnonzero(assign == c) for c in range(ncells)]
        caps = [max(_INITIAL_CAP, 2 * len(sel)) for sel in sels]
        total = sum(caps)
        self._data = np.empty((total, self.dim), dtype=np.float32)
        self._ids = np.empty(total, dtype=np.int64)
        self._cells = []
        pos = 0
        for c, (sel, cap) in enumerate(zip(sels, caps, strict=True)):
            n = len(sel)
            cell = _Cell(pos, cap)
            self._data[pos : pos + n] = vecs[sel]
            self._ids[pos : pos + n] = ids[sel]
            cell.n = n
            self._loc_cell[ids[sel]] = c
            self._loc_pos[ids[sel]] = np.arange(pos, pos + n)
            self._cells.append(cell)
            pos += cap
        self._end = pos

    def _flatten(self) -> None:
        ids, vecs = self._all()
        self._centroids = None
        self._rebuild(ids, vecs, np.zeros(len(ids), dtype=np.int64), 1)

    def _train(self) -> None:
        """Spherical k-means with √N·2 cells on a sample, then re-bucket every row."""
        ids, vecs = self._all()
        n = len(ids)
        ncells = max(8, int(2 * np.sqrt(n)))
        sample = vecs[self._rng.choice(n, size=min(n, IVF_TRAIN_PER_CELL * ncells), replace=False)]
        cent = sample[self._rng.choice(len(sample), size=ncells, replace=False)].copy()
        for _ in range(IVF_TRAIN_ITERS):
            assign = np.argmax(sample @ cent.T, axis=1)
            sums = np.zeros_like(cent)
            order = np.argsort(assign, kind="stable")
            counts = np.bincount(assign, minlength=ncells)
            nonempty = np.flatnonzero(counts)
            starts = np.concatenate(([0], np.cumsum(counts)[:-1]))[nonempty]
            sums[nonempty] = np.add.reduceat(sample[order], starts, axis=0)
            norms = np.linalg.norm(sums, axis=1, keepdims=True)
            empty = norms[:, 0] == 0
            sums[empty] = sample[self._rng.choice(len(sample), size=int(empty.sum()))]
            norms[empty] = 1.0
            cent = (sums / norms).astype(np.float32)
        full_assign = np.empty(n, dtype=np.int64)
        for start in range(0, n, 8192):
            full_assign[start : start + 8192] = np.argmax(vecs[start : start + 8192] @ cent.T, 1)
        self._centroids = cent
        self._rebuild(ids, vecs, full_assign, ncells)
        self._trained_at = n


def blas_limiter(threads: int) -> Callable[[], AbstractContextManager[object]]:
    """Context factory capping BLAS threads for our matrix products. Small products on two
    threads of a busy 2-core box ran 4x slower than on one (2.5 vs 0.66 ms at 3k × 512)."""
    try:
        from threadpoolctl import ThreadpoolController

        limit = ThreadpoolController().limit  # scan loaded libraries once, not per call
    except Exception:  # pragma: no cover - threadpoolctl is a dependency
        return nullcontext
    return lambda: limit(limits=threads, user_api="blas")
