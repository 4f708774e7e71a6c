"""Benchmark of the near-duplicate index (bench; writes a throw-away SQLite file): N stored
synthetic items (en + zh lengths, Zipf-distributed shingles so unrelated items overlap a
little, as real news does) → cost per new item (candidates + add, ms), bytes per item
(SQLite file / items), recall on planted pairs with Jaccard ≥ 0.6.

Run: ``.venv/bin/python bench/dedup_index.py --items 100000 [--db /tmp/dedup.db]``; then
``--db /tmp/dedup.db --probe 3000 --commit-every 20`` times new items on the built file.
Shingling is not timed here (see bench/eval_dedup.py: ~1 ms per real item).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from aggregator.dedupe import neardup, textsim
from aggregator.dedupe.textsim import Shingled
from aggregator.store import band_index

#: Share of an item's shingles drawn from a shared Zipf(ZIPF_A) pool (stock phrases: "according
#: to the", 新华社记者); the rest are story-specific. 0.3 gives random pairs a Jaccard of mean
#: ~0.02, p95 ~0.03 (printed below), as unrelated same-feed news in bench/eval_dedup.py.
COMMON_SHARE = 0.3
ZIPF_A = 1.3


def synth(rng: np.random.Generator) -> Shingled:
    """One item: 60% English, 40% Chinese; median ~400 shingles (5%-95%: ~150-1100)."""
    n = int(rng.lognormal(6.0, 0.6))
    k = int(n * COMMON_SHARE)
    ids = np.concatenate(
        [
            rng.zipf(ZIPF_A, size=k).astype(np.uint64),
            rng.integers(2**40, 2**62, size=n - k, dtype=np.uint64),
        ]
    )
    rng.shuffle(ids)
    seq = textsim.mix(ids)
    empty = np.zeros(0, dtype=np.uint64)
    if rng.random() < 0.6:
        return Shingled(han=empty, words=seq, all=np.unique(seq))
    return Shingled(han=seq, words=empty, all=np.unique(seq))


def variant(sh: Shingled, target_j: float, rng: np.random.Generator) -> Shingled:
    """A rewrite of ``sh`` with Jaccard ≈ target_j: keep a prefix-biased share, add new ones."""
    seq = sh.han if sh.han.size else sh.words
    keep_share = 2 * target_j / (1 + target_j)  # keep k, add k' so that J = target
    n = seq.size
    drop = rng.random(n) > keep_share
    kept = seq[~drop]
    new = textsim.mix(rng.integers(0, 2**62, size=int(drop.sum()), dtype=np.uint64))
    out = np.concatenate([kept, new])
    rng.shuffle(out[kept.size // 2 :])  # keep the lead mostly in place
    empty = np.zeros(0, dtype=np.uint64)
    if sh.han.size:
        return Shingled(han=out, words=empty, all=np.unique(out))
    return Shingled(han=empty, words=out, all=np.unique(out))


def probe(db: Path, n: int, cache_mb: int, commit_every: int) -> None:
    """Per-item cost on an index built earlier: n new unrelated items, candidates + add,
    committing every ``commit_every`` items (a feed refresh commits its batch at once)."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    if cache_mb:
        conn.execute(f"PRAGMA cache_size=-{cache_mb * 1024}")
    index = band_index.NearDupIndex(conn)
    stored = conn.execute("SELECT max(item_id) FROM minhash_bands").fetchone()[0] + 1
    rng = np.random.default_rng(99)
    sigs = [textsim.sketch(synth(rng)) for _ in range(n)]
    wall = time.perf_counter()
    cpu = time.process_time()
    conn.execute("BEGIN")
    for i, sig in enumerate(sigs):
        index.candidates(sig)
        index.add(stored + 10_000_000 + i, sig, "2026-11-21T00:00:00Z")
        if i % commit_every == commit_every - 1:
            conn.execute("COMMIT")
            conn.execute("BEGIN")
    conn.execute("ROLLBACK")  # keep the file as built; the last partial batch is dropped
    w = (time.perf_counter() - wall) / n * 1e3
    c = (time.process_time() - cpu) / n * 1e3
    print(
        f"probe {db} (~{stored} items), cache {cache_mb or 'default'} MB, commit every "
        f"{commit_every}: candidates+add {w:.3f} ms/item wall, {c:.3f} ms/item CPU"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--cache-mb", type=int, default=0, help="PRAGMA cache_size (0: default)")
    ap.add_argument("--mmap-mb", type=int, default=0, help="PRAGMA mmap_size (0: default)")
    ap.add_argument("--page-size", type=int, default=0, help="PRAGMA page_size of a new file")
    ap.add_argument("--probe", type=int, default=0, help="only time N new items on --db")
    ap.add_argument("--commit-every", type=int, default=1)
    args = ap.parse_args(argv)
    if args.probe:
        probe(args.db, args.probe, args.cache_mb, args.commit_every)
        return
    rng = np.random.default_rng(1)
    db = args.db or Path(tempfile.mkdtemp()) / "dedup.db"
    if db.exists():
        db.unlink()
    conn = sqlite3.connect(db, isolation_level=None)
    if args.page_size:
        conn.execute(f"PRAGMA page_size={args.page_size}")  # before the first table
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    if args.mmap_mb:
        conn.execute(f"PRAGMA mmap_size={args.mmap_mb * 1024 * 1024}")
    if args.cache_mb:
        conn.execute(f"PRAGMA cache_size=-{args.cache_mb * 1024}")
    index = band_index.NearDupIndex(conn)
    plant_every = max(args.items // args.queries, 1)
    planted: list[Shingled] = []
    t0 = time.perf_counter()
    # Stored population: same keys as index.add, inserted in key order per 50k-item batch
    # (a bulk load; only the measured queries below go through add() one by one).
    at_s = band_index._epoch_s("2026-11-20T00:00:00Z")
    batch: list[tuple[int, int, int]] = []
    for i in range(args.items):
        sh = synth(rng)
        if i % plant_every == 0 and len(planted) < args.queries:
            planted.append(sh)
        batch.extend((k, i, at_s) for k in neardup.band_keys(textsim.sketch(sh)))
        if i % 50_000 == 49_999 or i == args.items - 1:
            batch.sort()
            conn.execute("BEGIN")
            conn.executemany("INSERT OR IGNORE INTO minhash_bands VALUES (?, ?, ?)", batch)
            conn.execute("COMMIT")
            batch.clear()
            print(f"  built {i + 1} items, {time.perf_counter() - t0:.0f} s", flush=True)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    build_s = time.perf_counter() - t0
    size = os.path.getsize(db)
    rows = conn.execute("SELECT count(*) FROM minhash_bands").fetchone()[0]
    # Background overlap of random pairs (the false-candidate pressure).
    bg = [textsim.jaccard(synth(rng).all, synth(rng).all) for _ in range(300)]
    # Queries: a variant of a stored item at J in [0.6, 1.0], then added (per-item cost).
    hits = n = 0
    q_ms: list[float] = []
    a_ms: list[float] = []
    n_cands: list[int] = []
    js: list[float] = []
    hit_list: list[bool] = []
    c_ms: list[float] = []  # CPU time of the query: the machine may be shared
    a_cpu: list[float] = []
    full_hits = 0
    for q, sh in enumerate(planted):
        target = q * plant_every
        v = variant(sh, float(rng.uniform(0.6, 1.0)), rng)
        j = textsim.jaccard(v.all, sh.all)
        if j < 0.6:
            continue
        sig = textsim.sketch(v)
        t1 = time.perf_counter()
        c1 = time.thread_time()
        cands = index.candidates(sig)
        c_ms.append((time.thread_time() - c1) * 1e3)
        q_ms.append((time.perf_counter() - t1) * 1e3)
        full_hits += target in index.candidates(sig[:1])  # whole-text bands only
        t2 = time.perf_counter()
        c2 = time.thread_time()
        conn.execute("BEGIN")
        index.add(args.items + q, sig, "2026-11-21T00:00:00Z")
        conn.execute("COMMIT")
        a_cpu.append((time.thread_time() - c2) * 1e3)
        t3 = time.perf_counter()
        a_ms.append((t3 - t2) * 1e3)
        n_cands.append(len(cands))
        js.append(j)
        n += 1
        hits += target in cands
        hit_list.append(target in cands)
    jj = np.array(js)
    low = jj < 0.7
    print(
        f"items {args.items}: build {build_s:.0f} s ({build_s / args.items * 1e3:.3f} ms/item"
        " incl. synth+minhash)"
    )
    print(
        f"  sqlite file {size / 1e6:.1f} MB = {size / args.items:.0f} bytes/item; "
        f"{rows / args.items:.1f} band rows/item"
    )
    print(f"  random-pair Jaccard mean {np.mean(bg):.3f}, p95 {np.quantile(bg, 0.95):.3f}")
    print(
        f"  queries {n}: candidates p50 {np.median(q_ms):.3f} ms p95 "
        f"{np.quantile(q_ms, 0.95):.3f} ms; add+commit p50 {np.median(a_ms):.3f} ms p95 "
        f"{np.quantile(a_ms, 0.95):.3f} ms; candidates/query mean {np.mean(n_cands):.1f}"
        f" max {max(n_cands)}"
    )
    print(
        f"  CPU time: candidates p50 {np.median(c_ms):.3f} ms mean {np.mean(c_ms):.3f} ms;"
        f" add+commit p50 {np.median(a_cpu):.3f} ms mean {np.mean(a_cpu):.3f} ms"
    )
    print(f"  recall with whole-text bands only (no lead rows): {full_hits / n:.3f}")
    hl = np.array(hit_list)
    print(
        f"  recall at J≥0.6: {hits / n:.3f}; J in [0.6,0.7): {hl[low].mean():.3f} "
        f"(n={int(low.sum())}); J≥0.7: {hl[~low].mean():.3f}"
    )


if __name__ == "__main__":
    main()
