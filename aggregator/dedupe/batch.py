"""Dedupe stage, near-duplicate records of several texts at once (pure).

The same values as :func:`textsim.shingle`, :func:`textsim.sketch` and
:func:`neardup.band_keys` called text by text, computed with one array per step for a
whole batch (a feed's new items): those functions spend most of their time in the fixed cost
of each numpy call and of the MinHash call on arrays of a few hundred values, so a batch of
20 texts costs little more than one. ``tests/dedupe/test_batch.py`` compares every value with
the one-text functions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from aggregator.dedupe import textsim
from aggregator.dedupe.neardup import (
    _BAND_SALT,
    LEAD_BANDS,
    LSH_BANDS,
    LSH_ROWS_PER_BAND,
    TextRecord,
)
from aggregator.dedupe.sketch_id import SKETCH_SEED
from aggregator.dedupe.textsim import _HAN, _SALT, U32, U64, Shingled

_EMPTY_ROW = 0xFFFFFFFF


def shingle_many(
    texts: Sequence[str],
    han_n: int = textsim.HAN_NGRAM_CHARS,
    word_n: int = textsim.WORD_NGRAM_WORDS,
) -> list[Shingled]:
    """:func:`textsim.shingle` of each text. The texts' script runs are chained in one
    array, as ``shingle`` chains one text's runs: windows across a run (or text) boundary
    are computed and never picked."""
    arrays: list[U64] = []
    kinds: list[int] = []
    lengths: list[int] = []
    runs_of: list[int] = []  # script runs of each text
    for text in texts:
        toks, run_kinds, run_lengths = textsim._token_runs(text)
        if run_lengths:
            arrays.append(toks)
        kinds += run_kinds
        lengths += run_lengths
        runs_of.append(len(run_lengths))
    empty = np.zeros(0, dtype=np.uint64)
    if not lengths:
        return [Shingled(han=empty, words=empty, all=empty) for _ in texts]
    a = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
    salts = [
        _SALT[(kind, length >= (han_n if kind == _HAN else word_n))]
        for kind, length in zip(kinds, lengths, strict=True)
    ]
    a ^= np.repeat(np.asarray(salts, dtype=np.uint64), lengths)
    textsim._mix_inplace(a)
    top = min(max(han_n, word_n), max(lengths))
    levels = [a]  # levels[k-1][i]: the k-gram starting at token i
    h = a
    for k in range(1, top):
        h = h[:-1] * textsim._K
        h ^= a[k:]
        textsim._mix_inplace(h)
        levels.append(h)
    out: list[Shingled] = []
    run = start = 0
    for count in runs_of:
        han: list[U64] = []
        words: list[U64] = []
        short: list[U64] = []
        for kind, length in zip(kinds[run : run + count], lengths[run : run + count], strict=True):
            n = han_n if kind == _HAN else word_n
            if length < n:
                short.append(levels[length - 1][start : start + 1])
            else:
                part = levels[n - 1][start : start + length - n + 1]
                (han if kind == _HAN else words).append(part)
            start += length
        run += count
        if not count:
            out.append(Shingled(han=empty, words=empty, all=empty))
            continue
        han_a = (han[0] if len(han) == 1 else np.concatenate(han)) if han else empty
        words_a = (words[0] if len(words) == 1 else np.concatenate(words)) if words else empty
        parts = [p for p in (han_a, words_a, *short) if p.size]
        all_a = textsim.sorted_unique(parts[0] if len(parts) == 1 else np.concatenate(parts))
        out.append(Shingled(han=han_a, words=words_a, all=all_a))
    return out


def sketch_many(shs: Sequence[Shingled], lead_shingles: int = textsim.LEAD_SHINGLES) -> list[U32]:
    """:func:`textsim.sketch` of each shingled text, from one MinHash call for all rows."""
    from rensa import RMinHash

    rows: list[U64] = []
    counts: list[int] = []  # sketch rows of each text; 0: empty text (one row of 0xFFFFFFFF)
    for sh in shs:
        if sh.all.size == 0:
            counts.append(0)
            continue
        rows.append(sh.all)
        k = 1
        for part in (sh.han, sh.words):
            if part.size >= lead_shingles:
                lead = textsim.sorted_unique(part[:lead_shingles])
                if lead.size < sh.all.size:
                    rows.append(lead)
                    k += 1
        counts.append(k)
    m: U32 = np.zeros((0, textsim.NUM_PERM), dtype=np.uint32)
    if rows:
        offsets = [0]
        for r in rows:
            offsets.append(offsets[-1] + r.size)
        flat = rows[0] if len(rows) == 1 else np.concatenate(rows)
        digests = RMinHash.digest_matrix_from_flat_token_hashes(
            flat, np.asarray(offsets, dtype=np.uint64), textsim.NUM_PERM, SKETCH_SEED
        )
        m = np.asarray(digests.to_rows(), dtype=np.uint32)
    out: list[U32] = []
    start = 0
    for k in counts:
        if k:
            out.append(m[start : start + k])
            start += k
        else:
            out.append(np.full((1, textsim.NUM_PERM), _EMPTY_ROW, dtype=np.uint32))
    return out


def band_keys_many(
    sigs: Sequence[U32],
    bands: int = LSH_BANDS,
    rows: int = LSH_ROWS_PER_BAND,
    lead_bands: int = LEAD_BANDS,
) -> list[list[int]]:
    """:func:`neardup.band_keys` of each sketch, hashing the rows of all sketches at once."""
    if not sigs:
        return []
    s = np.concatenate([np.atleast_2d(g) for g in sigs])
    if s.shape[1] < bands * rows:
        raise ValueError("signature shorter than bands × rows")
    block = s[:, : bands * rows].reshape(s.shape[0], bands, rows).astype(np.uint64)
    h: U64 = np.empty(block.shape[:2], dtype=np.uint64)
    h[:] = _BAND_SALT[:bands]
    for c in range(rows):
        h *= textsim._K
        h ^= block[:, :, c]
        textsim._mix_inplace(h)
    signed = h.view(np.int64)
    out: list[list[int]] = []
    start = 0
    for g in sigs:
        k = np.atleast_2d(g).shape[0]
        keys: list[int] = signed[start].tolist()
        if k > 1:
            keys += signed[start + 1 : start + k, :lead_bands].ravel().tolist()
        out.append(sorted(set(keys)))  # = textsim.sorted_unique(keys).tolist()
        start += k
    return out


def make_records(texts: Sequence[tuple[int, str, str, str]]) -> list[TextRecord]:
    """:func:`neardup.make_record` of each ``(item_id, lang, title_folded, text_folded)``."""
    bodies = [text if text.strip() else title for _, _, title, text in texts]
    return [
        TextRecord(item_id=i, lang=lang, title_folded=title, text_folded=text, shingles=sh)
        for (i, lang, title, text), sh in zip(texts, shingle_many(bodies), strict=True)
    ]
