"""``lexical.terms`` memoises a Han run's terms and a Latin token's term across texts, and the
stream's weighing, document frequencies and profiles take cheaper loops (issue 16, the cluster
stage's CPU per new item). Every output must be the old code's exactly: the same terms in the
same order with the same counts, interned; the same weights to the last bit, the same term
order; the same df rows; the same profile sums and norms. The references below are copies of
the code before the change."""

from __future__ import annotations

import json
import math
import struct
import sys
from collections import Counter
from pathlib import Path

import pytest

from aggregator.cluster import lexical
from aggregator.cluster.cedict import MAX_WORD_CHARS, english_words, glossary
from aggregator.cluster.embed import fold_chinese

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _texts() -> list[tuple[str, str, str]]:
    """(lang, title, lead): the fixture headlines alone and in runs (long texts, repeated
    runs across texts), and the events fixture's reports."""
    rows = (FIXTURES / "headlines" / "headlines.tsv").read_text("utf-8").splitlines()[1:]
    cells = [r.split("\t") for r in rows if r.count("\t") >= 2]
    out = [(c[0], c[2], "") for c in cells]
    for zh in (False, True):
        heads = [c[2] for c in cells if c[0].startswith("zh") == zh]
        lang = "zh" if zh else "en"
        out += [
            (lang, heads[i], " ".join(heads[i + 1 : i + 9])) for i in range(0, len(heads) - 9, 2)
        ]
    for line in (FIXTURES / "events" / "events.jsonl").read_text("utf-8").splitlines():
        rec = json.loads(line)
        out.append((rec.get("lang", "en"), rec["title"], rec["lead"]))
    return out


def _old_terms(title: str, lead: str) -> Counter[str]:
    """``lexical.terms`` before the cross-text memos (gloss on)."""
    text = fold_chinese(f"{title}\n{title}\n{lead}"[: lexical.MAX_TEXT_CHARS + 2 * len(title)])
    seq: list[str] = []
    latin: list[str] = []
    g = glossary()
    for run in lexical._HAN_OR_LATIN.findall(text):
        if not lexical._HAN.match(run):
            latin.append(run)
            continue
        i, n = 0, len(run)
        while i < n:
            j = min(n, i + MAX_WORD_CHARS)
            while j > i + 1 and run[i:j] not in g.words:
                j -= 1
            word = run[i:j]
            english = g.glosses[word]
            if english:
                seq.extend((*english, lexical.NATIVE + word) if len(word) > 1 else english)
            elif len(word) > 1:
                seq.append(word)
            i = j
    seq.extend(english_words(" ".join(latin)))
    return Counter(seq)


def _old_weigh(
    chosen: list[tuple[str, int]], n_docs: int, table: dict[str, int]
) -> dict[str, float]:
    """``weigh_chosen``'s first path before the change (log per term and factor)."""
    n1 = n_docs + 1
    pairs = [
        (t, (1.0 + math.log(c)) * (math.log(n1 / (table.get(t, 0) + 1)) + 1.0)) for t, c in chosen
    ]
    if len(pairs) > lexical.MAX_TERMS:
        top = sorted([(-v, t) for t, v in pairs])[: lexical.MAX_TERMS]
        pairs = [(t, -nv) for nv, t in top]
    norm = math.sqrt(sum([v * v for _, v in pairs])) or 1.0
    return {t: v / norm for t, v in pairs}


def _bits(v: dict[str, float]) -> list[tuple[str, bytes]]:
    return [(t, struct.pack("d", x)) for t, x in v.items()]


def test_terms_equal_the_old_terms_and_are_interned() -> None:
    lexical.release_word_terms()
    texts = _texts()
    for _ in range(2):  # the second round reads every run and token from the memos
        for _lang, title, lead in texts:
            got, want = lexical.terms(title, lead), _old_terms(title, lead)
            assert list(got.items()) == list(want.items())
            assert all(t is sys.intern(t) for t in got)


def test_a_han_run_and_a_latin_token_are_read_once_across_texts() -> None:
    lexical.release_word_terms()
    a = lexical.terms("美联储宣布降息 Fed cuts rates", "")
    runs = lexical._word_terms.runs if lexical._word_terms is not None else {}
    assert "美联储宣布降息" in runs and "rates" in lexical._LATIN_TERMS
    runs["美联储宣布降息"] = ("marker",)
    lexical._LATIN_TERMS["rates"] = ("marker2",)
    b = lexical.terms("美联储宣布降息 Fed cuts rates", "")
    assert b["marker"] == 2 and b["marker2"] == 2 and "rate" in a
    lexical.release_word_terms()
    assert not lexical._LATIN_TERMS
    assert lexical.terms("美联储宣布降息 Fed cuts rates", "") == a


def test_memos_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexical, "MAX_MEMO_RUNS", 3)
    monkeypatch.setattr(lexical, "MAX_MEMO_WORDS", 3)
    lexical.release_word_terms()
    for k in range(10):
        lexical.terms(f"中国{'美国' * k} word{k}", "")
    assert lexical._word_terms is not None
    assert len(lexical._word_terms.runs) <= 3 and len(lexical._LATIN_TERMS) <= 3
    lexical.release_word_terms()


def test_stream_weights_df_and_profiles_equal_the_old_loops() -> None:
    """Items streamed as the clusterer does: weighed (native first) against the df before
    they enter it. Weights bit for bit, df rows, profile sums and norms as the old loops'."""
    df = lexical.DocFreq()
    ref_df: dict[str, int] = {}
    n_docs = 0
    profiles = [lexical.Profile() for _ in range(7)]
    ref_sums: list[dict[str, float]] = [{} for _ in profiles]
    ref_norm2 = [0.0 for _ in profiles]
    for k, (lang, title, lead) in enumerate(_texts()):
        counts = lexical.terms(title, lead)
        native = lang.startswith("zh")
        shared, nat = lexical.split(counts.items(), native)
        assert shared == [(t, c) for t, c in counts.items() if not t.startswith("=")]
        parts = [shared] if nat is None else [nat, shared]
        for part in parts:
            got = lexical.weigh_chosen(part, df)
            want = _old_weigh(part, n_docs, ref_df)
            assert _bits(got) == _bits(want)
        vec = lexical.weigh_chosen(shared, df)
        p, j = profiles[k % 7], k % 7
        p.add(lexical.pack(vec) if k % 2 else vec)
        for t, x in vec.items():  # the old Profile.add: a new term adds x², an old one 2·old·x + x²
            old = ref_sums[j].get(t)
            ref_sums[j][t] = x if old is None else old + x
            ref_norm2[j] += x * x if old is None else 2 * old * x + x * x
        assert p.norm2 == ref_norm2[j]
        assert _bits(p.sums) == _bits(ref_sums[j])
        df.add(counts)
        n_docs = k + 1
        for t in counts:
            ref_df[t] = ref_df.get(t, 0) + 1
        assert df.df == ref_df and list(df.df) == list(ref_df)
        if k % 17 == 0:
            n, rows = df.take_changes()
            assert n == n_docs and rows == sorted(rows) and all(ref_df[t] == c for t, c in rows)
