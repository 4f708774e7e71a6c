"""Plain TF-IDF cosine for pair-by-pair baselines (no sklearn): tokens, weights, thresholds.

Tokens: Latin-script words (``[a-z0-9]+`` after NFKC + casefold) for every language; Chinese
runs (after Traditional → Simplified folding, as the daemon matches) as character bigrams, or
as jieba words when ``zh="jieba"`` (jieba is not a dependency; only the research script asks
for it). Weights: sublinear tf × idf, ``(1 + ln tf) · ln(N / df)``, L2-normalised; the same
formula as ``shared/datasets/semeval2022-task8-texts/baseline.py``, so its figures reproduce.

Used by ``bench/eval_cluster.py`` (the SemEval TF-IDF baseline) and
``bench/scoring_research.py``. I/O: none.
"""

from __future__ import annotations

import itertools
import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aggregator.cluster.embed import fold_chinese  # noqa: E402

_WORD_RE = re.compile(r"[a-z0-9]+")
_HAN_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

Vector = dict[str, float]


def normalise(text: str) -> str:
    """NFKC, Traditional folded to Simplified, casefolded: the form every tokenizer reads."""
    return fold_chinese(unicodedata.normalize("NFKC", text)).casefold()


def han_bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


def jieba_words(run: str) -> list[str]:
    import jieba  # optional: the research script only

    return [w for w in jieba.lcut(run) if w.strip()]


def tokens(text: str, zh: str = "bigram") -> list[str]:
    """Latin words, then the Chinese runs as ``zh`` ("bigram" or "jieba") tokens."""
    t = normalise(text)
    out = _WORD_RE.findall(t)
    split = jieba_words if zh == "jieba" else han_bigrams
    for run in _HAN_RUN_RE.findall(t):
        out.extend(split(run))
    return out


class TfIdf:
    """Document frequencies from a fixed collection; sparse unit vectors as dicts."""

    def __init__(self, docs: Iterable[Sequence[str]]) -> None:
        self.df: Counter[str] = Counter()
        self.n = 0
        for toks in docs:
            self.df.update(set(toks))
            self.n += 1

    def vector(self, toks: Sequence[str]) -> Vector:
        v: Vector = {}
        for t, c in Counter(toks).items():
            df = self.df.get(t, 0)
            if df:  # a term the collection never saw carries no weight
                w = (1.0 + math.log(c)) * math.log(self.n / df)
                if w > 0:
                    v[t] = w
        z = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {t: x / z for t, x in v.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(t, 0.0) for t, x in a.items())


# -- judging scores against binary labels ---------------------------------------------------------
def prf_counts(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def f1_at(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> float:
    tp = sum(1 for s, y in zip(scores, labels, strict=True) if y and s >= threshold)
    fp = sum(1 for s, y in zip(scores, labels, strict=True) if not y and s >= threshold)
    fn = sum(1 for s, y in zip(scores, labels, strict=True) if y and s < threshold)
    return prf_counts(tp, fp, fn)["f1"]


def best_threshold(scores: Sequence[float], labels: Sequence[bool]) -> tuple[float, float]:
    """``(threshold, F1)`` maximising F1 of ``score >= threshold`` on these pairs.

    Candidates are the midpoints between consecutive distinct scores (and one below the
    lowest, one above the highest); among candidates tied on F1, the middle one in score order
    (not the edge of the plateau), so the choice does not hug one labelled pair.
    """
    xs = sorted(set(scores))
    if not xs:
        return 0.5, 0.0
    cands = [xs[0] - 1e-6] + [(a + b) / 2 for a, b in itertools.pairwise(xs)]
    cands.append(xs[-1] + 1e-6)
    f1s = [f1_at(scores, labels, c) for c in cands]
    best = max(f1s)
    tied = [c for c, f in zip(cands, f1s, strict=True) if f == best]
    return tied[len(tied) // 2], best
