"""Gain of each evidence source in the shipped scorer (issue 13 item 3): ablations, dev and
held-out halves side by side.

Variants (each the shipped weights with one source removed, or merges switched on):
``full``; ``no_lexical`` (λ = 0: embedding + entities + time only, the old scorer's shape at
the new threshold); ``no_dictionary`` (Chinese terms as character bigrams instead of
CC-CEDICT glosses: lexical evidence stays within a language); ``no_hand_table`` (CC-CEDICT
without HAND_GLOSSES); ``no_native_words`` (two Chinese reports compared on their glosses,
not their words' own forms); ``no_same_disaster`` (no same-disaster-same-place term);
``no_entities`` (no shared-key bonus, no conflict penalty, no same-disaster term);
``no_time``; ``no_centring``; ``merges_on`` (merge_margin 0.1); ``no_boilerplate_removal``
(leads as served: paywall, cookie and share notices read as the lead, see
``cluster/boilerplate.py``). The old shipped scorer
(before this work: join 0.60, bonus 0.15, no lexical term) is ``old_scorer``.

Sets: SemEval-2022 pool (dev / test pairs), WMT21 in 5 random orders (chunks 0–53 / 54–107),
the events fixture (dev / test events), each streamed through ``EventClusterer`` directly in
time order (bench/eval_cluster.py runs the daemon path for the headline figures).
Writes bench/results/ablation_cluster.json. I/O: reads the datasets, writes that file.

Usage: .venv/bin/python bench/ablation_cluster.py
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import eval_cluster as ev  # noqa: E402
import semeval  # noqa: E402
import tune_cluster as tc  # noqa: E402

from aggregator.cluster import cedict, lexical  # noqa: E402
from aggregator.cluster.clusterer import ClusterInput, ScoreWeights, default_weights  # noqa: E402
from aggregator.cluster.embed import make_embedder  # noqa: E402
from aggregator.config import ClusterConfig  # noqa: E402

OUT = ROOT / "bench" / "results" / "ablation_cluster.json"


def retermed(items: list[ClusterInput], **kw: Any) -> list[ClusterInput]:
    return [dataclasses.replace(x, terms=lexical.terms(x.title, x.lead, **kw)) for x in items]


def measure(w: ScoreWeights, data: dict[str, Any], dim: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    pred, _ = ev.stream(data["sem"], dim, w)
    ev_of = dict(zip(data["sem_keys"], pred, strict=True))
    same = {p.pair_id: ev_of[p.a] == ev_of[p.b] for p in data["pairs"]}
    judged = semeval.judge(data["pairs"], same)
    for half in ("dev", "test"):
        out[f"semeval_{half}"] = {k: round(v["f1"], 3) for k, v in judged[half].items()}
        wmt = ev.eval_wmt_shuffled(data[f"wmt_{half}"], dim, w, first_doc=data[f"first_{half}"])
        out[f"wmt_{half}"] = {
            "recall": round(wmt["twin_recall"], 3),
            "precision": round(wmt["pair_precision"], 3),
            "precision_worst": round(wmt["pair_precision_min"], 3),
        }
    fpred, _ = ev.stream(data["fix"], dim, w)
    split = ev.events_split(data["fix_gold"], fpred)
    out["fixture"] = {h: round(split[h]["f1"], 3) for h in ("dev", "test")}
    return out


def main() -> None:
    t0 = time.perf_counter()
    emb = make_embedder(ClusterConfig(threads=1))
    wmt_all, vz, ve = ev.wmt_inputs(emb)
    fix, fix_gold, _ = ev.event_inputs(emb, compress=False)
    sem, sem_keys, pairs = tc.semeval_inputs(emb)
    base_sets = {
        "sem": sem,
        "wmt_dev": ev.wmt_subset(wmt_all, vz, ve, ev.HALF_A)[0],
        "wmt_test": ev.wmt_subset(wmt_all, vz, ve, ev.HALF_B)[0],
        "fix": fix,
    }
    fixed = {"sem_keys": sem_keys, "pairs": pairs, "fix_gold": fix_gold}
    fixed |= {"first_dev": ev.HALF_A.start, "first_test": ev.HALF_B.start}

    def sets(**kw: Any) -> dict[str, Any]:
        return {k: retermed(v, **kw) for k, v in base_sets.items()} | fixed

    full = default_weights(emb.name)
    with_gloss = sets()
    variants: dict[str, tuple[ScoreWeights, dict[str, Any]]] = {
        "full": (full, with_gloss),
        "no_lexical": (dataclasses.replace(full, lex_same=0.0, lex_cross=0.0), with_gloss),
        "no_dictionary": (full, sets(gloss=False)),
        "no_entities": (
            dataclasses.replace(
                full, w_shared=0.0, w_conflict=0.0, w_num_conflict=0.0, w_signature=0.0
            ),
            with_gloss,
        ),
        "no_native_words": (dataclasses.replace(full, lex_native=False), with_gloss),
        "no_same_disaster": (dataclasses.replace(full, w_signature=0.0), with_gloss),
        "no_time": (dataclasses.replace(full, w_time=0.0), with_gloss),
        "no_centring": (dataclasses.replace(full, centre=False), with_gloss),
        "merges_on": (dataclasses.replace(full, merge_margin=0.1), with_gloss),
        "old_scorer": (
            dataclasses.replace(
                full,
                join_score=0.60,
                cross_lingual_bonus=0.15,
                lex_same=0.0,
                lex_cross=0.0,
                lex_pivot=0.0,
            ),
            with_gloss,
        ),
    }
    served = tc.load_data(emb, clean=False)
    variants["no_boilerplate_removal"] = (
        full,
        {
            "sem": served["sem"],
            "wmt_dev": served["wmt_a"],
            "wmt_test": served["wmt_b"],
            "fix": served["fix"],
        }
        | fixed,
    )
    hand = dict(cedict.HAND_GLOSSES)
    cedict.glossary.cache_clear()
    cedict.HAND_GLOSSES.clear()
    variants["no_hand_table"] = (full, sets())
    cedict.HAND_GLOSSES.update(hand)
    cedict.glossary.cache_clear()
    res: dict[str, Any] = {}
    for name, (w, data) in variants.items():
        res[name] = measure(w, data, emb.dim)
        print(name, json.dumps(res[name]), flush=True)
    OUT.write_text(
        json.dumps(
            {
                "command": ".venv/bin/python bench/ablation_cluster.py",
                "doc": __doc__,
                "weights": dataclasses.asdict(full),
                "variants": res,
                "runtime_s": round(time.perf_counter() - t0, 1),
            },
            indent=1,
            default=str,
        )
    )


if __name__ == "__main__":
    main()
