"""textsim: script-aware shingles, MinHash, exact Jaccard/containment."""

from __future__ import annotations

import numpy as np
import opencc
import pytest

from aggregator.dedupe import textsim

T2S = opencc.OpenCC("t2s")


def test_han_char_trigrams_and_word_trigrams_per_run() -> None:
    s = textsim.shingle_strings("据美联社报道，the quick brown fox jumps。中国的发展")
    assert s == [
        "据美联",
        "美联社",
        "联社报",
        "社报道",
        "the quick brown",
        "quick brown fox",
        "brown fox jumps",
        "中国的",
        "国的发",
        "的发展",
    ]


def test_numbers_stay_in_their_run_and_punctuation_is_dropped() -> None:
    s = textsim.shingle_strings("2021年5月3日，新华社")
    assert "2021年5" in s and "日新华" in s
    assert textsim.shingle_strings("hello, world!! foo") == ["hello world foo"]
    assert len(textsim.shingle("hello, world!! foo")) == len(textsim.shingle("hello world foo"))


def test_short_runs_are_one_shingle() -> None:
    assert textsim.shingle_strings("中文 ap 报道") == ["中文", "ap", "报道"]
    assert len(textsim.shingle("")) == 0


def test_hashes_are_stable_and_match_counts() -> None:
    a = textsim.shingle("中国的发展 the quick brown fox")
    b = textsim.shingle("中国的发展 the quick brown fox")
    assert np.array_equal(a.all, b.all) and a.all.dtype == np.uint64
    assert len(a) == len(set(textsim.shingle_strings("中国的发展 the quick brown fox")))
    # Pinned values: a change of hashing would silently invalidate stored band keys.
    assert int(textsim.shingle("abc def ghi").all[0]) == 240120198056154544
    assert int(textsim.shingle("新华社").all[0]) == 15032198226172632540


def test_embedded_english_article_is_contained_in_mixed_digest() -> None:
    en = (
        "the president said on tuesday that the new trade agreement would lower tariffs "
        "on steel and aluminium imports from both countries starting next year."
    )
    digest = "美国总统周二表示，新贸易协定将从明年起降低两国钢铝进口关税。" + en
    a, b = textsim.shingle(en).all, textsim.shingle(digest).all
    assert textsim.containment(a, b) == 1.0
    assert 0.3 < textsim.jaccard(a, b) < 1.0


def test_traditional_folds_to_same_shingles() -> None:
    s = "新华社北京电 国务院总理主持召开国务院常务会议，部署进一步扩大对外开放。"
    t = opencc.OpenCC("s2t").convert(s)
    assert t != s
    assert textsim.jaccard(textsim.shingle(s).all, textsim.shingle(T2S.convert(t)).all) == 1.0


def test_minhash_estimates_jaccard() -> None:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2**63, size=1000, dtype=np.uint64)
    a = np.unique(base[:800])
    b = np.unique(base[200:])  # J = 600 / 1000
    est = textsim.estimate_jaccard(textsim.minhash(a), textsim.minhash(b))
    assert abs(est - textsim.jaccard(a, b)) < 0.15
    assert textsim.minhash(a).dtype == np.uint32 and textsim.minhash(a).shape == (96,)
    assert np.array_equal(textsim.minhash(a), textsim.minhash(a.copy()))


def test_sketch_adds_lead_rows_only_for_long_parts() -> None:
    short = textsim.shingle("one two three four five")
    assert textsim.sketch(short).shape == (1, textsim.NUM_PERM)
    long_en = " ".join(f"w{i}" for i in range(200))
    long_zh = "".join(chr(0x4E00 + i) for i in range(200))
    assert textsim.sketch(textsim.shingle(long_en)).shape[0] == 2
    assert textsim.sketch(textsim.shingle(long_zh + " " + long_en)).shape[0] == 3


def test_jaccard_containment_edges() -> None:
    e = np.zeros(0, dtype=np.uint64)
    a = np.array([1, 2, 3], dtype=np.uint64)
    assert textsim.jaccard(e, e) == 0.0 and textsim.containment(e, a) == 0.0
    assert textsim.containment(a[:2], a) == 1.0 and textsim.jaccard(a[:2], a) == 2 / 3
    assert textsim.han_fraction("中文abc") == 0.4


def _runs(text: str) -> list[tuple[int, list[int]]]:
    """Folded text's script runs of token ids, run by run (textsim._runs of 9a72612): the
    reference for textsim._token_runs. Text without CJK characters is one word run of all its
    words, numbers included: it skips the token loop below, which gives the same result."""
    if text.isascii() or textsim._CJK_RE.search(text) is None:
        words = textsim._words(text)
        return [(textsim._WORD, list(map(textsim._word_id, words)))] if words else []
    runs: list[tuple[int, list[int]]] = []
    kind = 0
    toks: list[int] = []
    pending: list[int] = []  # numbers seen before the run's script is known
    for cjk, word in textsim._TOKEN_RE.findall(text):
        if cjk:
            if kind != textsim._HAN:
                if toks:
                    runs.append((kind, toks))
                kind, toks = textsim._HAN, pending
                pending = []
            toks.extend(map(ord, cjk))
        elif word.isdigit():
            (toks if kind else pending).append(textsim._word_id(word))
        else:
            if kind != textsim._WORD:
                if toks:
                    runs.append((kind, toks))
                kind, toks = textsim._WORD, pending
                pending = []
            toks.append(textsim._word_id(word))
    if toks:
        runs.append((kind, toks))
    if pending:
        runs.append((textsim._WORD, pending))
    return runs


def _ngrams(tokens: list[int], n: int, salt: int) -> np.ndarray:
    """The n-grams of one run of tokens (textsim._ngrams of 9a72612, with textsim.chain): a
    run shorter than n is one shingle (e.g. a lone English word inside Chinese text)."""
    a = textsim.mix(np.asarray(tokens, dtype=np.uint64) ^ np.uint64(salt))
    m = 1 if a.size < n else a.size - n + 1
    h = a[:m]
    for k in range(1, min(n, a.size)):
        h = textsim.chain(h, a[k : k + m])
    return h


def _token_loop_runs(text: str) -> list[tuple[int, list[int]]]:
    """The word-at-a-time definition of runs, for texts without CJK: every token, in order,
    in one word run (numbers included)."""
    ids = [textsim._word_id(w) for _, w in textsim._TOKEN_RE.findall(text)]
    return [(textsim._WORD, ids)] if ids else []


def test_runs_fast_path_for_text_without_cjk_matches_the_token_loop() -> None:
    texts = [
        "",
        "   ",
        "12 34",
        "5% of 3.14 and 1,000",
        "snake_case x_1 __ ok",
        "straße café naïve ²³ ① déjà-vu",
        "привет мир 2021",
        "the quick brown fox",
        "tab\tand\nnewline\u3000ideographic space",
    ]
    for text in texts:
        assert _runs(text) == _token_loop_runs(text), text


def test_minhash_matches_the_plain_formula() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 7, 40, 1500):
        x = np.unique(rng.integers(0, 2**64 - 1, size=n, dtype=np.uint64))
        for k in (1, 40, textsim.NUM_PERM):
            a, b = textsim._PERM_A[None, :k], textsim._PERM_B[None, :k]
            v = (x[:, None] * a + b) >> np.uint64(32)
            assert np.array_equal(textsim.minhash(x, k), v.min(axis=0).astype(np.uint32))


def test_ngrams_match_the_mix_chain() -> None:
    tokens = [1, 2**64 - 1, 12345, 2**63, 7]
    for n in (1, 2, 3, 6):
        a = textsim.mix(np.asarray(tokens, dtype=np.uint64) ^ np.uint64(99))
        width = min(n, len(tokens))
        want = []
        for start in range(len(tokens) - width + 1):
            h = a[start : start + 1]
            for k in range(1, width):
                h = textsim.mix(h * textsim._K ^ a[start + k : start + k + 1])
            want.append(int(h[0]))
        assert _ngrams(tokens, n, 99).tolist() == want


def _shingle_per_run(text: str, han_n: int, word_n: int) -> textsim.Shingled:
    """textsim.shingle as written before it chained all runs in one array: _ngrams run by
    run, np.unique of everything."""
    han: list[np.ndarray] = []
    words: list[np.ndarray] = []
    short: list[np.ndarray] = []
    for kind, toks in _runs(text):
        n = han_n if kind == textsim._HAN else word_n
        full = len(toks) >= n
        h = _ngrams(toks, n, textsim._SALT[(kind, full)])
        if not full:
            short.append(h)
        elif kind == textsim._HAN:
            han.append(h)
        else:
            words.append(h)
    empty = np.zeros(0, dtype=np.uint64)
    han_a = np.concatenate(han) if han else empty
    words_a = np.concatenate(words) if words else empty
    return textsim.Shingled(han_a, words_a, np.unique(np.concatenate([han_a, words_a, *short])))


def _mixed_texts() -> list[str]:
    import random

    rng = random.Random(16)
    pieces = ["中", "国", "经济", "年", "2021", "5", "the", "quick", "fox", " ", " ", "，", ".",
              "x", "ａ", "東京", "한국", "かな", "3.14", "snake_case", "déjà", "\U00020000"]
    texts = ["", " ", "中", "中国", "a", "a b", "2021", "2021年5月", "1 2 中 3 4 x", "x 中 y"]
    texts += ["".join(rng.choices(pieces, k=rng.randint(1, 60))) for _ in range(3000)]
    return texts


def test_shingle_in_one_array_equals_shingling_run_by_run() -> None:
    for text in _mixed_texts():
        for han_n, word_n in ((3, 3), (2, 1), (1, 1), (4, 2)):
            got = textsim.shingle(text, han_n, word_n)
            want = _shingle_per_run(text, han_n, word_n)
            for part in ("han", "words", "all"):
                a, b = getattr(got, part), getattr(want, part)
                assert a.dtype == b.dtype and a.tolist() == b.tolist(), (text, han_n, word_n, part)


def test_sorted_unique_equals_np_unique() -> None:
    rng = np.random.default_rng(5)
    for n in (0, 1, 2, 3, 40, 1000):
        for high in (3, 2**63):
            x = rng.integers(0, high, size=n, dtype=np.uint64)
            assert textsim.sorted_unique(x).tolist() == np.unique(x).tolist()
            s = x.view(np.int64)
            assert textsim.sorted_unique(s).tolist() == np.unique(s).tolist()


def test_token_runs_flatten_the_runs() -> None:
    """The one-array tokens of a text are _runs' tokens in order, with its kinds and
    lengths (the word mark U+FFFF in the text itself is not a token)."""
    for text in [*_mixed_texts(), "\uffff中国\uffff x", "1 2 3", "２０２１年"]:
        toks, kinds, lengths = textsim._token_runs(text)
        runs = _runs(text)
        assert kinds == [k for k, _ in runs], text
        assert lengths == [len(t) for _, t in runs], text
        assert toks.dtype == np.uint64
        assert toks.tolist() == [t for _, run in runs for t in run], text


def test_word_ids_survive_the_cache_being_emptied(monkeypatch: pytest.MonkeyPatch) -> None:
    words = [f"w{i}" for i in range(50)]
    want = [textsim._blake_id(w) for w in words]
    monkeypatch.setattr(textsim, "WORD_ID_CACHE_SIZE", 7)
    textsim._WORD_IDS.clear()
    assert textsim._word_id_array(words).tolist() == want
    assert len(textsim._WORD_IDS) <= 7
    assert textsim._word_id_array(words[-3:]).tolist() == want[-3:]
    assert [textsim._word_id(w) for w in words] == want
