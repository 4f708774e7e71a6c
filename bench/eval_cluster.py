"""Evaluation of same-event clustering (cluster stage): labelled streams → P/R/F1 tables + JSON.

Parts (all by default; ``--only PART`` runs one, repeatable):

- ``core``: WMT21 zh↔en (document order, halves, 5 random arrival orders) and the bilingual
  events fixture, for the shipped scorer and its ablations (``EventClusterer`` fed directly,
  ``now`` = each item's time) → bench/results/cluster.json.
- ``semeval``: SemEval-2022 Task 8 same-story pairs (bench/semeval.py): the whole pool of
  1,060 articles, dates shifted to the present, clustered in one poll through the daemon's
  cluster stage (``EventBuilder.cluster_pending`` on a fresh SQLite store); a pair is judged
  "same event" when both articles got the same event id. Beside it a TF-IDF cosine baseline
  judged pair by pair, thresholds chosen on the dev half → bench/results/cluster_semeval.json.
- ``backfill``: the same streams through ``EventBuilder`` live (dated now, polled as they come)
  and as a backfill (every date 400 days back, one poll now); must give identical events
  → bench/results/cluster_backfill.json.

Every set has a dev half (settings may be chosen on it) and a held-out test half, reported side
by side: WMT21 chunks 0–53 / 54–107; SemEval by a hash of each pair's connected component;
the events fixture by a hash of the event name (the whole fixture was used for tuning before
this split existed, so its "test" half is held out only for choices made from now on).

Reads /work/shared/datasets/wmt21-zh-en-news ($WMT21_DIR),
/work/shared/datasets/semeval2022-task8-texts ($SEMEVAL_TEXTS_DIR) and
tests/fixtures/events/events.jsonl. I/O: those files, temporary SQLite stores, bench/results/.

Usage: .venv/bin/python bench/eval_cluster.py [--only core|semeval|backfill]
           [--backend use|none|e5] [--threads N] [--no-sweep] [--results-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import semeval  # noqa: E402  (bench/, next to this script)
import tfidf  # noqa: E402

from aggregator.cluster.boilerplate import story_lead  # noqa: E402
from aggregator.cluster.clusterer import (  # noqa: E402
    ClusterInput,
    EventClusterer,
    ScoreWeights,
    default_weights,
)
from aggregator.cluster.embed import Embedder, embedding_text, make_embedder  # noqa: E402
from aggregator.config import ClusterConfig, from_dict  # noqa: E402
from aggregator.models import Item  # noqa: E402
from aggregator.pipeline.cluster_pass import EventBuilder  # noqa: E402
from aggregator.store.core import Store, utc_iso  # noqa: E402

WMT_DIR = Path(os.environ.get("WMT21_DIR", "/work/shared/datasets/wmt21-zh-en-news"))
EVENTS = ROOT / "tests" / "fixtures" / "events" / "events.jsonl"
RESULTS_DIR = ROOT / "bench" / "results"
PARTS = ("core", "semeval", "backfill")
#: Result file of each part (``-BACKEND`` appended for a backend other than use).
RESULT_FILES = {"core": "cluster", "semeval": "cluster_semeval", "backfill": "cluster_backfill"}
#: How far the backfill run moves every date into the past (issue 13, item 1).
BACKFILL_SHIFT = timedelta(days=400)
#: Dev errors listed per SemEval run (test-half errors are only counted, never listed).
MAX_LISTED_ERRORS = 60

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
        for other in a.merge_with:  # later evidence that two open events are one
            if other == eid or not cl.has_event(other):
                continue
            keep, drop = min(eid, other), max(eid, other)
            cl.merge_events(keep, drop)
            out = [keep if e == drop else e for e in out]
            eid = keep
        decisions.append(
            {"item": it.item_id, "rule": a.rule, "score": round(a.score, 4), "features": a.features}
        )
    return out, decisions


def wmt_texts() -> list[dict[str, tuple[str, str]]]:
    """Per WMT21 chunk, ``{"zh": (title, lead), "en": (title, lead)}`` in document order."""
    docs = [json.loads(x) for x in (WMT_DIR / "newstest2021.zh-en.docs.jsonl").open()]
    out = []
    for d in docs:
        chunk = {}
        for lang in ("zh", "en"):
            lines = d[f"{lang}_text"].split("\n")
            chunk[lang] = (d[f"{lang}_title"] or lines[0], " ".join(lines[1:]))
        out.append(chunk)
    return out


def wmt_inputs(
    emb: Embedder, clean: bool = True
) -> tuple[list[ClusterInput], np.ndarray, np.ndarray]:
    """The WMT21 stream; ``clean``: leads read as the daemon reads them (``story_lead``)."""
    chunks = wmt_texts()
    docs = chunks
    lead = story_lead if clean else str
    texts = {lang: [(c[lang][0], lead(c[lang][1])) for c in chunks] for lang in ("zh", "en")}
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


def strict_ceiling(docs: range) -> float:
    """Strict pair precision of the clustering that joins each chunk's twins and, beyond them,
    only the chunks of WMT_SAME_EVENT (every pair of those groups is a same-event pair our
    reading accepts): the strict figure a clusterer that joins same-event reports cannot
    beat. The groups are disjoint chunk pairs, 4 items each: 6 pairs, 2 of them twins."""
    groups = [(a, b) for a, b in WMT_SAME_EVENT if a in docs and b in docs]
    twins = len(docs)
    return twins / (twins + 4 * len(groups))


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


def event_inputs(
    emb: Embedder, compress: bool, clean: bool = True
) -> tuple[list[ClusterInput], list[str], list[str]]:
    rows = [json.loads(x) for x in EVENTS.open()]
    if clean:
        rows = [r | {"lead": story_lead(r["lead"])} for r in rows]
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
        "split": events_split(gold, pred),
        "errors": errors[:40],
        "decisions": decisions,
    }


def events_split(gold: Sequence[str], pred: Sequence[Any]) -> dict[str, Any]:
    """Pairwise P/R/F1 of the fixture's dev and test halves (events split by
    ``semeval.split_of(event name)``) from one run over the whole stream: a half holds the
    item pairs whose two gold events are both in it. Pairs across halves are gold-different;
    those the run merged are counted apart (``cross_half_false_merges``)."""
    half = [semeval.split_of(g) for g in gold]
    gp, pp = pairs_of(gold), pairs_of(pred)
    out: dict[str, Any] = {}
    for name in ("dev", "test"):
        sel = {(a, b) for a, b in gp | pp if half[a] == half[b] == name}
        g, p = gp & sel, pp & sel
        out[name] = prf(len(g & p), len(p), len(g)) | {
            "events": len({x for x, h in zip(gold, half, strict=True) if h == name}),
            "items": half.count(name),
            "gold_pairs": len(g),
        }
    out["cross_half_false_merges"] = sum(half[a] != half[b] for a, b in pp)
    return out


def run(emb: Embedder, sweep: bool) -> dict[str, Any]:
    """The ``core`` part: WMT21 and the events fixture, every scorer variant."""
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
        "wmt_strict_ceiling": {
            "wmt21_shuffled": strict_ceiling(range(108)),
            "wmt21_half_a_shuffled": strict_ceiling(HALF_A),
            "wmt21_half_b_shuffled": strict_ceiling(HALF_B),
        },
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
    print("\nevents fixture, dev / test halves (events split by a hash of their name; the whole")
    print("fixture was used for tuning before this split, see protocol), pairwise P / R / F1:")
    for part in ("events_real_time", "events_same_day"):
        sp = full[part]["split"]
        d, t = sp["dev"], sp["test"]
        print(
            f"  {part:<17} dev ({d['events']} ev, {d['gold_pairs']} pairs) {d['p']:.3f} / "
            f"{d['r']:.3f} / {d['f1']:.3f}   test ({t['events']} ev, {t['gold_pairs']} pairs) "
            f"{t['p']:.3f} / {t['r']:.3f} / {t['f1']:.3f}   merges across halves "
            f"{sp['cross_half_false_merges']}"
        )
    print("\nWMT21, 5 random arrival orders, shipped scorer: twin recall / strict pair precision,")
    print("mean (worst); goal (issue 13): precision >= 0.95 at recall >= 0.97, worst P >= 0.90")
    for label, part in (
        ("all 108 chunks", "wmt21_shuffled"),
        ("dev: chunks 0-53", "wmt21_half_a_shuffled"),
        ("test: chunks 54-107", "wmt21_half_b_shuffled"),
    ):
        r = full[part]
        print(
            f"  {label:<20} {r['twin_recall']:.3f} ({r['twin_recall_min']:.3f}) / "
            f"{r['pair_precision']:.3f} ({r['pair_precision_min']:.3f})   lenient "
            f"{r['pair_precision_lenient']:.3f} ({r['pair_precision_lenient_min']:.3f})   "
            f"strict ceiling {res['wmt_strict_ceiling'][part]:.3f}"
        )
    print(
        "  (strict ceiling: the strict precision of twins + the WMT_SAME_EVENT chunks joined,\n"
        "   i.e. the best a clusterer that joins same-event reports can score; lenient counts\n"
        "   those pairs right)"
    )


# -- the daemon's cluster stage: EventBuilder on a temporary SQLite store -------------------------
class CachedEmbedder:
    """Embeds each distinct text once per run and hands back the same vector after, so the
    parts, and the live and backfill runs of one stream, see identical vectors (the backfill
    comparison then tests the clustering only). ``seconds``: time spent in the model."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.seconds = 0.0
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            t0 = time.perf_counter()
            vecs = self.inner.embed(missing)
            self.seconds += time.perf_counter() - t0
            for text, v in zip(missing, vecs, strict=True):
                self._cache[text] = np.asarray(v, dtype=np.float32)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])


@dataclass(frozen=True)
class StreamItem:
    """One item of a labelled stream, as a feed would deliver it."""

    key: str
    lang: str
    title: str
    text: str
    at: datetime


def daemon_events(
    items: Sequence[StreamItem],
    emb: Embedder,
    threads: int,
    *,
    poll_at: datetime | None,
    weights: ScoreWeights | None = None,
) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
    """Cluster ``items`` through the daemon's cluster stage on a fresh temporary store.

    ``poll_at`` set: every item is stored as fetched at ``poll_at`` (summary and text = the
    item's text), then one ``EventBuilder.cluster_pending(poll_at)``: a first poll, an archive
    import. ``poll_at`` None: live, each item stored when published and clustered at that time
    (one poll per item, in the given order). Returns ``key → event id`` and ``key → its
    cluster decision`` (rule, score, features as stored in ``decisions``). ``weights``: the
    scorer's, else the shipped ones for ``emb``."""
    with tempfile.TemporaryDirectory(prefix="eval_cluster-") as tmp:
        cfg = from_dict(
            {"store": {"path": str(Path(tmp) / "eval.db")}, "cluster": {"threads": threads}},
            base_dir=Path(tmp),
        )
        store = Store.open(cfg.store_path, cfg.store)
        try:
            builder = EventBuilder(cfg, store, emb, weights=weights)
            feeds: dict[str, int] = {}

            def insert(it: StreamItem, fetched: datetime) -> None:
                fid = feeds.get(it.lang)
                if fid is None:
                    url = f"https://eval.invalid/{it.lang}.xml"
                    fid = feeds[it.lang] = store.add_feed(url, now=fetched)
                store.insert_item(
                    Item(
                        feed_id=fid,
                        guid=it.key,
                        url=None,
                        canonical_url=None,
                        title=it.title,
                        summary=it.text,
                        content_html="",
                        content_text=it.text,
                        lang=it.lang,
                        published_at=utc_iso(it.at),
                        fetched_at=utc_iso(fetched),
                        content_hash=hashlib.sha1(it.key.encode("utf-8")).hexdigest(),
                    )
                )

            if poll_at is not None:
                with store.transaction():
                    for it in items:
                        insert(it, poll_at)
                builder.cluster_pending(poll_at)
            else:
                for it in items:
                    with store.transaction():
                        insert(it, it.at)
                    builder.cluster_pending(it.at)
            rows = store.rows(
                "SELECT i.guid, i.event_id, d.rule, d.score, d.features FROM items i"
                " LEFT JOIN decisions d ON d.item_id = i.id AND d.stage = 'cluster'"
            )
        finally:
            store.close()
    events = {r["guid"]: int(r["event_id"]) for r in rows}
    decisions = {
        r["guid"]: {"rule": r["rule"], "score": r["score"], **json.loads(r["features"] or "{}")}
        for r in rows
    }
    return events, decisions


def partition(events: Mapping[str, int]) -> set[frozenset[str]]:
    groups: dict[int, set[str]] = defaultdict(set)
    for key, eid in events.items():
        groups[eid].add(key)
    return {frozenset(g) for g in groups.values()}


def stream_shape(events: Mapping[str, int]) -> dict[str, int]:
    sizes = [len(g) for g in partition(events)]
    return {
        "items": len(events),
        "events": len(sizes),
        "multi_item_events": sum(s > 1 for s in sizes),
        "same_event_pairs": sum(s * (s - 1) // 2 for s in sizes),
    }


def key_pairs(events: Mapping[str, int]) -> set[frozenset[str]]:
    return {frozenset(p) for g in partition(events) for p in itertools.combinations(sorted(g), 2)}


# -- part "semeval" -------------------------------------------------------------------------------
SEMEVAL_PROTOCOL = (
    "SemEval-2022 Task 8 training pairs with text (shared/datasets/semeval2022-task8-texts; "
    "Chinese = machine translation of English articles). Same story: Overall <= 1.5; "
    "different: Overall >= 3.0; pairs in between are left out of P/R/F1 (its README). "
    "aggregator: the whole pool (1,060 articles) with dates shifted so the newest is 2 h old, "
    "stored and clustered in one poll through EventBuilder.cluster_pending (the daemon's "
    "cluster stage; no near-duplicate stage), a pair is 'same' when both articles got the "
    "same event id. tfidf: cosine of title + text (<= 2,500 chars), Latin words + Chinese "
    "character bigrams, sublinear tf x ln(N/df) with df over the pool's 1,060 articles (no "
    "labels), judged pair by pair; thresholds chosen on the dev half only (max F1, middle of "
    "the tied candidates). Split: connected components of the pair graph over original "
    "article ids (translations with their originals), half = parity of the first SHA-1 byte "
    "of the component's smallest id. Dev errors are listed; test errors only counted."
)


def semeval_stream(
    arts: Mapping[str, semeval.Article], times: Mapping[str, datetime]
) -> list[StreamItem]:
    return [
        StreamItem(k, "zh-Hans" if a.lang == "zh" else a.lang, a.title, a.text, times[k])
        for k, a in sorted(arts.items())
    ]


def tfidf_scores(
    arts: Mapping[str, semeval.Article], pairs: Sequence[semeval.Pair]
) -> dict[str, float]:
    toks = {k: tfidf.tokens(f"{a.title} {a.text}") for k, a in arts.items()}
    model = tfidf.TfIdf(toks.values())
    vec = {k: model.vector(t) for k, t in toks.items()}
    return {p.pair_id: tfidf.cosine(vec[p.a], vec[p.b]) for p in pairs}


def dev_threshold(
    pairs: Sequence[semeval.Pair], score: Mapping[str, float], lang_pair: str | None = None
) -> float:
    sel = [
        p
        for p in pairs
        if p.split == "dev" and p.label is not None and lang_pair in (None, p.lang_pair)
    ]
    th, _ = tfidf.best_threshold([score[p.pair_id] for p in sel], [bool(p.label) for p in sel])
    return th


def tfidf_baseline(
    arts: Mapping[str, semeval.Article], pairs: Sequence[semeval.Pair]
) -> dict[str, Any]:
    score = tfidf_scores(arts, pairs)
    one = dev_threshold(pairs, score)
    per = {lp: dev_threshold(pairs, score, lp) for lp in semeval.LANG_PAIRS}
    return {
        "one_threshold": {
            "threshold": round(one, 4),
            "figures": semeval.judge(pairs, {k: s >= one for k, s in score.items()}),
        },
        "per_language_pair": {
            "thresholds": {k: round(v, 4) for k, v in per.items()},
            "figures": semeval.judge(
                pairs, {p.pair_id: score[p.pair_id] >= per[p.lang_pair] for p in pairs}
            ),
        },
        "scores": {k: round(v, 4) for k, v in score.items()},
    }


def _decision_brief(d: Mapping[str, Any]) -> dict[str, Any]:
    keep = (
        "rule",
        "score",
        "event_id",
        "nearest_event_id",
        "cos_max",
        "cos_max_adj",
        "cos_mean_topk",
        "cross_lingual",
        "dt_days",
        "shared",
        "conflicts",
        "members",
    )
    return {k: d[k] for k in keep if k in d}


def run_semeval(emb: Embedder, threads: int, now: datetime) -> dict[str, Any]:
    arts, pairs = semeval.load()
    times = semeval.shift_to(arts, now)
    t0, c0 = time.perf_counter(), time.process_time()
    events, decisions = daemon_events(semeval_stream(arts, times), emb, threads, poll_at=now)
    cluster_wall, cluster_cpu = time.perf_counter() - t0, time.process_time() - c0
    same = {p.pair_id: events[p.a] == events[p.b] for p in pairs}
    base = tfidf_baseline(arts, pairs)
    errors = []
    for p in pairs:
        if p.split != "dev" or p.label is None or same[p.pair_id] == p.label:
            continue
        later, earlier = sorted((p.a, p.b), key=lambda k: (times[k], k), reverse=True)
        errors.append(
            {
                "pair_id": p.pair_id,
                "kind": "missed (split)" if p.label else "false merge",
                "lang_pair": p.lang_pair,
                "overall": round(p.overall, 3),
                "tfidf": base["scores"][p.pair_id],
                "titles": [arts[p.a].title[:90], arts[p.b].title[:90]],
                "later_item": {"key": later, **_decision_brief(decisions[later])},
                "earlier_item": {"key": earlier, **_decision_brief(decisions[earlier])},
            }
        )
    return {
        "backend": emb.name,
        "protocol": SEMEVAL_PROTOCOL,
        "newest_article_at": utc_iso(max(times.values())),
        "counts": semeval.counts(pairs),
        "stream": stream_shape(events),
        "cluster_seconds": {"wall": round(cluster_wall, 2), "cpu": round(cluster_cpu, 2)},
        "aggregator": semeval.judge(pairs, same),
        "tfidf": base,
        "dev_errors": errors[:MAX_LISTED_ERRORS],
        "dev_error_count": len(errors),
        "test_error_count": sum(
            1
            for p in pairs
            if p.split == "test" and p.label is not None and same[p.pair_id] != p.label
        ),
    }


def print_semeval(res: dict[str, Any]) -> None:
    print(res["protocol"])
    c = res["counts"]
    print(
        "labelled pairs (same / different / left out): "
        + ", ".join(
            f"{s} {c[s]['same_story']} / {c[s]['different']} / {c[s]['left_out']}"
            for s in semeval.SPLITS
        )
    )
    st = res["stream"]
    print(
        f"aggregator pool: {st['items']} items -> {st['events']} events "
        f"({st['multi_item_events']} with > 1 item); clustering {res['cluster_seconds']['wall']} s"
        " wall"
    )
    hdr = "".join(f" | {s + ' P / R / F1 (+/-)':<29}" for s in semeval.SPLITS)
    print(f"{'system':<30} {'pair':<6}{hdr}")
    t = res["tfidf"]
    th = t["per_language_pair"]["thresholds"]
    rows = [
        ("aggregator (same event id)", res["aggregator"]),
        (
            f"tfidf, one dev threshold {t['one_threshold']['threshold']:.3f}",
            t["one_threshold"]["figures"],
        ),
        ("tfidf, dev threshold per pair", t["per_language_pair"]["figures"]),
    ]
    for name, fig in rows:
        for i, lp in enumerate((*semeval.LANG_PAIRS, "pooled")):
            cells = "".join(
                f" | {m['p']:.3f} {m['r']:.3f} {m['f1']:.3f} ({m['positives']}/{m['negatives']})"
                + " " * 3
                for m in (fig[s][lp] for s in semeval.SPLITS)
            )
            label = name if i == 0 else ""
            print(f"{label:<30} {lp:<6}{cells}")
    print("  (tfidf per-pair thresholds: " + ", ".join(f"{k} {v:.3f}" for k, v in th.items()) + ")")
    print("goal (issue 13): pooled F1 >= 0.85 and each pair >= 0.86")
    print(
        f"dev errors: {res['dev_error_count']} (listed in the JSON with their decisions); "
        f"test errors: {res['test_error_count']} (not listed)"
    )


# -- part "backfill" ------------------------------------------------------------------------------
BACKFILL_PROTOCOL = (
    "Each stream through EventBuilder twice on fresh stores, same vectors. live: dated now "
    "(newest item 2 h old) and clustered as it would arrive: the events fixture one poll per "
    "item at its own time; WMT21 (document order, every item at one instant, as the core "
    "part) and the SemEval pool (60-hour span) in one poll at now. backfill: every date "
    "400 days earlier, everything stored then clustered in one poll at now (an archive "
    "import, a first poll of old items, recluster over an old period). Pass = the two runs "
    "give the same events (the same partition of the items)."
)


def fixture_stream(now: datetime) -> tuple[list[StreamItem], dict[str, str]]:
    rows = [json.loads(x) for x in EVENTS.open()]
    rows.sort(key=lambda r: (r["published_at"], r["id"]))
    at = {r["id"]: datetime.fromisoformat(r["published_at"].replace("Z", "+00:00")) for r in rows}
    off = (now - semeval.NEWEST_AGE) - max(at.values())
    items = [
        StreamItem(str(r["id"]), r["lang"], r["title"], r["lead"], at[r["id"]] + off) for r in rows
    ]
    return items, {str(r["id"]): r["event"] for r in rows}


def wmt_stream(at: datetime) -> list[StreamItem]:
    out = []
    for k, texts in enumerate(wmt_texts()):
        for lang in ("zh", "en"):
            title, lead = texts[lang]
            out.append(StreamItem(f"{k}{lang}", lang, title, lead, at))
    return out


def _fixture_quality(events: Mapping[str, int], gold: Mapping[str, str]) -> dict[str, Any]:
    keys = sorted(gold)
    return {"pairwise": pairwise([gold[k] for k in keys], [events[k] for k in keys])}


def _wmt_quality(events: Mapping[str, int]) -> dict[str, Any]:
    n = len(events) // 2
    pp = key_pairs(events)
    twins = sum(1 for p in pp if len({k[:-2] for k in p}) == 1)
    return {
        "twin_recall": sum(events[f"{k}zh"] == events[f"{k}en"] for k in range(n)) / n,
        "pair_precision": twins / len(pp) if pp else 1.0,
    }


def _semeval_quality(events: Mapping[str, int], pairs: Sequence[semeval.Pair]) -> dict[str, Any]:
    fig = semeval.judge(pairs, {p.pair_id: events[p.a] == events[p.b] for p in pairs})
    return {s: fig[s]["pooled"] for s in semeval.SPLITS}


def compare_runs(
    live: Mapping[str, int],
    back: Mapping[str, int],
    quality: Callable[[Mapping[str, int]], dict[str, Any]],
) -> dict[str, Any]:
    lp, bp = key_pairs(live), key_pairs(back)
    moved = {k for p in lp ^ bp for k in p}
    return {
        "live": stream_shape(live) | quality(live),
        "backfill": stream_shape(back) | quality(back),
        "identical": partition(live) == partition(back),
        "pairs_only_live": len(lp - bp),
        "pairs_only_backfill": len(bp - lp),
        "items_placed_differently": len(moved),
    }


def run_backfill(emb: Embedder, threads: int, now: datetime) -> dict[str, Any]:
    def back(items: Sequence[StreamItem]) -> list[StreamItem]:
        return [replace(x, at=x.at - BACKFILL_SHIFT) for x in items]

    res: dict[str, Any] = {"backend": emb.name, "protocol": BACKFILL_PROTOCOL, "sets": {}}
    fx, gold = fixture_stream(now)
    res["sets"]["events_fixture"] = compare_runs(
        daemon_events(fx, emb, threads, poll_at=None)[0],
        daemon_events(back(fx), emb, threads, poll_at=now)[0],
        lambda ev: _fixture_quality(ev, gold),
    )
    wm = wmt_stream(now - semeval.NEWEST_AGE)
    res["sets"]["wmt21_document_order"] = compare_runs(
        daemon_events(wm, emb, threads, poll_at=now)[0],
        daemon_events(back(wm), emb, threads, poll_at=now)[0],
        _wmt_quality,
    )
    arts, pairs = semeval.load()
    se = semeval_stream(arts, semeval.shift_to(arts, now))
    res["sets"]["semeval_pool"] = compare_runs(
        daemon_events(se, emb, threads, poll_at=now)[0],
        daemon_events(back(se), emb, threads, poll_at=now)[0],
        lambda ev: _semeval_quality(ev, pairs),
    )
    res["pass"] = all(s["identical"] for s in res["sets"].values())
    return res


def print_backfill(res: dict[str, Any]) -> None:
    print(res["protocol"])

    def q(r: dict[str, Any]) -> str:
        if "pairwise" in r:
            m = r["pairwise"]
            return f"pairwise P/R/F1 {m['p']:.3f}/{m['r']:.3f}/{m['f1']:.3f}"
        if "twin_recall" in r:
            return f"twin recall {r['twin_recall']:.3f}, strict pair P {r['pair_precision']:.3f}"
        m = r["all"]
        return f"pooled same-story P/R/F1 {m['p']:.3f}/{m['r']:.3f}/{m['f1']:.3f}"

    for name, s in res["sets"].items():
        verdict = "IDENTICAL" if s["identical"] else "DIFFERENT"
        print(f"  {name}: {verdict} ({s['items_placed_differently']} items placed differently)")
        for run_name in ("live", "backfill"):
            r = s[run_name]
            print(
                f"    {run_name:<9} {r['items']} items -> {r['events']} events "
                f"({r['multi_item_events']} multi-item), {r['same_event_pairs']} same-event "
                f"pairs; {q(r)}"
            )
    print(f"backfill = live on every set: {'PASS' if res['pass'] else 'FAIL'}")


# -- main -----------------------------------------------------------------------------------------
def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def part_command(part: str, args: argparse.Namespace) -> str:
    cmd = [".venv/bin/python", "bench/eval_cluster.py", "--only", part]
    if args.backend != "use":
        cmd += ["--backend", args.backend]
    if args.threads != 1:
        cmd += ["--threads", str(args.threads)]
    if part == "core" and args.no_sweep:
        cmd.append("--no-sweep")
    return " ".join(cmd)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run this part only (repeatable); default: every part",
    )
    ap.add_argument("--backend", default="use", choices=("use", "none", "e5"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-sweep", action="store_true", help="core: skip the join_score sweep")
    ap.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = ap.parse_args()
    parts = [p for p in PARTS if p in (args.only or PARTS)]
    emb = CachedEmbedder(make_embedder(ClusterConfig(backend=args.backend, threads=args.threads)))
    now = datetime.now(UTC).replace(microsecond=0)
    command = " ".join([".venv/bin/python", "bench/eval_cluster.py", *sys.argv[1:]])
    meta = {"command": command, "commit": git_commit(), "run_at": utc_iso(now)}
    args.results_dir.mkdir(parents=True, exist_ok=True)
    total = time.perf_counter()
    for part in parts:
        cmd = part_command(part, args)
        print(f"\n===== {part}   ({cmd})")
        w0, c0, e0 = time.perf_counter(), time.process_time(), emb.seconds
        if part == "core":
            res = run(emb, not args.no_sweep)
            print_table(res)
        elif part == "semeval":
            res = run_semeval(emb, args.threads, now)
            print_semeval(res)
        else:
            res = run_backfill(emb, args.threads, now)
            print_backfill(res)
        res["runtime"] = {
            "wall_s": round(time.perf_counter() - w0, 2),
            "cpu_s": round(time.process_time() - c0, 2),
            "embedding_s": round(emb.seconds - e0, 2),
            "load_avg_1m_at_end": round(os.getloadavg()[0], 2),
        }
        res = {"part_command": cmd, **meta, **res}
        name = RESULT_FILES[part] + ("" if args.backend == "use" else f"-{args.backend}")
        out = args.results_dir / f"{name}.json"
        out.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str) + "\n")
        rt = res["runtime"]
        print(
            f"-- {part}: {rt['wall_s']} s wall, {rt['cpu_s']} s CPU (embedding "
            f"{rt['embedding_s']} s); wrote {out}"
        )
    print(f"\ntotal {time.perf_counter() - total:.1f} s wall")


if __name__ == "__main__":
    main()
