"""Segmenting through the glossary's packed headwords (one string per first character and
length) finds exactly what forward maximum matching against a set of the headword strings
found (issue 16 item 6: the set held ~15 MB of the cluster stage)."""

from __future__ import annotations

import random
from pathlib import Path

from aggregator.cluster import cedict, lexical
from aggregator.cluster.embed import fold_chinese

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _old_segment(run: str, words: frozenset[str]) -> list[str]:
    """The matching as it was: every length from MAX_WORD_CHARS down, in a frozenset."""
    out, i, n = [], 0, len(run)
    while i < n:
        j = min(n, i + cedict.MAX_WORD_CHARS)
        while j > i + 1 and run[i:j] not in words:
            j -= 1
        out.append(run[i:j])
        i = j
    return out


def _runs() -> list[str]:
    """Han runs of the Chinese fixture texts, and runs made of headwords' prefixes and
    whole headwords glued together (the hard cases: a long word's prefix beside a word)."""
    text = "".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in sorted(FIXTURES.rglob("*"))
        if p.is_file() and p.suffix in {".json", ".jsonl", ".xml", ".txt", ".html"}
    )
    runs = list(dict.fromkeys(lexical._HAN_OR_LATIN.findall(fold_chinese(text))))
    runs = [r for r in runs if r >= "\u3400"]
    words = sorted(cedict.glossary())
    rng = random.Random(16)
    for _ in range(3000):
        parts = [rng.choice(words) for _ in range(rng.randint(1, 4))]
        parts = [p[: rng.randint(1, len(p))] if rng.random() < 0.4 else p for p in parts]
        runs.append("".join(parts))
    return runs


def test_packed_headwords_segment_as_the_headword_set() -> None:
    g = cedict.glossary()
    words = frozenset(g)
    assert len(words) == len(g) > 100_000
    runs = _runs()
    assert len(runs) > 3000 and sum(map(len, runs)) > 20_000
    memo = lexical._WordTerms(g)
    for run in runs:
        old = _old_segment(run, words)
        assert list(cedict.segment(run, g)) == old, run
        terms = [t for w in old for t in memo[w]]
        assert lexical._han_terms(run, g.groups, memo) == terms, run


def test_membership_is_exact() -> None:
    g = cedict.glossary()
    words = frozenset(g)
    for w in list(words)[:5000]:
        assert w in g
        for cut in (w[:-1], w + w[-1], "\n" + w, w + "\n", w[1:]):
            assert (cut in g) == (cut in words), cut
    for absent in ("", "\n", "\x00", "\x01", "中国\n美国", "a", 3):
        assert absent not in g
