"""Dedupe stage, near-duplicate text (pure): ``TextRecord`` → band keys (``band_keys``) →
candidates from the band table (:mod:`aggregator.store.band_index`, the one part with I/O) →
``Match`` verdict (``judge``).

Flow for each new item (exact GUID/URL/hash dedup has already run)::

    rec  = make_record(item_id, lang, title_folded, text_folded)
    sig  = textsim.sketch(rec.shingles)          # (k, NUM_PERM) uint32: whole text + leads
    for old_id in index.candidates(sig):         # ≤ MAX_CANDIDATES, constant cost per item
        match = judge(rec, load_record(old_id))  # exact shingle sets decide, never MinHash
        if match: mark duplicate_of, store a Decision(rule=match.rule, …); break
    index.add(item_id, sig, at)                  # caller commits with the item

Rules (``judge``), in the order tried:
- ``near_text``: Jaccard of the shingle sets ≥ ``NEAR_TEXT_JACCARD``. Same story re-posted
  with boilerplate, bylines, a new title, Traditional vs Simplified (folded upstream).
- ``containment``: one item's shingles lie inside the other's (≥ ``CONTAINMENT_MIN``): a
  truncated lead, or a digest quoting a whole article under a summary in another script.
  Risk: a generic paragraph (boilerplate, a stock disclaimer) contained in many items; hence
  the smaller side must hold ≥ ``CONTAINED_MIN_SHINGLES`` shingles.
- ``near_title``: when either text is too short for shingles to mean much (title-only items,
  one-line summaries), near-identical titles decide. Risk: recurring titles ("Daily
  briefing"), so the title must hold ≥ ``TITLE_MIN_SHINGLES`` shingles.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from aggregator.dedupe import textsim
from aggregator.dedupe.textsim import U32, U64, Shingled

#: LSH bands × rows over the whole-text signature. 24 × 4 = 96 permutations: candidate
#: probability 1-(1-J^4)^24 is 0.964 at J=0.6 and 0.999 at J=0.7, and 2e-5 per stored item
#: at J=0.03 (unrelated Chinese news shares ~3% of char 3-grams): ≤ ~20 stray candidates per
#: query at 1M stored items in theory, 1.3 measured (synthetic, random-pair J mean 0.02).
#: 14 × 3 gave 1.5x the stray candidates on eval_dedup; more bands
#: cost bytes (bench/dedup_index.py at 1M items: 24 bytes per band row, 826 bytes per item).
#: Measured recall on planted pairs at 1M: 0.998 (0.994 for J in [0.6, 0.7)). 16 × 4 + 8 lead
#: bands scored the same on bench/eval_dedup.py with 30% fewer rows, but 0.89 at J=0.6 in theory.
LSH_BANDS = 24
LSH_ROWS_PER_BAND = 4
#: Bands indexed for each lead signature (first LEAD_SHINGLES shingles of a script part). A
#: lead and its re-post share J ≥ 0.8 even with a boilerplate prefix (1-(1-0.8^4)^10 = 0.995).
LEAD_BANDS = 10
#: Most candidates verified per new item: keeps the cost per item constant (bench at 1M items:
#: 1.3 candidates per query on average, 32 at most, i.e. a few hit this cap).
MAX_CANDIDATES = 32

#: Jaccard on shingle sets at or above which two texts are the same story. bench/eval_dedup.py
#: --sweep, 5th percentiles: boilerplate 0.77, byline 0.86, retitle 0.74, s2t 1.0, edit 0.57
#: (a dropped sentence in a short item); hard negatives (another item of the same source in
#: the same boilerplate) p95 0.06 English, 0.27 Chinese (dapenti's app-promo footer).
NEAR_TEXT_JACCARD = 0.6
#: Share of the smaller item's shingles found in the larger one for the containment rule.
#: Truncated leads and digests embedding an article score ≥ 0.98 (5th percentile); at 0.8 three
#: dapenti.com posts that are mostly the site's app-promo footer matched each other (0.83-0.84).
CONTAINMENT_MIN = 0.9
#: Smallest shingle set that may count as "contained": below ~25 shingles (one sentence) a
#: shared dateline or disclaimer could be contained in an unrelated item.
CONTAINED_MIN_SHINGLES = 25
#: Texts with fewer shingles than this are "short": decided on the title instead. This and
#: the title constants below are judgement, not measurement: the eval has no title-only set.
SHORT_TEXT_SHINGLES = 25
#: Title Jaccard for ``near_title`` (titles use 2-char / 1-word shingles, see below).
NEAR_TITLE_JACCARD = 0.7
#: Titles with fewer shingles than this never decide alone.
TITLE_MIN_SHINGLES = 4
#: Titles are short: 2-grams of Han characters, 1-grams of words.
TITLE_HAN_NGRAM_CHARS = 2
TITLE_WORD_NGRAM_WORDS = 1


@dataclass(frozen=True)
class TextRecord:
    """What the near-duplicate layer knows of one item: folded text and its shingles.
    The title's shingles are computed when :func:`judge` first needs them: most new items
    meet no candidate (shingling the title was ~14% of the near-duplicate CPU per new item
    on bench/peer.py's items, without SQLite)."""

    item_id: int
    lang: str
    title_folded: str
    text_folded: str
    shingles: Shingled

    @functools.cached_property
    def title_shingles(self) -> U64:
        """Shingle set of the folded title (2-char / 1-word shingles, see above)."""
        return textsim.shingle(
            self.title_folded, TITLE_HAN_NGRAM_CHARS, TITLE_WORD_NGRAM_WORDS
        ).all


@dataclass(frozen=True)
class Match:
    """A near-duplicate verdict: the rule that fired, its score and the figures behind it."""

    rule: str
    score: float
    features: Mapping[str, float | int] = field(default_factory=dict)


def make_record(item_id: int, lang: str, title_folded: str, text_folded: str) -> TextRecord:
    """Shingle an item. The body decides; an item with no body is shingled on its title."""
    sh = textsim.shingle(_body(title_folded, text_folded))
    return TextRecord(item_id, lang, title_folded, text_folded, sh)


def make_records(items: Sequence[tuple[int, str, str, str]]) -> list[TextRecord]:
    """:func:`make_record` of each ``(item_id, lang, title_folded, text_folded)``, their
    bodies shingled together (:func:`textsim.shingle_many`)."""
    shs = textsim.shingle_many([_body(title, text) for _, _, title, text in items])
    return [
        TextRecord(i, lang, title, text, sh)
        for (i, lang, title, text), sh in zip(items, shs, strict=True)
    ]


def _body(title_folded: str, text_folded: str) -> str:
    """What an item is shingled on: its text, or its title when it has no text."""
    return text_folded if text_folded.strip() else title_folded


def overlap(a: U64, b: U64) -> tuple[float, float, float]:
    """``textsim.jaccard(a, b)``, ``containment(b, a)`` and ``containment(a, b)`` of two
    sorted unique shingle arrays, from one intersection instead of three."""
    inter = np.intersect1d(a, b, assume_unique=True).size if a.size and b.size else 0
    j = inter / (a.size + b.size - inter) if a.size or b.size else 0.0
    return j, (inter / b.size if b.size else 0.0), (inter / a.size if a.size else 0.0)


def judge(new: TextRecord, old: TextRecord) -> Match | None:
    """Decide whether ``new`` duplicates ``old`` from exact shingle sets (pure)."""
    a, b = new.shingles.all, old.shingles.all
    # c_old: old inside new (digest quoting the old article); c_new: new inside old
    # (truncated re-post).
    j, c_old, c_new = overlap(a, b)
    tj = textsim.jaccard(new.title_shingles, old.title_shingles)
    feats: dict[str, float | int] = {
        "jaccard": round(j, 4),
        "containment_old_in_new": round(c_old, 4),
        "containment_new_in_old": round(c_new, 4),
        "title_jaccard": round(tj, 4),
        "shingles_new": int(a.size),
        "shingles_old": int(b.size),
    }
    small = min(a.size, b.size)
    if small >= SHORT_TEXT_SHINGLES and j >= NEAR_TEXT_JACCARD:
        return Match("near_text", j, feats)
    if small >= CONTAINED_MIN_SHINGLES:
        c = c_old if b.size <= a.size else c_new
        if c >= CONTAINMENT_MIN:
            return Match("containment", c, feats)
    if (
        small < SHORT_TEXT_SHINGLES
        and min(new.title_shingles.size, old.title_shingles.size) >= TITLE_MIN_SHINGLES
        and tj >= NEAR_TITLE_JACCARD
    ):
        return Match("near_title", tj, feats)
    return None


#: Per-band salt (band index → 64 bits), so equal rows in different bands give different keys.
_MAX_BANDS = 64
_BAND_SALT = textsim.mix(
    np.arange(1, _MAX_BANDS + 1, dtype=np.uint64) * np.uint64(0xA24BAED4963EE407)
)


def band_keys(
    sig: U32, bands: int = LSH_BANDS, rows: int = LSH_ROWS_PER_BAND, lead_bands: int = LEAD_BANDS
) -> list[int]:
    """Signed 64-bit band keys of a sketch (row 0 whole text: ``bands`` bands; other rows:
    leads, ``lead_bands`` bands), sorted, each once. Band i hashes the same way in every row,
    so a short item (no lead row) still meets the lead of the long item it was cut from.
    The steps of :func:`band_keys_many`, without its bookkeeping across sketches."""
    return _sketch_keys(_band_hashes(np.atleast_2d(sig), bands, rows), lead_bands)


def band_keys_many(
    sigs: Sequence[U32],
    bands: int = LSH_BANDS,
    rows: int = LSH_ROWS_PER_BAND,
    lead_bands: int = LEAD_BANDS,
) -> list[list[int]]:
    """:func:`band_keys` of each sketch, the rows of all sketches hashed in one array."""
    if not sigs:
        return []
    shaped = [np.atleast_2d(g) for g in sigs]
    h = _band_hashes(shaped[0] if len(shaped) == 1 else np.concatenate(shaped), bands, rows)
    out: list[list[int]] = []
    start = 0
    for g in shaped:
        out.append(_sketch_keys(h[start : start + g.shape[0]], lead_bands))
        start += g.shape[0]
    return out


def _band_hashes(s: U32, bands: int, rows: int) -> npt.NDArray[np.int64]:
    """Signed 64-bit hash of each band of each signature row, shape (rows of ``s``, bands):
    the band's salt chained with its ``rows`` slots (:func:`textsim.chain`)."""
    if s.shape[1] < bands * rows:
        raise ValueError("signature shorter than bands × rows")
    block = s[:, : bands * rows].reshape(s.shape[0], bands, rows).astype(np.uint64)
    h: U64 = np.empty(block.shape[:2], dtype=np.uint64)
    h[:] = _BAND_SALT[:bands]
    for c in range(rows):
        textsim.chain(h, block[:, :, c], out=h)
    return h.view(np.int64)


def _sketch_keys(h: npt.NDArray[np.int64], lead_bands: int) -> list[int]:
    """One sketch's band keys from its rows' band hashes: every band of row 0 (the whole
    text), the first ``lead_bands`` of each lead row; sorted, each once."""
    keys: list[int] = h[0].tolist()
    if h.shape[0] > 1:
        keys += h[1:, :lead_bands].ravel().tolist()
    return sorted(set(keys))
