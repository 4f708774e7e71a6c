"""Two-fold choice of a clusterer setting (bench/tune_cluster.py --two-fold and its stages).

The dev halves alone are small and flat (SemEval dev: 56 positive pairs; every change tried in
session 4 left it unchanged), so a choice made on them rests on one or two pairs. Protocol:
each labelled set has two halves, fold A (the dev halves: WMT21 chunks 0-53, SemEval dev
pairs, the fixture's dev events) and fold B (the held-out halves: WMT21 chunks 54-107,
SemEval test pairs, fixture test events). A grid is scored on both folds with the same rule
(tune_cluster's objective over one fold's halves, eligible when that fold's WMT twin recall is
>= 0.97 in random orders and in document order); the setting chosen on A is reported on B,
and the setting chosen on B is reported on A. Each fold's report is thus held out from its
own choice. A setting other than the incumbent ships only when **both folds choose it**
(ties go to the incumbent, listed first in every grid); otherwise the incumbent stays and
both choices are written down.

Streams: the SemEval pool and the fixture are streamed once per setting (both folds are
judged on one run, as bench/eval_cluster.py does); WMT21 halves are streamed apart (each
half is its own stream, 5 random orders and document order). I/O: none (pure over the data
tune_cluster loads).
"""

from __future__ import annotations

from typing import Any

import eval_cluster as ev
import numpy as np
import semeval

from aggregator.cluster.clusterer import ScoreWeights

FOLDS = ("dev", "test")
#: Chunk number of each fold's first WMT21 document (for WMT_SAME_EVENT).
WMT_FIRST = {"dev": ev.HALF_A.start, "test": ev.HALF_B.start}
WMT_KEY = {"dev": "a", "test": "b"}


def evaluate_folds(w: ScoreWeights, data: dict[str, Any], dim: int) -> dict[str, Any]:
    """Figures and objective of ``w`` on each fold (keys ``dev`` = A, ``test`` = B)."""
    pred, _ = ev.stream(data["sem"], dim, w)
    ev_of = dict(zip(data["sem_keys"], pred, strict=True))
    same = {p.pair_id: ev_of[p.a] == ev_of[p.b] for p in data["pairs"]}
    sem_all = semeval.judge(data["pairs"], same)
    fpred, _ = ev.stream(data["fix"], dim, w)
    fix_all = ev.events_split(data["fix_gold"], fpred)
    out: dict[str, Any] = {}
    for fold in FOLDS:
        k = WMT_KEY[fold]
        first = WMT_FIRST[fold]
        wmt = ev.eval_wmt_shuffled(data[f"wmt_{k}"], dim, w, first_doc=first)
        doc = ev.eval_wmt(data[f"wmt_{k}"], data[f"vz_{k}"], data[f"ve_{k}"], dim, w, None, first)
        sem, fix = sem_all[fold], fix_all[fold]
        lp_f1 = [sem[lp]["f1"] for lp in semeval.LANG_PAIRS]
        terms = [sem["pooled"]["f1"], min(lp_f1), wmt["pair_precision"], doc["pair_precision"]]
        out[fold] = {
            "wmt_recall": round(wmt["twin_recall"], 3),
            "wmt_precision": round(wmt["pair_precision"], 3),
            "wmt_precision_worst": round(wmt["pair_precision_min"], 3),
            "wmt_precision_lenient": round(wmt["pair_precision_lenient"], 3),
            "wmt_doc_order_recall": round(doc["twin_recall"], 3),
            "wmt_doc_order_precision": round(doc["pair_precision"], 3),
            "semeval": {lp: round(v["f1"], 3) for lp, v in sem.items()},
            "fixture_f1": round(fix["f1"], 3),
            "objective": round(float(np.mean([*terms, fix["f1"]])), 4),
            "eligible": wmt["twin_recall"] >= 0.97 and doc["twin_recall"] >= 0.97,
        }
    return out


def choose(rows: list[dict[str, Any]], setting_keys: list[str]) -> dict[str, Any]:
    """Per fold, the eligible row with the best objective (first on ties: the incumbent is
    row 0); reported on the other fold. ``ship``: the row both folds chose, else row 0."""
    chosen: dict[str, Any] = {}
    idx: dict[str, int] = {}
    for fold in FOLDS:
        ok = [i for i, r in enumerate(rows) if r["folds"][fold]["eligible"]] or list(
            range(len(rows))
        )
        best = max(ok, key=lambda i: (rows[i]["folds"][fold]["objective"], -i))
        other = FOLDS[1 - FOLDS.index(fold)]
        idx[fold] = best
        chosen[f"chosen_on_{fold}"] = {k: rows[best][k] for k in setting_keys} | {
            f"reported_on_{other}": rows[best]["folds"][other],
            f"incumbent_on_{other}": rows[0]["folds"][other],
        }
    agree = idx["dev"] == idx["test"]
    ship = idx["dev"] if agree else 0
    chosen["folds_agree"] = agree
    chosen["ship"] = {k: rows[ship][k] for k in setting_keys}
    return chosen
