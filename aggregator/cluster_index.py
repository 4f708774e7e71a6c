"""Cluster stage, search half: an in-memory vector index over event members (pure, no I/O).

Rows are unit vectors; :meth:`VectorIndex.search` returns the ids of the rows with the highest
dot product. Below :data:`IVF_MIN_ROWS` it is exact (one float32 matrix-vector product over a
contiguous block). Above, it becomes an inverted file: spherical k-means centroids, each cell
its own contiguous block, and a query scans the :data:`IVF_NPROBE` nearest cells only, so the
cost grows like √N instead of N (see bench/cluster_speed.py for the measured figures).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

#: Exact search up to this many rows. Measured on the 2-core machine, one BLAS thread
#: (bench/cluster_speed.py): exact search costs 2.7 ms at 10k × 512 rows and ~17 ms at 100k,
#: so past a few thousand rows the inverted file is cheaper (1.0 ms at 100k).
IVF_MIN_ROWS = 5_000
#: Cells scanned per query. On synthetic clustered data (tests/test_cluster.py::
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


class _Cell:
    """A growable contiguous block of vectors with their row ids."""

    __slots__ = ("ids", "n", "vecs")

    def __init__(self, dim: int, cap: int = _INITIAL_CAP) -> None:
        self.vecs: FloatMatrix = np.empty((cap, dim), dtype=np.float32)
        self.ids: IntArray = np.empty(cap, dtype=np.int64)
        self.n = 0

    def append(self, row_id: int, vec: FloatMatrix) -> int:
        if self.n == len(self.ids):
            cap = max(_INITIAL_CAP, 2 * self.n)
            vecs = np.empty((cap, self.vecs.shape[1]), dtype=np.float32)
            vecs[: self.n] = self.vecs[: self.n]
            ids = np.empty(cap, dtype=np.int64)
            ids[: self.n] = self.ids[: self.n]
            self.vecs, self.ids = vecs, ids
        self.vecs[self.n] = vec
        self.ids[self.n] = row_id
        self.n += 1
        return self.n - 1


class VectorIndex:
    """Exact-then-IVF nearest-row search with stable integer row ids."""

    def __init__(
        self, dim: int, *, ivf_min_rows: int = IVF_MIN_ROWS, nprobe: int = IVF_NPROBE, seed: int = 0
    ) -> None:
        self.dim = dim
        self.ivf_min_rows = ivf_min_rows
        self.nprobe = nprobe
        self._rng = np.random.default_rng(seed)
        self._cells: list[_Cell] = [_Cell(dim)]
        self._centroids: FloatMatrix | None = None
        self._trained_at = 0
        # row id → (cell, slot); -1 cell means removed.
        self._loc_cell: IntArray = np.empty(0, dtype=np.int64)
        self._loc_slot: IntArray = np.empty(0, dtype=np.int64)
        self._next_id = 0
        self._live = 0

    def __len__(self) -> int:
        return self._live

    @property
    def is_ivf(self) -> bool:
        return self._centroids is not None

    def _grow_loc(self, need: int) -> None:
        if need <= len(self._loc_cell):
            return
        cap = max(need, 2 * len(self._loc_cell), _INITIAL_CAP)
        for name in ("_loc_cell", "_loc_slot"):
            old = getattr(self, name)
            new = np.full(cap, -1, dtype=np.int64)
            new[: len(old)] = old
            setattr(self, name, new)

    def add(self, vec: FloatMatrix) -> int:
        """Store one unit vector; returns its row id."""
        row = self._next_id
        self._next_id += 1
        self._grow_loc(self._next_id)
        v = np.asarray(vec, dtype=np.float32).reshape(self.dim)
        cell = 0 if self._centroids is None else int(np.argmax(self._centroids @ v))
        self._loc_cell[row] = cell
        self._loc_slot[row] = self._cells[cell].append(row, v)
        self._live += 1
        if self._live >= self.ivf_min_rows and (
            self._centroids is None or self._live >= IVF_RETRAIN_GROWTH * self._trained_at
        ):
            self._train()
        return row

    def vectors(self, rows: IntArray | list[int]) -> FloatMatrix:
        """The stored vectors of ``rows`` (live rows only), one per row, in order."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), self.dim), dtype=np.float32)
        cells = self._loc_cell[rows]
        slots = self._loc_slot[rows]
        if self._centroids is None:
            out[:] = self._cells[0].vecs[slots]
        else:
            for i, (c, s) in enumerate(zip(cells.tolist(), slots.tolist(), strict=True)):
                out[i] = self._cells[c].vecs[s]
        return out

    def search(self, q: FloatMatrix, k: int) -> tuple[IntArray, npt.NDArray[np.float32]]:
        """Row ids and dot products of (about) the ``k`` best rows, best first."""
        q = np.asarray(q, dtype=np.float32).reshape(self.dim)
        if self._centroids is None:
            cells = [self._cells[0]]
        else:
            cs = self._centroids @ q
            probe = min(self.nprobe, len(cs))
            cells = [self._cells[i] for i in np.argpartition(-cs, probe - 1)[:probe]]
        ids_parts, sim_parts = [], []
        for cell in cells:
            if cell.n:
                sim_parts.append(cell.vecs[: cell.n] @ q)
                ids_parts.append(cell.ids[: cell.n])
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
        dead = np.zeros(self._next_id, dtype=bool)
        dead[rows] = True
        dead &= self._loc_cell[: self._next_id] >= 0
        self._live -= int(dead.sum())
        self._loc_cell[: self._next_id][dead] = -1
        for ci, cell in enumerate(self._cells):
            if not cell.n:
                continue
            keep = ~dead[cell.ids[: cell.n]]
            if keep.all():
                continue
            n = int(keep.sum())
            cell.vecs[:n] = cell.vecs[: cell.n][keep]
            cell.ids[:n] = cell.ids[: cell.n][keep]
            cell.n = n
            self._loc_slot[cell.ids[:n]] = np.arange(n)
            self._loc_cell[cell.ids[:n]] = ci
        if self._centroids is not None and self._live < self.ivf_min_rows // 2:
            self._flatten()

    def _all(self) -> tuple[IntArray, FloatMatrix]:
        ids = np.concatenate([c.ids[: c.n] for c in self._cells])
        vecs = np.concatenate([c.vecs[: c.n] for c in self._cells])
        return ids, vecs

    def _rebuild(self, ids: IntArray, vecs: FloatMatrix, assign: IntArray, ncells: int) -> None:
        self._cells = []
        for c in range(ncells):
            sel = np.flatnonzero(assign == c)
            cell = _Cell(self.dim, max(_INITIAL_CAP, 2 * len(sel)))
            cell.vecs[: len(sel)] = vecs[sel]
            cell.ids[: len(sel)] = ids[sel]
            cell.n = len(sel)
            self._loc_cell[ids[sel]] = c
            self._loc_slot[ids[sel]] = np.arange(len(sel))
            self._cells.append(cell)

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
