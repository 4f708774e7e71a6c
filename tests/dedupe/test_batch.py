"""dedupe.batch computes, for several texts at once, exactly what the one-text functions give."""

from __future__ import annotations

import random

import numpy as np

from aggregator.dedupe import batch, neardup, textsim


def _mixed_texts() -> list[str]:
    """Random script mixes (as tests/dedupe/test_textsim.py's)."""
    rng = random.Random(16)
    pieces = ["中", "国", "经济", "年", "2021", "5", "the", "quick", "fox", " ", " ", "，"]
    pieces += [".", "x", "ａ", "東京", "한국", "かな", "3.14", "snake_case", "déjà", "\U00020000"]
    texts = ["", " ", "中", "中国", "a", "a b", "2021", "2021年5月", "1 2 中 3 4 x", "x 中 y"]
    texts += ["".join(rng.choices(pieces, k=rng.randint(1, 60))) for _ in range(2000)]
    return texts


def _groups(texts: list[str], seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    out: list[list[str]] = [[], [""], ["", "中"]]
    i = 0
    while i < len(texts):
        n = rng.randint(1, 25)
        out.append(texts[i : i + n])
        i += n
    return out


def _long_texts() -> list[str]:
    """Texts long enough for lead rows (≥ 40 shingles per script part), mixed with short."""
    rng = random.Random(7)
    en = [f"word{i}" for i in range(300)]
    zh = [chr(0x4E00 + i) for i in range(400)]
    out = []
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(1, 4)):
            if rng.random() < 0.5:
                parts.append(" ".join(rng.choices(en, k=rng.randint(1, 120))))
            else:
                parts.append("".join(rng.choices(zh, k=rng.randint(1, 150))))
        out.append(" ".join(parts))
    return out


def test_shingle_many_equals_shingle_text_by_text() -> None:
    texts = _mixed_texts() + _long_texts()
    for han_n, word_n in ((3, 3), (2, 1), (1, 1), (4, 2)):
        for group in _groups(texts, han_n * 10 + word_n):
            got = batch.shingle_many(group, han_n, word_n)
            assert len(got) == len(group)
            for text, g in zip(group, got, strict=True):
                want = textsim.shingle(text, han_n, word_n)
                for part in ("han", "words", "all"):
                    a, b = getattr(g, part), getattr(want, part)
                    assert a.dtype == b.dtype and a.tolist() == b.tolist(), (text, part)


def test_sketches_and_band_keys_many_equal_one_by_one() -> None:
    texts = _mixed_texts()[:600] + _long_texts()
    random.Random(3).shuffle(texts)
    for group in _groups(texts, 1):
        shs = batch.shingle_many(group)
        sigs = batch.sketch_many(shs)
        keys = batch.band_keys_many(sigs)
        for sh, sig, k in zip(shs, sigs, keys, strict=True):
            want = textsim.sketch(sh)
            assert sig.dtype == want.dtype and sig.shape == want.shape
            assert np.array_equal(sig, want)
            assert k == neardup.band_keys(want)
        assert batch.band_keys_many(sigs, 16, 4, 8) == [
            neardup.band_keys(s, 16, 4, 8) for s in sigs
        ]


def test_make_records_equals_make_record() -> None:
    rows = [(i, "en", f"title {i}", t) for i, t in enumerate(["", "  ", *_long_texts()[:40]])]
    for got, (i, lang, title, text) in zip(batch.make_records(rows), rows, strict=True):
        want = neardup.make_record(i, lang, title, text)
        assert (got.item_id, got.lang, got.title_folded, got.text_folded) == (i, lang, title, text)
        assert got.shingles.all.tolist() == want.shingles.all.tolist()
        assert got.shingles.han.tolist() == want.shingles.han.tolist()
        assert got.shingles.words.tolist() == want.shingles.words.tolist()
        assert got.title_shingles.tolist() == want.title_shingles.tolist()


def test_add_keys_writes_every_row_as_executemany_did() -> None:
    """NearDupIndex.add_keys (multi-row statements, chunked) stores the rows the old
    executemany stored, also past one statement's row count and with repeated keys."""
    import sqlite3

    from aggregator.store.band_index import ADD_ROWS_PER_STATEMENT, NearDupIndex

    rng = random.Random(9)
    ours, theirs = sqlite3.connect(":memory:"), sqlite3.connect(":memory:")
    index, _ = NearDupIndex(ours), NearDupIndex(theirs)
    for item_id, n in enumerate([0, 1, 34, ADD_ROWS_PER_STATEMENT, 2 * ADD_ROWS_PER_STATEMENT + 5]):
        keys = [rng.getrandbits(64) - 2**63 for _ in range(n)] + [7, 7]
        index.add_keys(item_id, keys, "2026-11-20T00:00:00Z")
        theirs.executemany(
            "INSERT OR IGNORE INTO minhash_bands (band_key, item_id, at_s) VALUES (?, ?, ?)",
            [(k, item_id, 1795132800) for k in keys],  # 2026-11-20
        )
    sql = "SELECT band_key, item_id, at_s FROM minhash_bands ORDER BY band_key, item_id"
    assert ours.execute(sql).fetchall() == theirs.execute(sql).fetchall()
