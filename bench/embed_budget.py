"""Sweep the model's input budget (``embed.MAX_EMBED_CHARS_LATIN`` / ``_ZH``): quality on the
dev halves (the choice) beside the held-out halves (reported only), and the cost per item.

For every (Latin, Chinese) budget the texts are re-embedded with the default model and the
shipped weights are scored as bench/tune_cluster.py scores a setting (its ``evaluate``: WMT21
chunks 0-53 in 5 random orders and in document order, the SemEval-2022 pool's dev pairs, the
events fixture's dev events; its objective is the mean of five dev terms), and the same figures
are computed on the held-out halves (WMT21 chunks 54-107, SemEval test pairs, fixture test
events). ``p_at_1``: zh→en retrieval precision@1 over the WMT21 chunk pairs of each half (the
embedding alone, no clusterer). Cost: mean USE pieces per embedded text and CPU ms per item on
peer-like items (bench/peer.py's WMT21 sentence pools, headline + following lines as lead),
median of 3 runs, one BLAS thread.

Choice rule (fixed before the run): a smaller budget ships only when none of its dev figures
(the five objective terms, the two twin recalls, p_at_1) is below the current budget's.

I/O: reads the datasets (as tune_cluster.py); writes bench/results/embed_budget.json.
Usage: .venv/bin/python bench/embed_budget.py [--latin 120 200 280 360] [--zh 48 64 96]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import eval_cluster as ev  # noqa: E402
import peer  # noqa: E402
import semeval  # noqa: E402
import tune_cluster as tc  # noqa: E402

from aggregator.cluster import embed  # noqa: E402
from aggregator.cluster.clusterer import ScoreWeights, default_weights  # noqa: E402
from aggregator.config import ClusterConfig  # noqa: E402

OUT = ROOT / "bench" / "results" / "embed_budget.json"
#: Peer-like items per language for the cost figure.
COST_ITEMS = 300


def half_figures(
    w: ScoreWeights, data: dict[str, Any], dim: int, half: str, docs: range
) -> dict[str, Any]:
    """tune_cluster.evaluate's figures for one half (``dev`` or ``test``)."""
    wmt_h, vz, ve = ev.wmt_subset(data["wmt_all"], data["vz"], data["ve"], docs)
    wmt_h = tc.with_terms(wmt_h)
    shuf = ev.eval_wmt_shuffled(wmt_h, dim, w, first_doc=docs.start)
    doc = ev.eval_wmt(wmt_h, vz, ve, dim, w, first_doc=docs.start)
    sem = semeval.judge(data["pairs"], data["same"])[half]
    fix = ev.events_split(data["fix_gold"], data["fix_pred"])[half]
    lp_f1 = [sem[lp]["f1"] for lp in semeval.LANG_PAIRS]
    terms = [sem["pooled"]["f1"], min(lp_f1), shuf["pair_precision"], doc["pair_precision"]]
    return {
        "objective": round(float(np.mean([*terms, fix["f1"]])), 4),
        "wmt_recall": round(shuf["twin_recall"], 3),
        "wmt_precision": round(shuf["pair_precision"], 3),
        "wmt_doc_order_recall": round(doc["twin_recall"], 3),
        "wmt_doc_order_precision": round(doc["pair_precision"], 3),
        "p_at_1": round(doc["p_at_1_zh_to_en"], 3),
        "semeval_pooled_f1": round(sem["pooled"]["f1"], 3),
        "semeval_worst_pair_f1": round(min(lp_f1), 3),
        "semeval": {k: round(v["f1"], 3) for k, v in sem.items()},
        "fixture_f1": round(fix["f1"], 3),
    }


def cost(emb: Any, items: dict[str, list[str]]) -> dict[str, Any]:
    """Mean pieces per text and CPU ms per item (median of 3 runs), per language."""
    model = emb._load()
    out: dict[str, Any] = {}
    for lang, raw in items.items():
        texts = [embed.embedding_text(t, ld) for t, ld in raw]
        pieces = statistics.mean(len(model._tokenizer.encode(t)) for t in texts)
        runs = []
        for _ in range(3):
            t0 = time.process_time()
            for k in range(0, len(texts), 64):
                emb.embed(texts[k : k + 64])
            runs.append((time.process_time() - t0) / len(texts) * 1e3)
        out[lang] = {
            "chars": round(statistics.mean(map(len, texts)), 1),
            "pieces": round(pieces, 1),
            "cpu_ms_per_item": round(statistics.median(runs), 3),
        }
    return out


def peer_items() -> dict[str, list[tuple[str, str]]]:
    pools = peer.sentence_pools()
    out = {}
    for lang, lines in pools.items():
        sep = " " if lang == "en" else ""
        out[lang] = [
            (lines[i], sep.join(lines[i + 1 : i + 4])) for i in range(0, 4 * COST_ITEMS, 4)
        ]
    return out


def run_budget(latin: int, zh: int, emb: Any, costs: dict[str, list[tuple[str, str]]]) -> Any:
    embed.MAX_EMBED_CHARS_LATIN, embed.MAX_EMBED_CHARS_ZH = latin, zh
    wmt_all, vz, ve = ev.wmt_inputs(emb)
    fix, fix_gold, _ = ev.event_inputs(emb, compress=False)
    sem, sem_keys, pairs = tc.semeval_inputs(emb)
    w = default_weights(emb.name)
    pred, _ = ev.stream(sem, emb.dim, w)
    ev_of = dict(zip(sem_keys, pred, strict=True))
    same = {p.pair_id: ev_of[p.a] == ev_of[p.b] for p in pairs}
    fpred, _ = ev.stream(tc.with_terms(fix), emb.dim, w)
    data = {"wmt_all": wmt_all, "vz": vz, "ve": ve, "pairs": pairs, "same": same}
    data |= {"fix_gold": fix_gold, "fix_pred": fpred}
    return {
        "latin": latin,
        "zh": zh,
        "dev": half_figures(w, data, emb.dim, "dev", ev.HALF_A),
        "held_out": half_figures(w, data, emb.dim, "test", ev.HALF_B),
        "cost": cost(emb, costs),
    }


DEV_KEYS = (
    "objective",
    "wmt_recall",
    "wmt_precision",
    "wmt_doc_order_recall",
    "wmt_doc_order_precision",
    "p_at_1",
    "semeval_pooled_f1",
    "semeval_worst_pair_f1",
    "fixture_f1",
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--latin", type=int, nargs="+", default=[120, 200, 280, 360])
    ap.add_argument("--zh", type=int, nargs="+", default=[48, 64, 96])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    base = (embed.MAX_EMBED_CHARS_LATIN, embed.MAX_EMBED_CHARS_ZH)
    emb = embed.make_embedder(ClusterConfig(threads=1))
    costs = peer_items()
    rows = []
    grid = [(la, z) for la in args.latin for z in args.zh]
    if base not in grid:
        grid.append(base)
    for la, z in grid:
        r = run_budget(la, z, emb, costs)
        rows.append(r)
        print(json.dumps(r), flush=True)
    ref = next(r for r in rows if (r["latin"], r["zh"]) == base)
    for r in rows:
        r["dev_not_worse"] = all(r["dev"][k] >= ref["dev"][k] for k in DEV_KEYS)
    ok = [r for r in rows if r["dev_not_worse"]]
    chosen = min(ok, key=lambda r: sum(c["pieces"] for c in r["cost"].values()))
    print("chosen:", chosen["latin"], chosen["zh"])
    args.out.write_text(
        json.dumps(
            {
                "command": "python " + " ".join(sys.argv),
                "doc": __doc__,
                "shipped_before": list(base),
                "chosen": [chosen["latin"], chosen["zh"]],
                "grid": rows,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
