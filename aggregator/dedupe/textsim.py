"""Dedupe stage, text similarity primitives (pure): folded text → script-aware shingles →
MinHash signatures; exact Jaccard / containment on shingle sets for verification.

Shingles fit the script. A run of Han (and kana/hangul) characters gives character n-grams,
a run of space-separated words gives word n-grams; the run breaks where the script changes,
so a Chinese summary over an embedded English article yields the English article's own word
shingles (containment keeps working on mixed text). Punctuation is dropped; numbers join the
run they sit in (``2021年5月`` stays one Han run). Every shingle is a stable 64-bit integer
(blake2b for words, code points for Han characters, mixed with splitmix64 in numpy), so
results do not depend on ``PYTHONHASHSEED`` and can be compared across restarts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from aggregator.dedupe.sketch_id import NUM_PERM as NUM_PERM  # re-exported
from aggregator.dedupe.sketch_id import SKETCH_ID as SKETCH_ID
from aggregator.dedupe.sketch_id import SKETCH_SEED as _SKETCH_SEED

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
_T = TypeVar("_T", bound=np.integer[Any])

#: Character n-gram size over Han runs. 3 beat 2 on bench/eval_dedup.py --sweep (Chinese feeds
#: + WMT zh): same-source different-story pairs median Jaccard 0.05 → 0.03 and containment
#: median 0.15 → 0.08; a lead inside another story, containment p95 0.24 → 0.09; rewrites
#: (boilerplate, byline, truncation, s2t) scored within 0.01. 4-grams gained nothing more.
HAN_NGRAM_CHARS = 3
#: Word n-gram size over space-separated runs. Same sweep, English: 3 vs 2 moved same-source
#: different-story Jaccard median 0.04 → 0.02, lead-in-other-story containment p95 0.12 → 0.04,
#: rewrites within 0.01.
WORD_NGRAM_WORDS = 3
#: Shingles per script part kept for the "lead" signature (first N in text order). A lead of
#: 40 shingles is ~2 English sentences or ~45 Han characters: enough to make an unrelated lead
#: match improbable, short enough that a truncated re-post keeps all of it.
LEAD_SHINGLES = 40

_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK ext. A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\uf900-\ufaff"  # compatibility ideographs
    "\U00020000-\U0003134f"  # ext. B-G
)
_TOKEN_RE = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_CJK_RE = re.compile(f"[{_CJK}]")
#: Word tokens of text without CJK characters (the second group of ``_TOKEN_RE``), and the
#: same for ASCII text (where ``[^\\W_]`` is ``[A-Za-z0-9]``; the short class is 3x faster).
_WORD_RE = re.compile(f"[^\\W_{_CJK}]+")
_ASCII_WORD_RE = re.compile("[A-Za-z0-9]+")

_HAN = 1
_WORD = 2
_SALT = {
    (_HAN, True): 0x9E3779B97F4A7C15,
    (_HAN, False): 0xC2B2AE3D27D4EB4F,
    (_WORD, True): 0x165667B19E3779F9,
    (_WORD, False): 0x27D4EB2F165667C5,
}
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_K = np.uint64(0x9E3779B97F4A7C15)
_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)


#: Word ids remembered (news vocabulary repeats: ~3x faster shingling on WMT-en); the dict
#: is emptied when full. A plain dict read through ``map(dict.__getitem__, words)`` costs
#: half of an ``lru_cache`` hit per word.
WORD_ID_CACHE_SIZE = 1 << 16
_WORD_IDS: dict[str, int] = {}


def _blake_id(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


def _word_id(word: str) -> int:
    """The stable 64-bit id of one word token."""
    found = _WORD_IDS.get(word)
    if found is None:
        if len(_WORD_IDS) >= WORD_ID_CACHE_SIZE:
            _WORD_IDS.clear()
        found = _WORD_IDS[word] = _blake_id(word)
    return found


def _word_id_array(words: list[str]) -> U64:
    """``_word_id`` of each word, as a new array. Words not seen yet are added first (one
    set difference), so that every word is then read by the fast ``map``; only when they do
    not fit in the cache does every word go through ``_word_id``."""
    try:
        return np.fromiter(map(_WORD_IDS.__getitem__, words), dtype=np.uint64, count=len(words))
    except KeyError:
        pass
    missing = set(words).difference(_WORD_IDS)
    if len(_WORD_IDS) + len(missing) > WORD_ID_CACHE_SIZE:
        return np.fromiter(map(_word_id, words), dtype=np.uint64, count=len(words))
    for word in missing:
        _WORD_IDS[word] = _blake_id(word)
    return np.fromiter(map(_WORD_IDS.__getitem__, words), dtype=np.uint64, count=len(words))


@dataclass(frozen=True)
class Shingled:
    """Shingle hashes of one text. ``han``/``words`` are in text order (for lead signatures),
    holding only full-length n-grams; ``all`` is the sorted unique set of every shingle."""

    han: U64
    words: U64
    all: U64

    def __len__(self) -> int:
        return int(self.all.size)


def _words(text: str) -> list[str]:
    """The word tokens (``_TOKEN_RE`` group 2) of text holding no CJK character."""
    pieces = text.split()
    if "".join(pieces).isalnum():  # no punctuation nor "_": the pieces are the tokens
        return pieces
    return (_ASCII_WORD_RE if text.isascii() else _WORD_RE).findall(text)


#: Stands for a word token in the token string of CJK text (never a CJK character).
_WORD_MARK = "\uffff"


def _token_runs(text: str) -> tuple[U64, list[int], list[int]]:
    """Folded text's script runs, as one new token array of every run's token ids and the
    runs' kinds and lengths (in tokens): Han runs (one token per character, a number is one
    token and joins the run it sits in) and word runs (one token per word).

    Text without CJK characters (most English) is one word run of all its words, numbers
    included: it skips the token loop. For CJK text the loop over tokens builds a string of
    the Han characters with one ``_WORD_MARK`` per word token; its code points (one
    ``encode``, no per-character ``ord``) are the Han tokens, and the marks are overwritten
    with the word ids in order."""
    if text.isascii() or _CJK_RE.search(text) is None:
        words = _words(text)
        return _word_id_array(words), ([_WORD] if words else []), ([len(words)] if words else [])
    pieces: list[str] = []
    word_ids: list[int] = []
    kinds: list[int] = []
    lengths: list[int] = []
    kind = 0
    count = 0  # tokens of the current run (numbers before the first run join it)
    for cjk, word in _TOKEN_RE.findall(text):
        if cjk:
            if kind != _HAN:
                if kind:
                    kinds.append(kind)
                    lengths.append(count)
                    count = 0
                kind = _HAN
            pieces.append(cjk)
            count += len(cjk)
        else:
            if kind != _WORD and not word.isdigit():
                if kind:
                    kinds.append(kind)
                    lengths.append(count)
                    count = 0
                kind = _WORD
            pieces.append(_WORD_MARK)
            word_ids.append(_word_id(word))
            count += 1
    if count:
        kinds.append(kind or _WORD)
        lengths.append(count)
    points = np.frombuffer("".join(pieces).encode("utf-32-le"), dtype=np.uint32)
    toks = points.astype(np.uint64)
    if word_ids:
        toks[points == ord(_WORD_MARK)] = np.asarray(word_ids, dtype=np.uint64)
    return toks, kinds, lengths


def _mix_inplace(x: U64) -> U64:
    """splitmix64 finaliser of each value, overwriting ``x`` (which the caller owns; uint64
    arithmetic wraps mod 2**64 by design): the one implementation of the mix."""
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


def mix(x: U64) -> U64:
    """splitmix64 finaliser of each value, as a new array."""
    return _mix_inplace(np.array(x, dtype=np.uint64))


def chain(h: U64, x: U64, out: U64 | None = None) -> U64:
    """``mix(h·K ^ x)``: one more token folded into each running hash (the n-gram of length
    k from the (k-1)-gram and its last token; a band key from its rows), written to ``out``
    (which may be ``h``) or to a new array."""
    out = np.multiply(h, _K, out=out)
    out ^= x
    return _mix_inplace(out)


def sorted_unique(a: npt.NDArray[_T]) -> npt.NDArray[_T]:
    """``np.unique(a)`` (sorted, each value once) of a 1-D integer array, without its
    per-call overhead (the arrays here hold tens to a few thousand values)."""
    a = np.sort(a)
    if a.size < 2:
        return a
    keep = np.empty(a.size, dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def shingle(text: str, han_n: int = HAN_NGRAM_CHARS, word_n: int = WORD_NGRAM_WORDS) -> Shingled:
    """Script-aware shingles of already folded text (see module docstring): the steps of
    :func:`shingle_many`, without its bookkeeping across texts."""
    a, kinds, lengths = _token_runs(text)
    empty = np.zeros(0, dtype=np.uint64)
    if not lengths:
        return Shingled(han=empty, words=empty, all=empty)
    levels = _ngram_levels(a, kinds, lengths, han_n, word_n)
    return _pick_shingles(levels, 0, kinds, lengths, (han_n, word_n), empty)


def shingle_many(
    texts: Sequence[str], han_n: int = HAN_NGRAM_CHARS, word_n: int = WORD_NGRAM_WORDS
) -> list[Shingled]:
    """:func:`shingle` of each text, computed together.

    Every script run's tokens, of every text, are salted, mixed and chained in one array
    (the n-gram of length k at position i is ``chain(gram(k-1, i), tok[i+k-1])``); windows
    that cross a run (or text) boundary are computed too and never picked. A few numpy calls
    per call instead of ~20 per run, whatever the number of texts: with :func:`sketch_many`
    and ``neardup.band_keys_many``, a feed's 20 new items took 37 % fewer instructions per
    item than one by one (docs/session-7/report-ingest-7.md)."""
    arrays: list[U64] = []
    kinds: list[int] = []
    lengths: list[int] = []
    runs_of: list[int] = []  # script runs of each text
    for text in texts:
        toks, run_kinds, run_lengths = _token_runs(text)
        if run_lengths:
            arrays.append(toks)
        kinds += run_kinds
        lengths += run_lengths
        runs_of.append(len(run_lengths))
    empty = np.zeros(0, dtype=np.uint64)
    if not lengths:
        return [Shingled(han=empty, words=empty, all=empty) for _ in texts]
    a = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
    levels = _ngram_levels(a, kinds, lengths, han_n, word_n)
    out: list[Shingled] = []
    run = start = 0
    for count in runs_of:
        if not count:
            out.append(Shingled(han=empty, words=empty, all=empty))
            continue
        run_kinds, run_lengths = kinds[run : run + count], lengths[run : run + count]
        out.append(_pick_shingles(levels, start, run_kinds, run_lengths, (han_n, word_n), empty))
        run += count
        start += sum(run_lengths)
    return out


def _ngram_levels(
    a: U64, kinds: list[int], lengths: list[int], han_n: int, word_n: int
) -> list[U64]:
    """``levels[k-1][i]``: the hash of the k-gram starting at token i of ``a`` (the runs'
    tokens, salted and mixed here in place), for k up to the longest n-gram needed; a window
    across a run boundary is garbage, never picked."""
    salts = [
        _SALT[(kind, length >= (han_n if kind == _HAN else word_n))]
        for kind, length in zip(kinds, lengths, strict=True)
    ]
    if len(salts) == 1:
        a ^= np.uint64(salts[0])
    else:
        a ^= np.repeat(np.asarray(salts, dtype=np.uint64), lengths)
    _mix_inplace(a)
    levels = [a]
    h = a
    for k in range(1, min(max(han_n, word_n), max(lengths))):
        h = chain(h[:-1], a[k:])
        levels.append(h)
    return levels


def _pick_shingles(
    levels: list[U64],
    start: int,
    kinds: list[int],
    lengths: list[int],
    ns: tuple[int, int],
    empty: U64,
) -> Shingled:
    """One text's shingles from :func:`_ngram_levels`: its runs start at token ``start``;
    ``ns``: the n-gram sizes (Han, words)."""
    han_n, word_n = ns
    han: list[U64] = []
    words: list[U64] = []
    short: list[U64] = []
    for kind, length in zip(kinds, lengths, strict=True):
        n = han_n if kind == _HAN else word_n
        if length < n:  # a run shorter than n is one shingle of all its tokens
            short.append(levels[length - 1][start : start + 1])
        else:
            (han if kind == _HAN else words).append(levels[n - 1][start : start + length - n + 1])
        start += length
    han_a = (han[0] if len(han) == 1 else np.concatenate(han)) if han else empty
    words_a = (words[0] if len(words) == 1 else np.concatenate(words)) if words else empty
    parts = [p for p in (han_a, words_a, *short) if p.size]
    all_a = sorted_unique(parts[0] if len(parts) == 1 else np.concatenate(parts))
    return Shingled(han=han_a, words=words_a, all=all_a)


def han_fraction(text: str) -> float:
    """Share of letters that are CJK (0.0 for English, ~1.0 for Chinese)."""
    letters = sum(1 for c in text if c.isalnum())
    return len(_CJK_RE.findall(text)) / letters if letters else 0.0


#: A MinHash slot of an empty set (no shingles).
EMPTY_SLOT = 0xFFFFFFFF

# Fixed seeds: signatures stored in SQLite must stay comparable across restarts and versions.
_rng = np.random.default_rng(20261122)
_PERM_A = _rng.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_PERM_B = _rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)


def minhash(shingles: U64, num_perm: int = NUM_PERM) -> U32:
    """MinHash signature (uint32 × num_perm) of a set of 64-bit shingle hashes.

    Permutation i is multiply-shift hashing ``(a_i·x + b_i) mod 2**64 >> 32`` with odd a_i,
    a universal family; x is already a mixed 64-bit hash. Empty input gives all 0xFFFFFFFF.
    """
    if num_perm > NUM_PERM:
        raise ValueError(f"num_perm must be ≤ {NUM_PERM}")
    if shingles.size == 0:
        return np.full(num_perm, EMPTY_SLOT, dtype=np.uint32)
    # One (num_perm, n) array, added to in place, and the shift after the minimum (a shift
    # keeps order): 6x less CPU than three (n, num_perm) temporaries at n = 1,500.
    v = np.multiply.outer(_PERM_A[:num_perm], shingles.astype(np.uint64, copy=False))
    v += _PERM_B[:num_perm, None]
    sig: U32 = (v.min(axis=1) >> np.uint64(32)).astype(np.uint32)
    return sig


def estimate_jaccard(a: U32, b: U32) -> float:
    """Share of equal MinHash slots: an unbiased estimate of the sets' Jaccard similarity."""
    return float(np.mean(a == b))


def jaccard(a: U64, b: U64) -> float:
    """Exact |A∩B| / |A∪B| of two sorted unique shingle arrays (0.0 when both empty)."""
    if a.size == 0 and b.size == 0:
        return 0.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


def containment(a: U64, b: U64) -> float:
    """Exact |A∩B| / |A|: how much of A is inside B (0.0 when A is empty)."""
    if a.size == 0:
        return 0.0
    return np.intersect1d(a, b, assume_unique=True).size / a.size


def sketch(sh: Shingled, lead_shingles: int = LEAD_SHINGLES) -> U32:
    """Signatures to index for one text, shape (k, NUM_PERM): row 0 is the MinHash of the
    whole set; one more row per script part (Han, words) holding ≥ ``lead_shingles``
    full n-grams: the MinHash of its first ``lead_shingles`` shingles (:func:`_sketch_rows`).
    The steps of :func:`sketch_many`, without its bookkeeping across texts.

    The lead rows make containment findable in constant time: a truncated re-post, or a
    digest embedding a whole article after a summary in another script, has low Jaccard with
    the original but the same lead in that script.

    The rows come from rensa (Rust): 0.027 vs 0.111 ms CPU per item for :func:`minhash`
    (numpy) on bench/eval_dedup.py, recall 0.991 vs 0.990, no false match either way
    (``--sketch rensa``/``ours``).
    """
    if sh.all.size == 0:
        return _empty_sketch()
    return _minhash_rows(_sketch_rows(sh, lead_shingles))


def sketch_many(shs: Sequence[Shingled], lead_shingles: int = LEAD_SHINGLES) -> list[U32]:
    """:func:`sketch` of each shingled text, every row of every text from one rensa call
    (one fixed cost for all). A text without shingles gets one row of ``EMPTY_SLOT``."""
    rows: list[U64] = []
    counts: list[int] = []  # sketch rows of each text; 0: no shingles
    for sh in shs:
        mine = _sketch_rows(sh, lead_shingles) if sh.all.size else []
        rows += mine
        counts.append(len(mine))
    m = _minhash_rows(rows) if rows else np.zeros((0, NUM_PERM), dtype=np.uint32)
    out: list[U32] = []
    start = 0
    for k in counts:
        out.append(m[start : start + k] if k else _empty_sketch())
        start += k
    return out


def _empty_sketch() -> U32:
    """The sketch of a text without shingles: one row of ``EMPTY_SLOT``."""
    return np.full((1, NUM_PERM), EMPTY_SLOT, dtype=np.uint32)


def _minhash_rows(rows: list[U64]) -> U32:
    """rensa's MinHash of each (non-empty) shingle set, shape (len(rows), NUM_PERM), from
    one call."""
    from rensa import RMinHash

    offsets = [0]
    for r in rows:
        offsets.append(offsets[-1] + r.size)
    flat = rows[0] if len(rows) == 1 else np.concatenate(rows)
    digests = RMinHash.digest_matrix_from_flat_token_hashes(
        flat, np.asarray(offsets, dtype=np.uint64), NUM_PERM, _SKETCH_SEED
    )
    out: U32 = np.asarray(digests.to_rows(), dtype=np.uint32)
    return out


def _sketch_rows(sh: Shingled, lead_shingles: int) -> list[U64]:
    """The shingle sets a sketch has a row for: the whole set, then the sorted unique lead of
    each script part holding ≥ ``lead_shingles`` full n-grams (a lead equal to the whole
    text adds nothing)."""
    rows = [sh.all]
    for part in (sh.han, sh.words):
        if part.size >= lead_shingles:
            lead = sorted_unique(part[:lead_shingles])
            if lead.size < sh.all.size:
                rows.append(lead)
    return rows


def sketch_numpy(sh: Shingled, lead_shingles: int = LEAD_SHINGLES) -> U32:
    """The sketch before rensa (:func:`minhash` rows): reading band keys stored by it."""
    out: U32 = np.stack([minhash(r) for r in _sketch_rows(sh, lead_shingles)])
    return out


def shingle_strings(
    text: str, han_n: int = HAN_NGRAM_CHARS, word_n: int = WORD_NGRAM_WORDS
) -> list[str]:
    """Readable shingles (debugging and tests only; matching uses :func:`shingle`)."""
    out: list[str] = []
    for m_kind, chunk in _readable_runs(text):
        n = han_n if m_kind == _HAN else word_n
        sep = "" if m_kind == _HAN else " "
        if len(chunk) < n:
            out.append(sep.join(chunk))
        else:
            out.extend(sep.join(chunk[i : i + n]) for i in range(len(chunk) - n + 1))
    return out


def _readable_runs(text: str) -> list[tuple[int, list[str]]]:
    runs: list[tuple[int, list[str]]] = []
    kind = 0
    toks: list[str] = []
    pending: list[str] = []
    for m in _TOKEN_RE.finditer(text):
        cjk, word = m.group(1), m.group(2)
        if cjk or not word.isdigit():
            new = _HAN if cjk else _WORD
            if kind != new:
                if toks:
                    runs.append((kind, toks))
                kind, toks, pending = new, pending, []
            toks.extend(list(cjk) if cjk else [word])
        else:
            (toks if kind else pending).append(word)
    if toks:
        runs.append((kind, toks))
    if pending:
        runs.append((_WORD, pending))
    return runs
