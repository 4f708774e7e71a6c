"""The clusterer's per-member term state: packed vectors (memory) that score as the dicts did."""

from __future__ import annotations

import gc
import math
import random
import tracemalloc
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np

from aggregator.cluster import lexical
from aggregator.cluster.clusterer import ClusterMember, EventClusterer, evidence_for
from aggregator.config import ClusterConfig

WORDS = [f"word{i}" for i in range(3000)]


def _counts(rng: random.Random) -> Counter[str]:
    return Counter({rng.choice(WORDS): rng.randint(1, 3) for _ in range(60)})


def test_packed_cosine_and_profile_equal_the_dict_ones() -> None:
    rng = random.Random(1)
    df = lexical.DocFreq()
    docs = [_counts(rng) for _ in range(40)]
    for d in docs:
        df.add(d)
    vecs = [lexical.weigh(d, df) for d in docs]
    for a in vecs[:10]:
        for b in vecs:
            want = lexical.cosine(a, b)
            assert math.isclose(lexical.cosine(a, lexical.pack(b)), want, abs_tol=1e-12)
            assert math.isclose(lexical.cosine(lexical.pack(a), b), want, abs_tol=1e-12)
            assert math.isclose(
                lexical.cosine(lexical.pack(a), lexical.pack(b)), want, abs_tol=1e-12
            )
    for n in (1, 2, 5):
        packed, plain = lexical.Profile(), lexical.Profile()
        sums: dict[str, float] = {}
        for v in vecs[:n]:
            packed.add(lexical.pack(v))
            plain.add(dict(v))
            for t, x in v.items():
                sums[t] = sums.get(t, 0.0) + x
        norm = math.sqrt(sum(x * x for x in sums.values()))
        for q in vecs[:8]:
            want = sum(x * sums.get(t, 0.0) for t, x in q.items()) / norm
            assert math.isclose(packed.cosine(q), want, abs_tol=1e-12)
            assert math.isclose(plain.cosine(q), want, abs_tol=1e-12)


def test_term_state_per_member_is_compact() -> None:
    """Members with 48-term vectors (the cap), in events of 1 to 4: the clusterer's whole
    state per member, vectors aside (dim 8), stays under 4 KiB (dicts of strings: ~6.5 KB;
    measured 3.8 KB)."""
    rng = random.Random(2)
    now = datetime(2026, 11, 20, tzinfo=UTC)
    n = 1500
    docs = [_counts(rng) for _ in range(n)]
    lexical_terms = [Counter({t: c for t, c in d.items()}) for d in docs]
    title = "Quake hits the coast as officials respond"
    ev = evidence_for(title, "")
    vecs = np.random.default_rng(0).standard_normal((n, 8)).astype(np.float32)
    gc.collect()
    tracemalloc.start()
    c = EventClusterer(ClusterConfig(), 8)
    base, _ = tracemalloc.get_traced_memory()
    for i in range(n):
        c.add_existing(
            ClusterMember(
                i,
                i // 2 + (i % 7 == 0),
                "en",
                vecs[i],
                now - timedelta(minutes=i),
                ev,
                title,
                terms=lexical_terms[i],
            )
        )
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    per = (held - base) / n
    assert len(c) == n
    assert per < 4096, f"{per:.0f} B per member"
