"""Evaluation of same-event clustering (cluster stage): labelled streams → P/R/F1 tables + JSON.

Reads /work/shared/datasets/wmt21-zh-en-news (override with $WMT21_DIR) and
tests/fixtures/events/events.jsonl; writes bench/results/cluster.json. I/O: files only.

Usage: .venv/bin/python bench/eval_cluster.py [--backend use|none] [--threads N] [--no-sweep]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aggregator.cluster.clusterer import (  # noqa: E402
    ClusterInput,
    EventClusterer,
    ScoreWeights,
    default_weights,
)
from aggregator.cluster.embed import Embedder, embedding_text, make_embedder  # noqa: E402
from aggregator.config import ClusterConfig  # noqa: E402

WMT_DIR = Path(os.environ.get("WMT21_DIR", "/work/shared/datasets/wmt21-zh-en-news"))
EVENTS = ROOT / "tests" / "fixtures" / "events" / "events.jsonl"
RESULTS = ROOT / "bench" / "results" / "cluster.json"

#: WMT21 chunks that our reading shows are the same news event (not twins of each other):
#: same headline (0/1), same Chongqing rain (30/63), same Navy Day parade (37/84), same app
#: governance campaign (44/80), same spy drama (77/88), same day's Beijing rain (14/71).
#: Pairs among them are counted as correct in the "lenient" precision only; the strict
#: figure treats them as errors. Judged from the headlines by the author of this bench.
WMT_SAME_EVENT = [(0, 1), (30, 63), (37, 84), (44, 80), (77, 88), (14, 71)]
T0 = datetime(2020, 7, 27, 12, 0, tzinfo=UTC)
#: Tuning split: the default join threshold, cross-lingual bonus and mean warm-up were picked on
#: WMT21 chunks 0–53 ("half A") plus the events fixture; chunks 54–107 ("half B") are held out.
HALF_A, HALF_B = range(0, 54), range(54, 108)
#: Random arrival orders of the WMT21 stream checked besides document order.
SHUFFLE_SEEDS = 5
PROTOCOL = (
    "W_* weights: hand-tuned before centring on the events fixture + all WMT21 (dev figures). "
    "join_score, cross_lingual_bonus, mean_prior_items (centred scorer): grid-picked on WMT21 "
    "chunks 0-53 in 5 random arrival orders (best pair precision with twin recall >= 0.95), with "
    "events pairwise F1 >= 0.90 as a constraint; chunks 54-107 (wmt21_half_b, "
    "wmt21_half_b_shuffled) held out, never used for a choice. The events fixture is a dev set "
    "(headlines written from memory by an assistant; weights were tuned on it). wmt21 (all 108) "
    "mixes both halves. *_shuffled: the stream in 5 random arrival orders (in document order "
    "a chunk's zh and en copies arrive back to back, which flatters the clusterer). Strict WMT "
    "precision counts every non-twin pair as wrong, including chunks our reading judged to be "
    "the same event (WMT_SAME_EVENT; lenient counts those right)."
)


# -- metrics ---------------------------------------------------------------------------------
def pairs_of(labels: Sequence[Any]) -> set[tuple[int, int]]:
    groups: dict[Any, list[int]] = defaultdict(list)
    for i, lab in enumerate(labels):
        groups[lab].append(i)
    return {(a, b) for g in groups.values() for a, b in itertools.combinations(g, 2)}


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 1.0
    r = tp / n_gold if n_gold else 1.0
    return {"p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def pairwise(gold: Sequence[Any], pred: Sequence[Any]) -> dict[str, float]:
    g, p = pairs_of(gold), pairs_of(pred)
    return prf(len(g & p), len(p), len(g))


def bcubed(gold: Sequence[Any], pred: Sequence[Any]) -> dict[str, float]:
    gi: dict[Any, set[int]] = defaultdict(set)
    pi: dict[Any, set[int]] = defaultdict(set)
    for i, (a, b) in enumerate(zip(gold, pred, strict=True)):
        gi[a].add(i)
        pi[b].add(i)
    ps, rs = [], []
    for a, b in zip(gold, pred, strict=True):
        inter = len(gi[a] & pi[b])
        ps.append(inter / len(pi[b]))
        rs.append(inter / len(gi[a]))
    p, r = float(np.mean(ps)), float(np.mean(rs))
    return {"p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def per_lang_pair(
    gold: Sequence[Any], pred: Sequence[Any], langs: Sequence[str]
) -> dict[str, dict[str, float]]:
    g, p = pairs_of(gold), pairs_of(pred)
    out = {}
    keys = sorted({"/".join(sorted((langs[a], langs[b]))) for a, b in g | p})
    for k in keys:
        sel = {(a, b) for a, b in g | p if "/".join(sorted((langs[a], langs[b]))) == k}
        gs, ps = g & sel, p & sel
        out[k] = prf(len(gs & ps), len(ps), len(gs)) | {"gold_pairs": len(gs)}
    return out


# -- streaming -------------------------------------------------------------------------------
def stream(
    inputs: Sequence[ClusterInput],
    dim: int,
    weights: ScoreWeights,
    window_days: float = 3.0,
    priors: dict[str, np.ndarray] | None = None,
) -> tuple[list[int], list[dict[str, Any]]]:
    """Feed items in order through a fresh clusterer; returns event ids and decisions."""
    cfg = ClusterConfig(window_days=window_days)
    cl = EventClusterer(cfg, dim, weights=weights, mean_priors=priors)
    next_id, out, decisions = 1, [], []
    for it in inputs:
        a = cl.assign(it, now=it.at)
        eid = a.event_id
        if eid is None:
            eid, next_id = next_id, next_id + 1
        cl.add_member(it, eid, a.evidence)
        out.append(eid)
        decisions.append(
            {"item": it.item_id, "rule": a.rule, "score": round(a.score, 4), "features": a.features}
        )
    return out, decisions


def wmt_inputs(emb: Embedder) -> tuple[list[ClusterInput], np.ndarray, np.ndarray]:
    docs = [json.loads(x) for x in (WMT_DIR / "newstest2021.zh-en.docs.jsonl").open()]
    texts: dict[str, list[tuple[str, str]]] = {"zh": [], "en": []}
    for d in docs:
        for lang in ("zh", "en"):
            lines = d[f"{lang}_text"].split("\n")
            title = d[f"{lang}_title"] or lines[0]
            texts[lang].append((title, " ".join(lines[1:])))
    vz = emb.embed([embedding_text(t, ld) for t, ld in texts["zh"]])
    ve = emb.embed([embedding_text(t, ld) for t, ld in texts["en"]])
    inputs = []
    for k in range(len(docs)):  # doc order, zh feed and en feed interleaved
        for lang, v in (("zh", vz), ("en", ve)):
            t, ld = texts[lang][k]
            inputs.append(ClusterInput(2 * k + (lang == "en"), lang, t, ld, T0, v[k]))
    return inputs, vz, ve


def enzh_prior_means(emb: Embedder) -> dict[str, np.ndarray]:
    """Per-language mean vectors from the WMT21 *en-zh* direction (English-original BBC etc.
    articles and their human Chinese translation ref.A: different articles from the zh-en
    chunks we evaluate on), cut into 4-line pseudo items (title + 3 lines of lead). Only the
    "centre_prior_enzh" variant uses them; the shipped clusterer warms up from zero."""
    out = {}
    for lang, name in (("en", "newstest2021.en-zh.src.en"), ("zh", "newstest2021.en-zh.ref.A.zh")):
        lines = (WMT_DIR / name).read_text(encoding="utf-8").split("\n")
        texts = [
            embedding_text(lines[i], " ".join(lines[i + 1 : i + 4]))
            for i in range(0, len(lines) - 3, 4)
        ]
        out[lang] = emb.embed(texts).mean(axis=0)
    return out


def wmt_subset(
    inputs: list[ClusterInput], vz: np.ndarray, ve: np.ndarray, docs: range
) -> tuple[list[ClusterInput], np.ndarray, np.ndarray]:
    """The stream restricted to chunks ``docs`` (contiguous), re-indexed from 0."""
    sub = [
        replace(x, item_id=x.item_id - 2 * docs.start)
        for x in inputs
        if docs.start <= x.item_id // 2 < docs.stop
    ]
    return sub, vz[docs.start : docs.stop], ve[docs.start : docs.stop]


def same_event_pairs(first_doc: int) -> set[frozenset[int]]:
    """Stream positions (zh = 2k, en = 2k + 1, counted from ``first_doc``) of the chunk
    pairs in WMT_SAME_EVENT: pairs the lenient precision accepts."""
    return {
        frozenset((2 * (a - first_doc) + x, 2 * (b - first_doc) + y))
        for a, b in WMT_SAME_EVENT
        for x in (0, 1)
        for y in (0, 1)
    }


def eval_wmt(
    inputs: list[ClusterInput],
    vz: np.ndarray,
    ve: np.ndarray,
    dim: int,
    weights: ScoreWeights,
    priors: dict[str, np.ndarray] | None = None,
    first_doc: int = 0,
) -> dict[str, Any]:
    """``first_doc``: chunk number of ``inputs``' doc 0 (for WMT_SAME_EVENT on a subset)."""
    pred, _ = stream(inputs, dim, weights, priors=priors)
    n = len(vz)
    recall = float(np.mean([pred[2 * k] == pred[2 * k + 1] for k in range(n)]))
    pp = pairs_of(pred)
    same = same_event_pairs(first_doc)
    twin = [(a, b) for a, b in pp if a // 2 == b // 2]
    lenient = [(a, b) for a, b in pp if a // 2 == b // 2 or frozenset((a, b)) in same]
    p1 = float(np.mean(np.argmax(vz @ ve.T, axis=1) == np.arange(n)))
    return {
        "docs": n,
        "twin_recall": recall,
        "pair_precision": len(twin) / len(pp) if pp else 1.0,
        "pair_precision_lenient": len(lenient) / len(pp) if pp else 1.0,
        "pairs_predicted": len(pp),
        "events": len(set(pred)),
        "p_at_1_zh_to_en": p1,
    }


def eval_wmt_shuffled(
    inputs: list[ClusterInput],
    dim: int,
    weights: ScoreWeights,
    priors: dict[str, np.ndarray] | None = None,
    seeds: int = SHUFFLE_SEEDS,
    first_doc: int = 0,
) -> dict[str, Any]:
    """The WMT21 stream in random orders (a twin's zh and en copies arrive far apart, as two
    feeds would deliver them): mean and worst twin recall / pair precision over ``seeds``."""
    same = same_event_pairs(first_doc)
    runs: dict[str, list[float]] = defaultdict(list)
    for seed in range(seeds):
        order = np.random.default_rng(seed).permutation(len(inputs)).tolist()
        shuffled = [inputs[i] for i in order]
        pred, _ = stream(shuffled, dim, weights, priors=priors)
        by_id = {x.item_id: e for x, e in zip(shuffled, pred, strict=True)}
        lab = [by_id[i] for i in range(len(inputs))]
        pp = pairs_of(lab)
        twin = sum(a // 2 == b // 2 for a, b in pp)
        lenient = sum(a // 2 == b // 2 or frozenset((a, b)) in same for a, b in pp)
        runs["twin_recall"].append(
            float(np.mean([lab[2 * k] == lab[2 * k + 1] for k in range(len(inputs) // 2)]))
        )
        runs["pair_precision"].append(twin / len(pp) if pp else 1.0)
        runs["pair_precision_lenient"].append(lenient / len(pp) if pp else 1.0)
    out: dict[str, Any] = {"seeds": seeds}
    for k, v in runs.items():
        out[k] = float(np.mean(v))
        out[k + "_min"] = float(np.min(v))
    return out


def event_inputs(emb: Embedder, compress: bool) -> tuple[list[ClusterInput], list[str], list[str]]:
    rows = [json.loads(x) for x in EVENTS.open()]
    rows.sort(key=lambda r: (r["published_at"], r["id"]))
    vecs = emb.embed([embedding_text(r["title"], r["lead"]) for r in rows])
    inputs = []
    for r, v in zip(rows, vecs, strict=True):
        at = datetime.fromisoformat(r["published_at"].replace("Z", "+00:00"))
        inputs.append(
            ClusterInput(r["id"], r["lang"], r["title"], r["lead"], T0 if compress else at, v)
        )
    if compress:  # every story on one day, in a fixed shuffled order: hard negatives meet
        order = np.random.default_rng(0).permutation(len(rows)).tolist()
        inputs = [inputs[i] for i in order]
        rows = [rows[i] for i in order]
    return inputs, [r["event"] for r in rows], [r["lang"] for r in rows]


def eval_events(
    inputs: list[ClusterInput],
    gold: list[str],
    langs: list[str],
    dim: int,
    weights: ScoreWeights,
    priors: dict[str, np.ndarray] | None = None,
) -> dict[str, Any]:
    pred, decisions = stream(inputs, dim, weights, priors=priors)
    errors = []
    for i, j in itertools.combinations(range(len(gold)), 2):
        if (gold[i] == gold[j]) != (pred[i] == pred[j]):
            kind = "split" if gold[i] == gold[j] else "merge"
            errors.append(
                f"{kind}: {inputs[i].item_id}:{inputs[i].title[:40]} | "
                f"{inputs[j].item_id}:{inputs[j].title[:40]}"
            )
    return {
        "items": len(gold),
        "gold_events": len(set(gold)),
        "pred_events": len(set(pred)),
        "pairwise": pairwise(gold, pred),
        "bcubed": bcubed(gold, pred),
        "per_language_pair": per_lang_pair(gold, pred, langs),
        "errors": errors[:40],
        "decisions": decisions,
    }


def run(backend: str, threads: int, sweep: bool) -> dict[str, Any]:
    emb = make_embedder(ClusterConfig(backend=backend, threads=threads))
    t = time.perf_counter()
    wi, vz, ve = wmt_inputs(emb)
    real = event_inputs(emb, compress=False)
    comp = event_inputs(emb, compress=True)
    embed_s = time.perf_counter() - t
    priors = enzh_prior_means(emb)
    half_a, half_b = wmt_subset(wi, vz, ve, HALF_A), wmt_subset(wi, vz, ve, HALF_B)
    base = default_weights(emb.name)
    variants: dict[str, tuple[ScoreWeights, dict[str, np.ndarray] | None]] = {
        "full": (base, None),
        # the scorer before centring (its own bonus 0.05)
        "no_centre": (replace(base, centre=False, cross_lingual_bonus=0.05), None),
        "centre_prior_enzh": (replace(base, mean_prior_items=20.0), priors),
        "cosine_only": (replace(base, w_shared=0.0, w_conflict=0.0, w_time=0.0), None),
        "no_conflict": (replace(base, w_conflict=0.0), None),
    }
    res: dict[str, Any] = {
        "backend": emb.name,
        "embed_seconds": round(embed_s, 2),
        "weights": base.__dict__,
        "protocol": PROTOCOL,
        "variants": {},
    }
    for name, (w, pri) in variants.items():
        res["variants"][name] = {
            "wmt21": eval_wmt(wi, vz, ve, emb.dim, w, pri),
            "wmt21_half_a": eval_wmt(*half_a, emb.dim, w, pri, first_doc=HALF_A.start),
            "wmt21_half_b": eval_wmt(*half_b, emb.dim, w, pri, first_doc=HALF_B.start),
            "wmt21_shuffled": eval_wmt_shuffled(wi, emb.dim, w, pri),
            "wmt21_half_a_shuffled": eval_wmt_shuffled(
                half_a[0], emb.dim, w, pri, first_doc=HALF_A.start
            ),
            "wmt21_half_b_shuffled": eval_wmt_shuffled(
                half_b[0], emb.dim, w, pri, first_doc=HALF_B.start
            ),
            "events_real_time": eval_events(*real, emb.dim, w, pri),
            "events_same_day": eval_events(*comp, emb.dim, w, pri),
        }
        if name != "full":  # per-item decisions of the shipped scorer only (file size)
            for part in ("events_real_time", "events_same_day"):
                del res["variants"][name][part]["decisions"]
    if sweep:
        res["sweep"] = []
        for j in np.arange(0.50, 0.71, 0.025):
            w = replace(base, join_score=float(j))
            a = eval_wmt(*half_a, emb.dim, w, first_doc=HALF_A.start)
            b = eval_wmt(*half_b, emb.dim, w, first_doc=HALF_B.start)
            res["sweep"].append(
                {
                    "join_score": round(float(j), 3),
                    "half_a_recall": a["twin_recall"],
                    "half_a_precision": a["pair_precision"],
                    "half_b_recall": b["twin_recall"],
                    "half_b_precision": b["pair_precision"],
                    "events_f1": eval_events(*real, emb.dim, w)["pairwise"]["f1"],
                    "events_same_day_f1": eval_events(*comp, emb.dim, w)["pairwise"]["f1"],
                }
            )
    return res


def print_table(res: dict[str, Any]) -> None:
    print(f"backend={res['backend']}  embed {res['embed_seconds']} s")
    print(res["protocol"])
    print(
        f"{'variant':<18} {'WMT rec':>8} {'WMT P':>7} {'P(len)':>7} {'P@1':>6} | "
        f"{'ev pw P':>7} {'R':>6} {'F1':>6} {'B3 F1':>6} | {'same-day pw F1':>14} {'B3 F1':>6}"
    )
    for name, v in res["variants"].items():
        w, e, c = v["wmt21"], v["events_real_time"], v["events_same_day"]
        print(
            f"{name:<18} {w['twin_recall']:>8.3f} {w['pair_precision']:>7.3f} "
            f"{w['pair_precision_lenient']:>7.3f} {w['p_at_1_zh_to_en']:>6.3f} | "
            f"{e['pairwise']['p']:>7.3f} {e['pairwise']['r']:>6.3f} {e['pairwise']['f1']:>6.3f} "
            f"{e['bcubed']['f1']:>6.3f} | {c['pairwise']['f1']:>14.3f} {c['bcubed']['f1']:>6.3f}"
        )
    print("\nWMT21 halves: twin recall / pair precision / lenient (A = tuning, B = held out)")
    for name, v in res["variants"].items():
        a, b = v["wmt21_half_a"], v["wmt21_half_b"]
        print(
            f"{name:<18} A {a['twin_recall']:.3f} / {a['pair_precision']:.3f} / "
            f"{a['pair_precision_lenient']:.3f}   B {b['twin_recall']:.3f} / "
            f"{b['pair_precision']:.3f} / {b['pair_precision_lenient']:.3f}"
        )
    print("\nWMT21 in random arrival orders: mean (worst) twin recall / pair precision / lenient")
    for part in ("wmt21_shuffled", "wmt21_half_a_shuffled", "wmt21_half_b_shuffled"):
        print(f"  {part}")
        for name, v in res["variants"].items():
            r = v[part]
            print(
                f"  {name:<18} {r['twin_recall']:.3f} ({r['twin_recall_min']:.3f}) / "
                f"{r['pair_precision']:.3f} ({r['pair_precision_min']:.3f}) / "
                f"{r['pair_precision_lenient']:.3f} ({r['pair_precision_lenient_min']:.3f})"
            )
    full = res["variants"]["full"]
    print("\nper language pair (full, real time; same day):")
    for k, m in full["events_real_time"]["per_language_pair"].items():
        c = full["events_same_day"]["per_language_pair"].get(k, {})
        print(
            f"  {k:<16} P {m['p']:.3f} R {m['r']:.3f} F1 {m['f1']:.3f} (gold {m['gold_pairs']})"
            f"; same day F1 {c.get('f1', float('nan')):.3f}"
        )
    for name in ("events_real_time", "events_same_day"):
        errs = full[name]["errors"]
        print(f"\n{name}: {len(errs)} wrong pairs" + ("" if not errs else ":"))
        for e in errs[:15]:
            print("  " + e)
    if "sweep" in res:
        print("\njoin_score sweep: WMT half A rec / P, half B rec / P, events F1 real / same day")
        for s in res["sweep"]:
            print(
                f"  {s['join_score']:.3f}  {s['half_a_recall']:.3f} {s['half_a_precision']:.3f}  "
                f"{s['half_b_recall']:.3f} {s['half_b_precision']:.3f}  "
                f"{s['events_f1']:.3f} {s['events_same_day_f1']:.3f}"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--backend", default="use", choices=("use", "none", "e5"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-sweep", action="store_true")
    args = ap.parse_args()
    res = run(args.backend, args.threads, not args.no_sweep)
    print_table(res)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    out = RESULTS if args.backend == "use" else RESULTS.with_name(f"cluster-{args.backend}.json")
    out.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str) + "\n")
    print(f"\nwrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
