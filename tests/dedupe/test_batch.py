"""The dedupe stage's one implementation of each near-duplicate step, against the one-text code
it replaced (issue 16 code health).

``textsim.shingle_many``, ``textsim.sketch_many``, ``neardup.band_keys_many`` and
``neardup.make_records`` serve a feed's new items together and are also the one-text functions
(``shingle``, ``sketch``, ``band_keys``, ``make_record`` are their one-element case). The
one-text code they replaced is kept here, and only here, as the reference (``ref_*``: the code
of 9a72612, its in-place mix replaced by the plain splitmix64 formula, ``_ref_mix``). Stored
band keys and every dedupe decision depend on these values, so they must stay identical: a
store's band keys must keep meeting the keys of new items. Compared on random script mixes,
English and Simplified/Traditional Chinese articles (raw and folded), empty, very short and
very long texts, and the real feed corpus (../shared/feeds) grouped per feed as the pipeline
groups a feed's new items.
"""

from __future__ import annotations

import csv
import html
import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import opencc
import pytest
from conftest import FEEDS

from aggregator.dedupe import neardup, textsim
from aggregator.dedupe.textsim import U32, U64, Shingled

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import eval_dedup  # noqa: E402

# -- the reference: the one-text code of 9a72612 ---------------------------------------------


def _ref_mix(x: U64) -> U64:
    """splitmix64 finaliser, written out (textsim._mix of 9a72612)."""
    x = x ^ (x >> np.uint64(30))
    x = x * textsim._M1
    x = x ^ (x >> np.uint64(27))
    x = x * textsim._M2
    out: U64 = x ^ (x >> np.uint64(31))
    return out


def ref_shingle(text: str, han_n: int = 3, word_n: int = 3) -> Shingled:
    """textsim.shingle of 9a72612: every run of one text chained in one array."""
    a, kinds, lengths = textsim._token_runs(text)
    empty = np.zeros(0, dtype=np.uint64)
    if not lengths:
        return Shingled(han=empty, words=empty, all=empty)
    salts = [
        textsim._SALT[(kind, length >= (han_n if kind == textsim._HAN else word_n))]
        for kind, length in zip(kinds, lengths, strict=True)
    ]
    a = _ref_mix(a ^ np.repeat(np.asarray(salts, dtype=np.uint64), lengths))
    top = min(max(han_n, word_n), max(lengths))
    levels = [a]
    h = a
    for k in range(1, top):
        h = _ref_mix(h[:-1] * textsim._K ^ a[k:])
        levels.append(h)
    han: list[U64] = []
    words: list[U64] = []
    short: list[U64] = []
    start = 0
    for kind, length in zip(kinds, lengths, strict=True):
        n = han_n if kind == textsim._HAN else word_n
        if length < n:
            short.append(levels[length - 1][start : start + 1])
        else:
            part = levels[n - 1][start : start + length - n + 1]
            (han if kind == textsim._HAN else words).append(part)
        start += length
    han_a = np.concatenate(han) if han else empty
    words_a = np.concatenate(words) if words else empty
    all_a = textsim.sorted_unique(np.concatenate([han_a, words_a, *short]))
    return Shingled(han=han_a, words=words_a, all=all_a)


def ref_sketch(sh: Shingled, lead_shingles: int = 40) -> U32:
    """textsim.sketch of 9a72612: the whole set and each script part's lead, one rensa call."""
    from rensa import RMinHash

    if sh.all.size == 0:
        return np.full((1, textsim.NUM_PERM), 0xFFFFFFFF, dtype=np.uint32)
    rows = [sh.all]
    for part in (sh.han, sh.words):
        if part.size >= lead_shingles:
            lead = textsim.sorted_unique(part[:lead_shingles])
            if lead.size < sh.all.size:
                rows.append(lead)
    flat = np.concatenate(rows)
    offsets = np.zeros(len(rows) + 1, dtype=np.uint64)
    np.cumsum([r.size for r in rows], out=offsets[1:])
    m = RMinHash.digest_matrix_from_flat_token_hashes(flat, offsets, textsim.NUM_PERM, 20261122)
    out: U32 = np.asarray(m.to_rows(), dtype=np.uint32)
    return out


def ref_band_keys(sig: U32, bands: int = 24, rows: int = 4, lead_bands: int = 10) -> list[int]:
    """neardup.band_keys of 9a72612 (and before it mixed in place)."""
    s = np.atleast_2d(sig)
    block = s[:, : bands * rows].reshape(s.shape[0], bands, rows).astype(np.uint64)
    h = np.broadcast_to(neardup._BAND_SALT[:bands], block.shape[:2])
    for c in range(rows):
        h = _ref_mix(h * textsim._K ^ block[:, :, c])
    keys = np.concatenate([h[0], h[1:, :lead_bands].ravel()])
    out: list[int] = np.unique(keys.view(np.int64)).tolist()
    return out


def ref_make_record(item_id: int, lang: str, title: str, text: str) -> neardup.TextRecord:
    """neardup.make_record of 9a72612: the body decides, else the title."""
    body = text if text.strip() else title
    return neardup.TextRecord(item_id, lang, title, text, ref_shingle(body))


def test_the_reference_constants_are_the_stored_ones() -> None:
    """The reference's literals are the production settings that stored band keys use."""
    assert (neardup.LSH_BANDS, neardup.LSH_ROWS_PER_BAND, neardup.LEAD_BANDS) == (24, 4, 10)
    assert (textsim.HAN_NGRAM_CHARS, textsim.WORD_NGRAM_WORDS, textsim.LEAD_SHINGLES) == (3, 3, 40)
    assert textsim.SKETCH_ID == "rensa-0.5.0:rminhash:96:20261122"


# -- the corpus ------------------------------------------------------------------------------


def _mixed_texts(n: int) -> list[str]:
    """Random script mixes (as tests/dedupe/test_textsim.py's)."""
    rng = random.Random(16)
    pieces = ["中", "国", "经济", "年", "2021", "5", "the", "quick", "fox", " ", " ", "，"]
    pieces += [".", "x", "ａ", "東京", "한국", "かな", "3.14", "snake_case", "déjà", "\U00020000"]
    texts = ["", " ", "中", "中国", "a", "a b", "2021", "2021年5月", "1 2 中 3 4 x", "x 中 y"]
    texts += ["".join(rng.choices(pieces, k=rng.randint(1, 60))) for _ in range(n)]
    return texts


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


def _articles() -> list[tuple[str, str, str]]:
    """(lang, title, body) of real English and Chinese items (tests/fixtures/neardup), each
    also in Traditional script and folded as the pipeline folds text."""
    s2t = opencc.OpenCC("s2t")
    docs = eval_dedup.load_fixture(ROOT / "tests/fixtures/neardup/originals.json")
    out = []
    for d in docs:
        for title, body in ((d.title, d.body), (s2t.convert(d.title), s2t.convert(d.body))):
            out.append((d.lang, title, body))
            out.append((d.lang, eval_dedup.fold(title), eval_dedup.fold(body)))
    return out


def _edge_texts() -> list[str]:
    """Empty, blank, punctuation only, one token, and very long texts."""
    bodies = [body for _, _, body in _articles()]
    return [
        "", " ", "\n\t\u3000", "，。！？", "...", "_", "中", "a", "7", "😀", "\uffff", "\x00",
        "e\u0301", "\uffff中国\uffff x", "ab 中", "中 ab cd",
        " ".join(bodies),  # ~100,000 characters of both scripts
        "中" * 50_000, "word " * 20_000, "".join(chr(0x4E00 + i % 20_000) for i in range(60_000)),
    ]  # fmt: skip


def _corpus() -> list[str]:
    texts = _mixed_texts(1500) + _long_texts() + _edge_texts()
    texts += [t for _, title, body in _articles() for t in (title, body)]
    random.Random(3).shuffle(texts)
    return texts


def _groups(texts: list[str], seed: int) -> Iterator[list[str]]:
    """The texts in groups of 1-25 (a feed's new items), and a few edge groups."""
    rng = random.Random(seed)
    yield from ([], [""], ["", "中"], [" ", ""])
    i = 0
    while i < len(texts):
        n = rng.randint(1, 25)
        yield texts[i : i + n]
        i += n


def _same(got: np.ndarray, want: np.ndarray) -> bool:
    return got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)


def _assert_shingles(got: Shingled, want: Shingled, what: object) -> None:
    for part in ("han", "words", "all"):
        assert _same(getattr(got, part), getattr(want, part)), (what, part)


# -- production = reference ------------------------------------------------------------------


def test_shingles_equal_the_one_text_reference() -> None:
    texts = _corpus()
    for han_n, word_n in ((3, 3), (2, 1), (1, 1), (4, 2)):
        for group in _groups(texts, han_n * 10 + word_n):
            got = textsim.shingle_many(group, han_n, word_n)
            assert len(got) == len(group)
            for text, g in zip(group, got, strict=True):
                want = ref_shingle(text, han_n, word_n)
                _assert_shingles(g, want, (text[:80], han_n, word_n))
                _assert_shingles(textsim.shingle(text, han_n, word_n), want, text[:80])


def test_sketches_and_band_keys_equal_the_one_text_reference() -> None:
    for group in _groups(_corpus(), 1):
        shs = textsim.shingle_many(group)
        sigs = textsim.sketch_many(shs)
        keys = neardup.band_keys_many(sigs)
        assert len(sigs) == len(keys) == len(group)
        for sh, sig, k in zip(shs, sigs, keys, strict=True):
            want = ref_sketch(sh)
            assert _same(sig, want) and _same(textsim.sketch(sh), want)
            assert k == ref_band_keys(want) == neardup.band_keys(sig)
        assert neardup.band_keys_many(sigs, 16, 4, 8) == [ref_band_keys(s, 16, 4, 8) for s in sigs]
        assert all(_same(textsim.sketch_many(shs, 10)[i], ref_sketch(sh, 10))
                   for i, sh in enumerate(shs))  # fmt: skip


def test_band_keys_equal_the_reference_on_random_signatures() -> None:
    """Any signature, equal slots across rows and bands included, other bandings, 1-D."""
    rng = np.random.default_rng(9)
    for k in (1, 2, 3):
        sigs = []
        for _ in range(200):
            sig = rng.integers(0, 2**32, size=(k, textsim.NUM_PERM), dtype=np.uint32)
            if rng.random() < 0.3:
                sig[:, :8] = sig[0, 0]
            sigs.append(sig)
        for bands, rows, lead in ((24, 4, 10), (16, 4, 8), (8, 2, 8)):
            want = [ref_band_keys(s, bands, rows, lead) for s in sigs]
            assert neardup.band_keys_many(sigs, bands, rows, lead) == want
            assert [neardup.band_keys(s, bands, rows, lead) for s in sigs] == want
            if k == 1:
                flat = [s[0] for s in sigs]
                assert neardup.band_keys_many(flat, bands, rows, lead) == want
    with pytest.raises(ValueError):
        neardup.band_keys_many([sigs[0][:, :10]])
    assert neardup.band_keys_many([]) == []


def _assert_records(rows: list[tuple[int, str, str, str]]) -> None:
    """make_records (together) and make_record (one by one) give the reference's records,
    the lazy title shingles and the sketches' band keys included."""
    got = neardup.make_records(rows)
    keys = neardup.band_keys_many(textsim.sketch_many([r.shingles for r in got]))
    assert len(got) == len(rows)
    for g, k, row in zip(got, keys, rows, strict=True):
        want = ref_make_record(*row)
        for r in (g, neardup.make_record(*row)):
            assert (r.item_id, r.lang, r.title_folded, r.text_folded) == row
            _assert_shingles(r.shingles, want.shingles, row)
            title = ref_shingle(
                row[2], neardup.TITLE_HAN_NGRAM_CHARS, neardup.TITLE_WORD_NGRAM_WORDS
            ).all
            assert _same(r.title_shingles, title)
        assert k == ref_band_keys(ref_sketch(want.shingles))


def test_records_equal_the_one_text_reference() -> None:
    rows = [(i, lang, title, body) for i, (lang, title, body) in enumerate(_articles())]
    rows += [(900, "en", "title only", ""), (901, "zh", "只有标题", "  "), (902, "", "", "")]
    rows += [(1000 + i, "und", f"t{i}", t) for i, t in enumerate(_edge_texts())]
    rng = random.Random(5)
    rng.shuffle(rows)
    i = 0
    while i < len(rows):
        n = rng.randint(1, 20)
        _assert_records(rows[i : i + n])
        i += n


#: Documents of the real feed corpus read by the test below: those of at most this many
#: bytes with two items or more (147 documents, 1,871 items, English, Chinese, Japanese and
#: others; ~3 s). The largest documents cost most of the corpus's parse time.
CORPUS_MAX_BYTES = 100_000


def _strip_html(s: str) -> str:
    return " ".join(html.unescape(re.sub(r"(?s)<[^>]+>", " ", s)).split())


def test_real_feed_corpus_per_feed_equals_the_reference() -> None:
    """Each document's items, folded, grouped per feed as the pipeline makes a feed's
    probes: the same records, sketches and band keys as the reference item by item."""
    from aggregator.normalize.item import fold_for_matching
    from aggregator.parse.document import ParseError, parse_feed

    index = FEEDS / "index.tsv"
    if not index.exists():
        pytest.skip("shared feed corpus not mounted")
    with index.open(encoding="utf-8") as fh:
        listed = list(csv.DictReader(fh, delimiter="\t"))
    docs = [r for r in listed if int(r["bytes"]) <= CORPUS_MAX_BYTES and int(r["item_count"]) >= 2]
    items = 0
    for doc in docs:
        try:
            feed = parse_feed((FEEDS / doc["path"]).read_bytes(), url="http://127.0.0.1/x")
        except ParseError:
            continue
        rows = [
            (n, e.lang or "", fold_for_matching(e.title or ""),
             fold_for_matching(_strip_html(e.content_html or e.summary_html or "")))
            for n, e in enumerate(feed.entries)
        ]  # fmt: skip
        _assert_records(rows)
        items += len(rows)
    assert items >= 1500


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
