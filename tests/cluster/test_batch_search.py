"""A batch's nearest-row search in one matrix product (issue 16: the per-item matrix-vector
product read the whole window once per item). The product's values may differ from the
per-item search's in the last bits, so the candidates are taken from it only where no
such difference can change them; decisions must stay those of the per-item search."""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from aggregator.cluster import batch_search
from aggregator.cluster.clusterer import (
    ClusterInput,
    EventClusterer,
    default_weights,
)
from aggregator.cluster.embed import LexicalEmbedder
from aggregator.cluster.index import VectorIndex
from aggregator.config import ClusterConfig

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
WORDS = str.split(
    "storm flood quake bank rates vote court strike fire rescue minister talks oil price "
    "market protest election ceasefire trade tariff budget deal coast river city army"
)


def _loop(
    rows: list[int], vals: list[float], k: int, reach: float, event: dict[int, int | None]
) -> list[int]:
    """``EventClusterer._candidates`` (not centred) on rows already ranked."""
    cands: list[int] = []
    for r, v in zip(rows[:k], vals[:k], strict=True):
        e = event[r]
        if e is None or e in cands:
            continue
        if cands and v < reach:
            break
        cands.append(e)
        if len(cands) == 4:
            break
    return cands


def _rank(vals: np.ndarray, k: int, rng: np.random.Generator) -> list[int]:
    """The top ``k`` of ``vals``, best first, ties in an arbitrary order (as argpartition
    leaves them)."""
    perm = rng.permutation(len(vals))
    order = perm[np.argsort(-vals[perm], kind="stable")]
    return order[:k].tolist()


def test_certified_candidates_are_those_of_any_values_within_delta() -> None:
    """Values on a coarse grid (many exact and near ties across events): whenever the
    batch's candidates are certified, every other evaluation within ``delta`` of each value
    (any order of its ties) gives the same events."""
    rng = np.random.default_rng(3)
    delta, k, reach = 1e-3, 8, 0.3
    certified = refused = 0
    for _ in range(3000):
        n = int(rng.integers(0, 20))
        b = np.round(rng.uniform(0.0, 0.6, n) / 0.002) * 0.002  # ties and near ties
        event = {r: (None if rng.random() < 0.15 else int(rng.integers(0, 6))) for r in range(n)}
        ids = np.arange(n, dtype=np.int64)
        rows, vals = batch_search.ranked(ids, b.astype(np.float32), k, 4)
        got = batch_search.certified_candidates(rows, vals, k, delta, reach, event.__getitem__, 4)
        if got is None:
            refused += 1
            continue
        certified += 1
        for _ in range(5):
            a = b + rng.uniform(-delta, delta, n) * 0.999
            order = _rank(a, k, rng)
            assert _loop(order, a[order].tolist(), k, reach, event) == got
    assert certified > 1000 and refused > 100  # both paths exercised


def test_dot_error_bounds_a_matrix_product_against_matrix_vector_products() -> None:
    rng = np.random.default_rng(5)
    d = rng.standard_normal((3000, 512)).astype(np.float32)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    q = rng.standard_normal((16, 512)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    gemm = q @ d.T
    gemv = np.stack([d @ x for x in q])
    bound = batch_search.dot_error(512, 1.0, 1.0)
    assert np.abs(gemm.astype(np.float64) - gemv).max() < bound / 100


def _random_index(seed: int, rows: int) -> tuple[np.random.Generator, VectorIndex]:
    """An 8-dimensional index of ``rows`` random rows, and the generator that made them."""
    rng = np.random.default_rng(seed)
    index = VectorIndex(8)
    for v in rng.standard_normal((rows, 8)).astype(np.float32):
        index.add(v)
    return rng, index


def test_batch_sims_cover_rows_added_during_the_batch_and_refuse_a_changed_window() -> None:
    rng, index = _random_index(9, 20)
    qs = rng.standard_normal((3, 8)).astype(np.float32)
    sims = batch_search.BatchSims(index, [7, 8, 9], qs)
    index.add(qs[0])  # the first item joined: the second must see its row
    got = sims.sims(index, 8, qs[1])
    assert got is not None
    ids, vals, delta = got
    assert len(ids) == 21 and np.allclose(vals, index.exact_block()[0] @ qs[1], atol=delta)
    assert sims.sims(index, 8, qs[2]) is None  # not the vector the batch was made with
    assert sims.sims(index, 99, qs[1]) is None  # not an item of the batch
    index.remove([3])
    assert sims.sims(index, 9, qs[2]) is None  # rows gone: search item by item


def test_a_batch_norms_only_the_rows_appended_since_the_last_one() -> None:
    rng, index = _random_index(5, 30)
    qs = rng.standard_normal((2, 8)).astype(np.float32)
    first = batch_search.BatchSims(index, [1, 2], qs)
    index.add(3.0 * qs[0])  # a longer row than any before: the largest norm grows
    first.sims(index, 2, qs[1])
    index.add(qs[1])
    prior = first.norm_state()
    assert prior[1] == 31
    later = batch_search.BatchSims(index, [3], qs[:1], prior)
    whole = batch_search.BatchSims(index, [3], qs[:1])
    assert later.norm_state() == whole.norm_state()
    index.remove([4])  # another layout: the prior state is not used
    after = batch_search.BatchSims(index, [3], qs[:1], (prior[0], prior[1], 99.0))
    assert after.norm_state()[2] == batch_search.BatchSims(index, [3], qs[:1]).norm_state()[2]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_batched_stream_decides_as_one_searched_item_by_item(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Equivalence guard (passes before the change by design): the same stream, in batches
    of 16 through ``EventClusterer.batch`` and item by item, gives equal decisions."""
    rng = random.Random(seed)
    titles = []
    for s in range(120):
        words = rng.sample(WORDS, 4)
        for _ in range(rng.randint(1, 3)):
            titles.append(" ".join([*words[:3], rng.choice(WORDS)]) + f" {s % 7}")
    vecs = LexicalEmbedder(dim=64).embed(titles)
    items = [
        ClusterInput(i, "en", t, "", NOW + timedelta(minutes=i), vecs[i])
        for i, t in enumerate(titles)
    ]
    out = []
    taken = 0
    certified = batch_search.certified_candidates

    def spy(*a: Any) -> list[int] | None:
        nonlocal taken
        got = certified(*a)
        taken += got is not None
        return got

    monkeypatch.setattr(batch_search, "certified_candidates", spy)
    for batched in (False, True):
        c = EventClusterer(ClusterConfig(), 64, weights=default_weights("lexical"))
        got = []
        for start in range(0, len(items), 16):
            chunk = items[start : start + 16]
            keys, vs = [it.item_id for it in chunk], [it.vector for it in chunk]
            with c.batch(keys, vs) if batched else contextlib.nullcontext():
                for it in chunk:
                    a = c.assign(it, NOW)
                    eid = a.event_id if a.event_id is not None else 10_000 + it.item_id
                    c.add_member(it, eid, a.evidence)
                    got.append((a.event_id, a.rule, a.score, a.features))
        out.append(got)
    assert out[0] == out[1]
    assert taken > 40  # many items took the batch's product (ties send the rest back)
    assert sum(1 for g in out[0] if g[0] is not None) > 20


def test_a_centred_scorer_multiplies_nothing_per_batch() -> None:
    """The model's (centred) scorer re-ranks the raw rows in their exact order, so it always
    searches item by item: the batch must not pay for a product it never reads."""
    c = EventClusterer(ClusterConfig(), 8)
    assert c.w.centre
    rng = np.random.default_rng(1)
    for v in rng.standard_normal((10, 8)).astype(np.float32):
        c.index.add(v)
    with c.batch([1, 2], list(rng.standard_normal((2, 8)).astype(np.float32))):
        assert c._batch is None
    lexical = EventClusterer(ClusterConfig(), 8, weights=default_weights("lexical"))
    with lexical.batch([1], [np.ones(8, dtype=np.float32)]):
        assert lexical._batch is not None
