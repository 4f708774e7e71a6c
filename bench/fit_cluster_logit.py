"""Fit the scorer's feature weights as a logistic model on dev pairs (issue 13, round 2).

For every labelled pair of the dev halves (SemEval dev pairs; the events fixture's dev events:
every pair of their items; WMT21 chunks 0-53: the zh/en twins against their nearest non-twin
items), the features the clusterer would compute when the later item arrives and the earlier
one is a one-member event: centred USE cosine, lexical cosine (glosses, or native words for two
Chinese items), shared-evidence weight, conflicting kinds (non-number / number), time feature.
The state (language means, document frequencies) is the shipped clusterer's on that stream.

A logistic model is fitted per route (same-language, cross-language) with numpy (IRLS, a small
L2 penalty, classes weighted to balance each source). Its coefficients are divided by the
cosine's, which puts them on the linear scorer's scale (``weights``): λ = β_lex / β_cos,
W_SHARED = β_shared / β_cos, … The intercepts are not used (a pair sample's base rate is not the
stream's): JOIN_SCORE and the pivot stay those tuned on the streams.

Writes bench/results/fit_cluster_logit.json. I/O: reads the datasets, writes that file.
Usage: .venv/bin/python bench/fit_cluster_logit.py
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import eval_cluster as ev  # noqa: E402
import semeval  # noqa: E402
import tune_cluster as tc  # noqa: E402

from aggregator.cluster import evidence as entities  # noqa: E402
from aggregator.cluster import lexical  # noqa: E402
from aggregator.cluster.clusterer import ClusterInput, EventClusterer  # noqa: E402
from aggregator.cluster.embed import make_embedder  # noqa: E402
from aggregator.cluster.records import evidence_for  # noqa: E402
from aggregator.cluster.state import ItemKeys, shared_weight  # noqa: E402
from aggregator.cluster.titles import base_lang  # noqa: E402
from aggregator.cluster.weights import (  # noqa: E402
    TIME_SIGMA_DAYS,
    ScoreWeights,
    default_weights,
)
from aggregator.config import ClusterConfig  # noqa: E402

OUT = ROOT / "bench" / "results" / "fit_cluster_logit.json"
FEATURES = ("cos", "lex", "shared", "conflicts", "num_conflicts", "time")
#: Non-twin WMT items per twin used as negatives (the nearest by raw cosine).
WMT_NEGATIVES = 5
L2 = 1.0


def pair_features(
    items: list[ClusterInput], pairs: list[tuple[int, int, bool]], w: ScoreWeights, dim: int
) -> list[tuple[list[float], bool, bool]]:
    """(features, same route?, label) for ``pairs`` of stream positions (i < j), computed at
    j's arrival in a stream fed with the shipped decisions."""
    want: dict[int, list[tuple[int, bool]]] = {}
    for i, j, y in pairs:
        want.setdefault(max(i, j), []).append((min(i, j), y))
    cl = EventClusterer(ClusterConfig(window_days=3.0), dim, weights=w)
    row_of: dict[int, int] = {}
    evid = [x.evidence or evidence_for(x.title, x.lead) for x in items]
    out: list[tuple[list[float], bool, bool]] = []
    next_id = 1
    for n, it in enumerate(items):
        lang = base_lang(it.lang)
        for i, y in want.get(n, []):
            feats = _features(cl, items, evid, row_of, i, n)
            out.append((feats, base_lang(items[i].lang) == lang, y))
        a = cl.assign(it, now=it.at)
        eid = a.event_id
        if eid is None:
            eid, next_id = next_id, next_id + 1
        cl.add_member(it, eid, a.evidence)
        row_of[n] = cl._events[eid].rows[-1]
    return out


def _features(
    cl: EventClusterer,
    items: list[ClusterInput],
    evid: list[Any],
    row_of: dict[int, int],
    i: int,
    j: int,
) -> list[float]:
    a, b = items[i], items[j]
    la, lb = base_lang(a.lang), base_lang(b.lang)
    va = cl.means.centre(cl.index.vectors([row_of[i]]), [la])[0]
    vb = cl.means.centre(np.asarray(b.vector, dtype=np.float32).reshape(1, -1), [lb])[0]
    lexv = cl._item_lex(b)
    r = row_of[i]
    if lexv.native is not None and r in cl._nat:
        lex = lexical.cosine(lexv.native, cl._nat[r])
    else:
        lex = lexical.cosine(lexv.vector, cl._lex[r])
    kb, ea = ItemKeys(evid[j]), evid[i]
    shared = shared_weight(kb.all & ea.keys, kb.title, ea.title_keys, cl.w.shared_cap)
    conf = entities.conflicts_between(
        kb.conflict, kb.all, entities.conflict_candidates(ea.title_keys), ea.keys
    )
    n_num = conf.count("num")
    dt = abs((b.at - a.at).total_seconds()) / 86400.0
    time_f = math.exp(-(dt**2) / (2 * TIME_SIGMA_DAYS**2)) - 1.0
    return [float(va @ vb), lex, shared, float(len(conf) - n_num), float(n_num), time_f]


def fit(x: np.ndarray, y: np.ndarray, sw: np.ndarray) -> np.ndarray:
    """Weighted L2-penalised logistic regression by IRLS; returns [intercept, *coefs]."""
    xa = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(xa.shape[1])
    pen = np.eye(xa.shape[1]) * L2
    pen[0, 0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(xa @ beta)))
        g = xa.T @ (sw * (y - p)) - pen @ beta
        h = xa.T @ (xa * (sw * p * (1 - p))[:, None]) + pen
        step = np.linalg.solve(h, g)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta


Pairs = list[tuple[int, int, bool]]


def dev_pairs(data: dict[str, Any]) -> dict[str, tuple[list[ClusterInput], Pairs]]:
    sem, keys = data["sem"], data["sem_keys"]
    pos = {k: n for n, k in enumerate(keys)}
    sem_pairs = [
        (pos[p.a], pos[p.b], bool(p.label))
        for p in data["pairs"]
        if p.label is not None and p.split == "dev"
    ]
    fix, gold = data["fix"], data["fix_gold"]
    dev = [n for n, g in enumerate(gold) if semeval.split_of(g) == "dev"]
    fix_pairs = [(i, j, gold[i] == gold[j]) for a, i in enumerate(dev) for j in dev[a + 1 :]]
    wmt = data["wmt_a"]
    vecs = np.stack([np.asarray(x.vector, dtype=np.float32) for x in wmt])
    sims = vecs @ vecs.T
    wmt_pairs: set[tuple[int, int, bool]] = set()
    for n in range(len(wmt)):
        twin = n ^ 1
        wmt_pairs.add((min(n, twin), max(n, twin), True))
        order = [int(m) for m in np.argsort(-sims[n]) if m // 2 != n // 2]
        for m in order[:WMT_NEGATIVES]:
            wmt_pairs.add((min(n, m), max(n, m), False))
    return {
        "semeval_dev": (sem, sem_pairs),
        "fixture_dev": (fix, fix_pairs),
        "wmt_dev": (wmt, sorted(wmt_pairs)),
    }


def main() -> None:
    emb = make_embedder(ClusterConfig(threads=1))
    wmt_all, vz, ve = ev.wmt_inputs(emb)
    fix, fix_gold, _ = ev.event_inputs(emb, compress=False)
    sem, sem_keys, pairs = tc.semeval_inputs(emb)
    wmt_a = ev.wmt_subset(wmt_all, vz, ve, ev.HALF_A)[0]
    data = {"sem": sem, "sem_keys": sem_keys, "pairs": pairs, "fix": tc.with_terms(fix)}
    data |= {"fix_gold": fix_gold, "wmt_a": tc.with_terms(wmt_a)}
    w = default_weights(emb.name)
    rows: dict[bool, list[tuple[list[float], bool, float]]] = {True: [], False: []}
    counts: dict[str, Any] = {}
    for source, (items, ps) in dev_pairs(data).items():
        got = pair_features(items, ps, w, emb.dim)
        for route in (True, False):
            sel = [(f, y) for f, same, y in got if same is route]
            npos = sum(y for _, y in sel)
            nneg = len(sel) - npos
            counts[f"{source}/{'same' if route else 'cross'}"] = {"pos": npos, "neg": nneg}
            for f, y in sel:  # each source and class weighs as much as the others
                rows[route].append((f, y, 1.0 / (2 * (npos if y else nneg))))
    out: dict[str, Any] = {"command": "python " + " ".join(sys.argv), "pairs": counts}
    for route, name in ((True, "same_language"), (False, "cross_language")):
        x = np.array([f for f, _, _ in rows[route]])
        yv = np.array([float(t) for _, t, _ in rows[route]])
        sw = np.array([s for _, _, s in rows[route]])
        sw *= len(sw) / sw.sum()
        beta = fit(x, yv, sw)
        coef = dict(zip(("intercept", *FEATURES), beta.tolist(), strict=True))
        scaled = {k: round(v / coef["cos"], 4) for k, v in coef.items()}
        out[name] = {"coef": {k: round(v, 4) for k, v in coef.items()}, "per_cos": scaled}
        print(name, json.dumps(out[name]), flush=True)
    print(json.dumps(counts))
    # The fitted ratios on the streams (dev halves only, tune_cluster's rule): λ per route; the
    # intercepts' difference as the cross-lingual bonus and the same route's as the pivot
    # (join 0.60); then with JOIN_SCORE re-chosen over 0.60 / 0.65 / 0.70.
    same, cross = out["same_language"]["per_cos"], out["cross_language"]["per_cos"]
    lam_s, lam_c = same["lex"], cross["lex"]
    pivot = (-same["intercept"] - w.join_score) / lam_s
    bonus = w.join_score + lam_c * pivot + cross["intercept"]
    dev = {"wmt_a": data["wmt_a"], "vz_a": vz[: len(ev.HALF_A)], "ve_a": ve[: len(ev.HALF_A)]}
    dev |= {k: data[k] for k in ("fix", "fix_gold", "sem", "sem_keys", "pairs")}
    out["streams_dev"] = []
    for join in (0.60, 0.65, 0.70):
        fitted = dataclasses.replace(
            w,
            lex_same=lam_s,
            lex_cross=lam_c,
            lex_pivot=pivot,
            cross_lingual_bonus=bonus,
            join_score=join,
        )
        r = {"lex_same": lam_s, "lex_cross": lam_c, "lex_pivot": round(pivot, 3)}
        r |= {"cross_lingual_bonus": round(bonus, 3), "join_score": join}
        r |= tc.evaluate(fitted, dev, emb.dim)
        out["streams_dev"].append(r)
        print(json.dumps(r), flush=True)
    out["shipped_dev"] = tc.evaluate(w, dev, emb.dim)
    print("shipped", json.dumps(out["shipped_dev"]))
    OUT.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
