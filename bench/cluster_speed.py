"""Speed of the cluster stage's online decision: ms per new item with N members in the window.

Synthetic clustered unit vectors (512-d, events of ~3 members around random centres) carrying
the real headlines and leads of tests/fixtures/events (cycled), so the figures cover search +
exact scoring + evidence + lexical terms and cosines + bookkeeping, not embedding (see the
threads figures printed by ``--embed``). ``lexical_ms`` is the lexical evidence alone per new
item: terms of title + lead, TF-IDF weighting, and cosines to 8 candidate events' profiles and
3 members each. One BLAS thread unless ``--threads``. ms/item is wall
time; the CPU figure (``time.process_time``) is the one the ≤ 5 ms goal is stated in.
``lead_ms`` is reading one lead without page boilerplate (``boilerplate.story_lead``,
uncached) over the SemEval pool's 400-character leads (real scraped text, 114 of 1,060 with
boilerplate; the fixture's leads when the shared data is absent).

Usage: .venv/bin/python bench/cluster_speed.py [--sizes 10000 100000] [--threads 1] [--embed]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregator.cluster import lexical  # noqa: E402
from aggregator.cluster.boilerplate import story_lead  # noqa: E402
from aggregator.cluster.clusterer import ClusterInput, ClusterMember, EventClusterer  # noqa: E402
from aggregator.cluster.evidence import Evidence  # noqa: E402
from aggregator.config import ClusterConfig  # noqa: E402

DIM = 512
NOW = datetime(2026, 1, 1, tzinfo=UTC)
RESULTS = ROOT / "bench" / "results" / "cluster_speed.json"
FIXTURE = ROOT / "tests" / "fixtures" / "events" / "events.jsonl"


def fixture_texts() -> list[tuple[str, str, str]]:
    """(lang, title, lead) of every fixture item."""
    rows = [json.loads(x) for x in FIXTURE.open()]
    return [(r["lang"], r["title"], r["lead"]) for r in rows]


def bench_lead(rounds: int = 3) -> float:
    """ms per lead of ``story_lead`` without its cache (see the module docstring)."""
    sem = Path("/work/shared/datasets/semeval2022-task8-texts/articles.jsonl")
    if sem.exists():
        leads = [json.loads(x)["text"][:400] for x in sem.open(encoding="utf-8")]
    else:
        leads = [lead for _, _, lead in fixture_texts()]
    t = time.process_time()
    for _ in range(rounds):
        for x in leads:
            story_lead.__wrapped__(x)
    return (time.process_time() - t) / (rounds * len(leads)) * 1000


def bench_lexical(queries: int) -> float:
    """ms per item of the lexical evidence alone (see the module docstring). A Chinese item
    is also weighed in its native-word space and compared there with the candidates' Chinese
    members and native profiles (an upper bound: the clusterer uses one space per pair)."""
    texts = fixture_texts()
    df = lexical.DocFreq()
    vecs, nats = [], []
    for lang, title, lead in texts:
        c = lexical.terms(title, lead)
        df.add(c)
        vecs.append(lexical.weigh(c, df))
        nats.append(lexical.weigh(c, df, native=True) if lang.startswith("zh") else None)
    profiles = []
    for k in range(8):
        p, pn = lexical.Profile(), lexical.Profile()
        for v, n in zip(vecs[k * 3 : k * 3 + 3], nats[k * 3 : k * 3 + 3], strict=True):
            p.add(v)
            if n is not None:
                pn.add(n)
        profiles.append((p, pn))
    t = time.process_time()
    for i in range(queries):
        lang, title, lead = texts[i % len(texts)]
        counts = lexical.terms(title, lead)
        q = lexical.weigh(counts, df)
        qn = lexical.weigh(counts, df, native=True) if lang.startswith("zh") else None
        for k, (p, pn) in enumerate(profiles):
            p.cosine(q)
            if qn is not None:
                pn.cosine(qn)
            for v, n in zip(vecs[k * 3 : k * 3 + 3], nats[k * 3 : k * 3 + 3], strict=True):
                lexical.cosine(q, v)
                if qn is not None and n is not None:
                    lexical.cosine(qn, n)
    return (time.process_time() - t) / queries * 1000


def unit_rows(rng: np.random.Generator, centres: np.ndarray, n: int, noise: float) -> np.ndarray:
    idx = rng.integers(0, len(centres), n)
    v = centres[idx] + noise * rng.standard_normal((n, DIM)).astype(np.float32)
    out: np.ndarray = (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)
    return out


def bench_size(n: int, queries: int, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 3), DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    data = unit_rows(rng, centres, n, 0.05)
    cl = EventClusterer(ClusterConfig(window_days=3.0), DIM)
    ev = Evidence()
    texts = fixture_texts()
    terms = [lexical.terms(title, lead) for _, title, lead in texts]
    for c in terms:
        cl.df.add(c)
    t = time.perf_counter()
    for i in range(n):
        lang, title, _ = texts[i % len(texts)]
        cl.add_existing(
            ClusterMember(i, i // 3, lang, data[i], NOW, ev, title, terms[i % len(terms)])
        )
    fill_s = time.perf_counter() - t
    qv = unit_rows(rng, centres, queries, 0.05)
    picks = [texts[i % len(texts)] for i in range(queries)]
    items = [
        ClusterInput(n + i, lang, title, lead, NOW, qv[i])
        for i, (lang, title, lead) in enumerate(picks)
    ]
    t = time.perf_counter()
    c = time.process_time()
    next_event = 10**9
    for it in items:
        a = cl.assign(it, NOW)
        eid = a.event_id if a.event_id is not None else next_event
        next_event += a.event_id is None
        cl.add_member(it, eid, a.evidence)
    per_item_ms = (time.perf_counter() - t) / queries * 1000
    cpu_ms = (time.process_time() - c) / queries * 1000
    t = time.perf_counter()
    for q in qv:
        cl.index.search(q, 64)
    search_ms = (time.perf_counter() - t) / queries * 1000
    return {
        "rows": n,
        "ivf": bool(cl.index.is_ivf),
        "fill_s": round(fill_s, 2),
        "ms_per_item": round(per_item_ms, 3),
        "cpu_ms_per_item": round(cpu_ms, 3),
        "search_ms": round(search_ms, 3),
    }


def bench_embed(threads: int) -> dict[str, float]:
    from aggregator.cluster.embed import UseEmbedder

    texts = [
        f"Item {i}: magnitude 7.7 earthquake strikes central Myanmar near Mandalay, "
        "toppling buildings and shaking Bangkok"
        if i % 2
        else f"第{i}条：缅甸中部发生7.7级强烈地震，曼德勒多处建筑倒塌，泰国曼谷震感强烈"
        for i in range(400)
    ]
    emb = UseEmbedder(threads=threads)
    emb.embed(texts[:8])
    t = time.perf_counter()
    emb.embed(texts)
    rate = len(texts) / (time.perf_counter() - t)
    return {
        "threads": threads,
        "texts_per_s": round(rate, 1),
        "texts_per_s_per_core": round(rate / threads, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--embed", action="store_true", help="also time USE with threads=1 and 2")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    res: dict[str, object] = {"threads": args.threads, "sizes": []}
    lexical.glossary()  # loaded once per process, like the model
    res["lexical_cpu_ms_per_item"] = round(bench_lexical(args.queries), 3)
    print(f"lexical evidence alone: {res['lexical_cpu_ms_per_item']} ms CPU per item")
    res["lead_cpu_ms_per_item"] = round(bench_lead(), 4)
    print(f"lead without boilerplate: {res['lead_cpu_ms_per_item']} ms CPU per item")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for n in args.sizes:
            r = bench_size(n, args.queries)
            res["sizes"].append(r)  # type: ignore[attr-defined]
            print(
                f"{n:>9} rows  ivf={r['ivf']!s:<5}  fill {r['fill_s']:>6.1f} s  "
                f"{r['ms_per_item']:>7.3f} ms/item ({r['cpu_ms_per_item']:.3f} CPU)  "
                f"(search alone {r['search_ms']:.3f} ms)"
            )
    if args.embed:
        res["embed"] = [bench_embed(t) for t in (1, 2)]
        for e in res["embed"]:  # type: ignore[attr-defined]
            print(
                f"USE threads={e['threads']}: {e['texts_per_s']} texts/s "
                f"({e['texts_per_s_per_core']} per core)"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(res, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
