"""SemEval-2022 Task 8 same-story pairs with text (en-en, zh-zh, zh-en): load, label, split, judge.

Data: ``shared/datasets/semeval2022-task8-texts`` (override with $SEMEVAL_TEXTS_DIR), read as
its README says:

- ``Overall`` is the mean annotator rating, 1 = very similar … 4 = very dissimilar. A pair is
  **same story** when ``Overall <= 1.5`` and **different** when ``Overall >= 3.0``; pairs in
  between are left out of P/R/F1 (README "Labels").
- The Chinese articles are machine translations of English ones; 112 articles are in the pool
  both as the original and as its translation, and several pairs are translations of other
  pairs (same ``original_pair_id``, same rating).
- Dates lie in 2019-12-31 … 2020-01-02; an evaluation shifts them all by one offset so the
  newest article is 2 hours old when it runs (:func:`shift_to`).

Split (dev / test): pairs are grouped into connected components over their *original* article
ids (a translated article ``123zh`` counts as ``123``), so a pair, its translations and any pair
sharing an article land in the same half; the half is the parity of the first SHA-1 byte of the
component's smallest original id (:func:`split_of`). Settings may be chosen on dev only.

I/O: reads the two JSONL files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tfidf import prf_counts

SEMEVAL_DIR = Path(
    os.environ.get("SEMEVAL_TEXTS_DIR", "/work/shared/datasets/semeval2022-task8-texts")
)
#: README "Labels": same story at Overall <= 1.5, different at >= 3.0, the rest left out.
SAME_MAX = 1.5
DIFFERENT_MIN = 3.0
LANG_PAIRS = ("en-en", "zh-zh", "zh-en")
SPLITS = ("dev", "test", "all")
#: Newest article this old when the evaluation runs (README "Dates").
NEWEST_AGE = timedelta(hours=2)


@dataclass(frozen=True)
class Article:
    key: str
    lang: str
    title: str
    text: str
    published: datetime
    machine_translated: bool


@dataclass(frozen=True)
class Pair:
    pair_id: str
    a: str
    b: str
    lang_pair: str
    overall: float
    #: True same story, False different, None left out of P/R/F1.
    label: bool | None
    split: str


def split_of(key: str) -> str:
    """Deterministic half of a key: parity of the first byte of its SHA-1."""
    return "dev" if hashlib.sha1(key.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def original_id(key: str) -> str:
    return re.sub(r"[a-z]+$", "", key)


def _component_keys(edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Union-find: node → smallest node of its component (string order)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in list(parent)}


def label_of(overall: float) -> bool | None:
    if overall <= SAME_MAX:
        return True
    if overall >= DIFFERENT_MIN:
        return False
    return None


def load(data_dir: Path = SEMEVAL_DIR) -> tuple[dict[str, Article], list[Pair]]:
    arts: dict[str, Article] = {}
    with (data_dir / "articles.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            arts[r["key"]] = Article(
                key=r["key"],
                lang=r["lang"],
                title=r["title"],
                text=r["text"],
                published=datetime.fromisoformat(r["published"]),
                machine_translated=bool(r["machine_translated"]),
            )
    with (data_dir / "pairs.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    comp = _component_keys((original_id(r["a"]), original_id(r["b"])) for r in rows)
    pairs = [
        Pair(
            pair_id=r["pair_id"],
            a=r["a"],
            b=r["b"],
            lang_pair=f"{r['lang1']}-{r['lang2']}",
            overall=float(r["Overall"]),
            label=label_of(float(r["Overall"])),
            split=split_of(comp[original_id(r["a"])]),
        )
        for r in rows
    ]
    return arts, pairs


def shift_to(
    arts: Mapping[str, Article], now: datetime, extra: timedelta = timedelta()
) -> dict[str, datetime]:
    """Published times moved by one offset so the newest is NEWEST_AGE before ``now``, then
    ``extra`` on top (negative: further into the past, for the backfill run)."""
    newest = max(a.published for a in arts.values())
    off = (now - NEWEST_AGE) - newest + extra
    return {k: a.published + off for k, a in arts.items()}


def judge(pairs: Sequence[Pair], same: Mapping[str, bool]) -> dict[str, dict[str, Any]]:
    """P/R/F1 of the decisions ``same[pair_id]`` per split and language pair (+ pooled).
    Only labelled pairs count; each cell also gives its tp/fp/fn and positives/negatives."""
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for p in pairs:
        if p.label is None:
            continue
        guess = same[p.pair_id]
        for split in (p.split, "all"):
            for lp in (p.lang_pair, "pooled"):
                c = cells[(split, lp)]
                c[0] += guess and p.label
                c[1] += guess and not p.label
                c[2] += (not guess) and p.label
                c[3] += (not guess) and not p.label
    out: dict[str, dict[str, Any]] = {}
    for split in SPLITS:
        out[split] = {}
        for lp in (*LANG_PAIRS, "pooled"):
            tp, fp, fn, tn = cells[(split, lp)]
            out[split][lp] = prf_counts(tp, fp, fn) | {
                "tp": tp,
                "fp": fp,
                "fn": fn,
                "positives": tp + fn,
                "negatives": fp + tn,
            }
    return out


def counts(pairs: Sequence[Pair]) -> dict[str, dict[str, int]]:
    """Labelled pairs per split: positives / negatives / left out."""
    out: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        sel = [p for p in pairs if split == "all" or p.split == split]
        out[split] = {
            "pairs": len(sel),
            "same_story": sum(p.label is True for p in sel),
            "different": sum(p.label is False for p in sel),
            "left_out": sum(p.label is None for p in sel),
        }
    return out
