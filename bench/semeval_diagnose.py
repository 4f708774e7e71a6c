"""Why the clusterer gets SemEval-2022 Task 8 **dev** pairs right or wrong (never test pairs).

Streams the SemEval pool through ``EventClusterer`` as bench/tune_cluster.py does (oldest
first, leads as the daemon reads them, shipped weights) and, when the later article of a
labelled dev pair arrives, scores it against the event the earlier article is in at that
moment (the same ``_score`` the decision uses), beside the pair's own centred cosine and
lexical cosine. Each row then says what happened: joined or not, the score against the
partner's event and its parts (cosines, lexical, shared keys, conflicts), the event the item
went to instead, and the partner event's size (a join blocked by a better event, chaining
through a third article). Also prints the AUC of each feature over the labelled dev pairs
and a bootstrap interval of the dev F1 (how far a half of this size moves by chance).

Test pairs are filtered out before anything is computed: the held-out half is only ever
measured by bench/eval_cluster.py, once per finished version.

Variants (session 12's dev-only experiments; none ships): ``--stem`` (English words lose
-ing / -ed, -ies → -y, in the items' terms and the dictionary's glosses alike; the shared
glossary cache is bypassed), ``--warm-df`` (document frequencies of the whole pool counted
before the stream starts: is the one poll's cold start a cause?), ``--embed-chars N``
(Latin-script text embedded up to N characters instead of ``MAX_EMBED_CHARS_LATIN``; the
lexical terms keep the daemon's 400-character lead).

I/O: reads the SemEval texts; writes ``--out`` (JSON) when given.

Usage: .venv/bin/python bench/semeval_diagnose.py [--lang-pair en-en|zh-zh|zh-en|all]
       [--out FILE] [--rows N] [--stem] [--warm-df] [--embed-chars N]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import eval_cluster  # noqa: E402
import semeval  # noqa: E402
import tune_cluster  # noqa: E402

from aggregator.cluster import cedict, embed, lexical  # noqa: E402
from aggregator.cluster.boilerplate import story_lead  # noqa: E402
from aggregator.cluster.clusterer import EventClusterer, default_weights  # noqa: E402
from aggregator.cluster.embed import make_embedder  # noqa: E402
from aggregator.cluster.records import evidence_for  # noqa: E402
from aggregator.cluster.state import ItemKeys  # noqa: E402
from aggregator.config import ClusterConfig  # noqa: E402

FEATURES = (
    "cos_max_adj",
    "cos_mean_topk",
    "lex",
    "lex_weight",
    "dt_days",
    "shared",
    "shared_weight",
    "conflicts",
    "signature",
)
BOOTSTRAP = 10_000
#: Characters of text the daemon reads as the lead (tune_cluster.LEAD as shipped).
DAEMON_LEAD = tune_cluster.LEAD


def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 6 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 5 and word.endswith("ed"):
        return word[:-2]
    return word


def use_stemming() -> None:
    """``--stem``: every English word list (items' terms, glosses) goes through :func:`_stem`.
    Call before the glossary loads (the shared glossary cache is turned off)."""
    plain = cedict.english_words

    def stemmed(text: str) -> list[str]:
        return [_stem(w) for w in plain(text)]

    cedict.english_words = stemmed  # type: ignore[assignment]
    lexical.english_words = stemmed  # type: ignore[assignment]


def diagnose(
    lang_pair: str | None, *, warm_df: bool = False, embed_chars: int | None = None
) -> list[dict[str, Any]]:
    """One row per labelled dev pair (of ``lang_pair``, None: all), in stream order."""
    emb = make_embedder(ClusterConfig(threads=1))
    if embed_chars is not None:
        embed.MAX_EMBED_CHARS_LATIN = embed_chars
        tune_cluster.LEAD = max(tune_cluster.LEAD, embed_chars + 40)
    items, keys, pairs = tune_cluster.semeval_inputs(emb)
    arts, _ = semeval.load()
    if embed_chars is not None:  # only the vector changes: lead, terms and keys as shipped
        leads = {k: story_lead(arts[k].text[:DAEMON_LEAD]) for k in keys}
        items = [
            dataclasses.replace(x, lead=leads[k], terms=lexical.terms(x.title, leads[k]))
            for x, k in zip(items, keys, strict=True)
        ]
    pos = {k: i for i, k in enumerate(keys)}
    later_of: dict[str, list[tuple[semeval.Pair, str]]] = {}
    for p in pairs:
        if p.split != "dev" or p.label is None or lang_pair not in (None, p.lang_pair):
            continue
        earlier, later = sorted((p.a, p.b), key=pos.__getitem__)
        later_of.setdefault(later, []).append((p, earlier))
    w = default_weights(emb.name)
    cl = EventClusterer(ClusterConfig(window_days=3.0), emb.dim, weights=w)
    if warm_df:
        for x in items:
            if x.terms is not None:
                cl.df.add(x.terms)
    ev_of: dict[str, int] = {}
    row_of: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    next_id = 1
    for it, key in zip(items, keys, strict=True):
        a = cl.assign(it, now=it.at)
        for p, earlier in later_of.get(key, []):
            rows.append(_row(cl, it, a.rule, a.score, a.event_id, p, earlier, ev_of, row_of))
            rows[-1]["titles"] = [arts[earlier].title[:90], arts[key].title[:90]]
        eid = a.event_id
        if eid is None:
            eid, next_id = next_id, next_id + 1
        cl.add_member(it, eid, a.evidence)
        ev_of[key] = eid
        row_of[key] = cl._events[eid].rows[-1]
    tfidf = eval_cluster.tfidf_scores(arts, pairs)  # the eval's full-text baseline
    for r in rows:
        r["tfidf_full_text"] = tfidf[r["pair"]]
        r["joined"] = ev_of[r["later"]] == ev_of[r["earlier"]]
        r["final_event_size"] = sum(1 for e in ev_of.values() if e == ev_of[r["later"]])
        r["cause"] = cause(r)
    return rows


def _row(
    cl: EventClusterer,
    it: Any,
    rule: str,
    score: float,
    event_id: int | None,
    p: semeval.Pair,
    earlier: str,
    ev_of: dict[str, int],
    row_of: dict[str, int],
) -> dict[str, Any]:
    """The later item ``it`` against its partner's event, before it is placed."""
    lang = it.lang.split("-")[0]
    qc = cl.means.centre(np.asarray(it.vector, dtype=np.float32), [lang])[0]
    lexv = cl._item_lex(it)
    r = row_of[earlier]
    rc = cl.means.centre(cl.index.vectors([r]), [cl._row_lang[r]])[0]
    if lexv.native is not None and r in cl._nat:
        pair_lex = lexical.cosine(lexv.native, cl._nat[r])
    else:
        pair_lex = lexical.cosine(lexv.vector, cl._lex[r])
    eid = ev_of[earlier]
    keys = ItemKeys(it.evidence or evidence_for(it.title, it.lead))
    s, _, feats, _ = cl._score(qc, lang, it.at.timestamp(), keys, lexv, [eid])
    return {
        "pair": p.pair_id,
        "lang_pair": p.lang_pair,
        "label": p.label,
        "overall": round(p.overall, 3),
        "later": _key(p, earlier),
        "earlier": earlier,
        "partner_event_size": len(cl._events[eid].rows),
        "score_vs_partner_event": round(s, 4),
        "features": {k: feats.get(k) for k in FEATURES},
        "pair_cos": round(float(rc @ qc), 4),
        "pair_lex": round(pair_lex, 4),
        "decision": {"rule": rule, "score": round(score, 4), "event": event_id},
    }


def _key(p: semeval.Pair, earlier: str) -> str:
    return p.b if p.a == earlier else p.a


def cause(r: dict[str, Any]) -> str:
    """A first reading of a row (the report's table refines it by hand)."""
    joined, label, join = r["joined"], r["label"], default_weights("use").join_score
    if joined == label:
        return "right"
    f = r["features"]
    if label:
        if r["score_vs_partner_event"] >= join:
            return "missed: a better event took it"
        if f["conflicts"]:
            return "missed: conflict veto"
        if r["partner_event_size"] > 1 and r["pair_cos"] < f["cos_max_adj"]:
            return "missed: below the bar against a mixed event"
        return "missed: evidence below the bar"
    if r["partner_event_size"] > 1 and r["pair_cos"] < f["cos_max_adj"]:
        return "false join: through a third article"
    return "false join: pair evidence over the bar"


def auc(pos: Sequence[float], neg: Sequence[float]) -> float:
    n = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return n / (len(pos) * len(neg)) if pos and neg else float("nan")


def f1_of(rows: Sequence[tuple[bool, bool]]) -> float:
    tp = sum(lab and j for lab, j in rows)
    wrong = sum(lab != j for lab, j in rows)
    return 2 * tp / (2 * tp + wrong) if tp else 0.0


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    feats: dict[str, Callable[[dict[str, Any]], float]] = {
        "score_vs_partner_event": lambda r: r["score_vs_partner_event"],
        "pair_cos": lambda r: r["pair_cos"],
        "pair_lex": lambda r: r["pair_lex"],
        "tfidf_full_text": lambda r: r["tfidf_full_text"],
    }
    rng = random.Random(1)
    for lp in sorted({r["lang_pair"] for r in rows}):
        sel = [r for r in rows if r["lang_pair"] == lp]
        decided = [(bool(r["label"]), bool(r["joined"])) for r in sel]
        boot = sorted(f1_of([rng.choice(decided) for _ in decided]) for _ in range(BOOTSTRAP))
        causes: dict[str, int] = {}
        for r in sel:
            causes[r["cause"]] = causes.get(r["cause"], 0) + 1
        out[lp] = {
            "pairs": len(sel),
            "f1": round(f1_of(decided), 3),
            "f1_bootstrap_95": [round(boot[BOOTSTRAP // 40], 3), round(boot[-BOOTSTRAP // 40], 3)],
            "auc": {
                name: round(
                    auc([f(r) for r in sel if r["label"]], [f(r) for r in sel if not r["label"]]),
                    3,
                )
                for name, f in feats.items()
            },
            "causes": causes,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lang-pair", default="en-en", choices=(*semeval.LANG_PAIRS, "all"))
    ap.add_argument("--out", type=Path)
    ap.add_argument("--rows", type=int, default=12, help="closest rows to the bar printed")
    ap.add_argument("--stem", action="store_true", help="variant: light English stemming")
    ap.add_argument("--warm-df", action="store_true", help="variant: the pool's df up front")
    ap.add_argument("--embed-chars", type=int, help="variant: Latin text embedded up to N chars")
    args = ap.parse_args()
    if args.stem:
        os.environ["AGGREGATOR_CACHE_DIR"] = ""
        use_stemming()
    rows = diagnose(
        None if args.lang_pair == "all" else args.lang_pair,
        warm_df=args.warm_df,
        embed_chars=args.embed_chars,
    )
    summ = summary(rows)
    print(json.dumps(summ, indent=1))
    join = default_weights("use").join_score
    for r in sorted(rows, key=lambda r: abs(r["score_vs_partner_event"] - join))[: args.rows]:
        print(
            f"{r['cause']:<42} {r['lang_pair']} overall {r['overall']:.2f} "
            f"score {r['score_vs_partner_event']:.3f} cos {r['pair_cos']:.3f} "
            f"lex {r['pair_lex']:.3f} | {r['titles'][0][:40]} || {r['titles'][1][:40]}"
        )
    if args.out:
        args.out.write_text(
            json.dumps({"summary": summ, "rows": rows}, indent=1, ensure_ascii=False)
        )


if __name__ == "__main__":
    main()
