"""Publish stage, reader view: an event's members → its headline and summary in each language,
its outlets and its story dates (pure).

- **Headline** of a language: the title of its most central member, i.e. the one with the
  highest mean similarity to the other members in that language: cosine of the stored
  embeddings when every one of them has a vector of the same model, else the overlap of their
  word (English) or character-bigram (Chinese) sets. Ties go to the earliest member.
- **Summary** of a language: 2–3 sentences extracted from the members' leads, chosen greedily
  for coverage: each next sentence is the one whose terms add most weight not yet covered,
  a term weighing the number of members that use it (so the facts most outlets report come
  first), until :data:`SUMMARY_SENTENCES` sentences or :data:`SUMMARY_CHARS` characters.
- **Dates**: published = the earliest member's own time (published, else fetched; a
  published time later than the fetch is the feed's clock error and capped at the fetch).
  ``updated`` = the latest member change (own time, or an in-place revision), and it moves
  past the previous one whenever the view's signature (members, headlines, summaries)
  changes: see :func:`next_updated`.
- **Reuse**: :func:`members_key` digests everything :func:`bilingual` reads (every member
  field, the vectors, and the fingerprint of this module's code and what it imports, given
  by the caller); the publish job reuses a stored headline and
  summary whose key is unchanged instead of recomputing them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import operator
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from aggregator.models import EventMember
from aggregator.normalize.item import fold_for_matching

#: Languages an event has a headline and summary in (keys of ``titles``/``summaries``).
VIEW_LANGUAGES = ("en", "zh")
#: Sentences in a summary, at most; and its length in characters, at most (a Chinese lead
#: sentence is ~40 characters, an English one ~150).
SUMMARY_SENTENCES = 3
SUMMARY_CHARS = {"en": 480, "zh": 220}
#: Sentences shorter than this (characters) are bylines, datelines or fragments, not facts.
MIN_SENTENCE_CHARS = {"en": 30, "zh": 10}
#: A sentence adding less than this share of the first pick's gain is not worth its space.
MIN_GAIN_SHARE = 0.2
#: Step ``updated`` takes past the previous value when the view changed but no member time
#: is later (a late member with an old date, a new translation).
UPDATE_STEP = timedelta(seconds=1)

_EN_WORD = re.compile(r"[a-z0-9][a-z0-9'’-]+")
_HAN_CHAR = re.compile("[\u4e00-\u9fff]")
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "by",
        "at",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "has",
        "have",
        "had",
        "it",
        "its",
        "that",
        "this",
        "which",
        "who",
        "will",
        "would",
        "said",
        "says",
        "after",
        "over",
        "into",
        "about",
        "than",
        "more",
    ]
)
_SENT_EN = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])")
_SENT_ZH = re.compile(r"(?<=[。！？；])")


def lang_key(code: str | None) -> str | None:
    """``zh-Hans``/``zh-Hant``/``zh`` → ``zh``; ``en-US`` → ``en``; others None."""
    c = (code or "").lower()
    if c.startswith("zh"):
        return "zh"
    if c.split("-")[0] == "en":
        return "en"
    return None


def terms(text: str, lang: str) -> set[str]:
    """Words (English, stop words out) or character bigrams (Chinese) of the folded text."""
    return folded_terms(fold_for_matching(text), lang)


def folded_terms(t: str, lang: str) -> set[str]:
    """:func:`terms` of text already folded (``fold_for_matching``)."""
    words = set(_EN_WORD.findall(t))
    words -= _STOP
    if lang == "zh":
        han = _HAN_CHAR.findall(t)  # the characters in order, as a per-character test gives
        words.update(map(operator.add, han, han[1:]))  # bigrams: pairs of neighbours
    return words


def member_time(m: EventMember) -> datetime:
    return _time_of(m.fetched_at, m.published_at)


@functools.lru_cache(maxsize=4096)
def _time_of(fetched_at: str | None, published_at: str | None) -> datetime:
    """:func:`member_time` from the stored texts (parsed once per process: an event's members
    are ordered by it for each language's headline and summary, and for its dates)."""
    fetched = _parse(fetched_at) or datetime.max.replace(tzinfo=UTC)
    own = _parse(published_at)
    return min(own, fetched) if own else fetched


def _parse(s: str | None) -> datetime | None:
    if not s:
        return None
    try:
        dt = datetime.fromisoformat(s.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)


def _ordered(members: Sequence[EventMember]) -> list[EventMember]:
    return sorted(members, key=lambda m: (member_time(m), m.item_id))


def central_member(
    members: Sequence[EventMember], lang: str, vectors: Mapping[int, np.ndarray] | None = None
) -> EventMember | None:
    """The member of ``lang`` most similar on average to the others of ``lang``."""
    same = [m for m in _ordered(members) if lang_key(m.lang) == lang and m.title.strip()]
    if len(same) <= 2:  # with two, both are equally central: the earliest report wins
        return same[0] if same else None
    if vectors and all(m.item_id in vectors for m in same):
        best = _certain_pick(_mean_similarity(_unit_rows(same, vectors)))
        if best is not None:
            return same[best]
    scores = _similarities(same, lang, vectors)
    best = max(range(len(same)), key=lambda i: (round(float(scores[i]), 6), -i))
    return same[best]


#: Bound on how far :func:`_mean_similarity`'s means may lie from :func:`_similarities`' (the
#: same sums in another order): each is within ~(n + dim)·2⁻⁵³ of the exact mean, ~2·10⁻¹²
#: at 20,000 members; this leaves a margin of ~500×.
MEAN_SLACK = 1e-9


def _unit_rows(same: Sequence[EventMember], vectors: Mapping[int, np.ndarray]) -> np.ndarray:
    """The members' vectors as float64 rows of unit length (a zero row stays zero)."""
    mat = np.stack([vectors[m.item_id] for m in same]).astype(np.float64)
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    return np.asarray(mat / np.where(norms == 0, 1.0, norms))


def _mean_similarity(mat: np.ndarray) -> np.ndarray:
    """Each row's mean cosine to the other rows of ``mat`` (unit rows) in O(n·dim): the sum of
    row i of ``mat @ mat.T`` is ``mat[i] · Σ rows``, less its own ``mat[i] · mat[i]``. Equal
    to the matrix's row sums up to rounding (:data:`MEAN_SLACK`), not bit for bit."""
    n = len(mat)
    own = np.einsum("ij,ij->i", mat, mat)
    return np.asarray((mat @ mat.sum(axis=0) - own) / (n - 1))


def _certain_pick(means: np.ndarray) -> int | None:
    """The index :func:`central_member` picks from :func:`_similarities`' scores — the highest
    score rounded to 6 decimals, the earliest of equals — when ``means`` (each within
    :data:`MEAN_SLACK` of those scores) settle it; None when they do not (a contender's mean
    is within the slack of a rounding boundary), and the caller computes the scores.

    Why it is the same pick: a score lies in ``[mean − slack, mean + slack]`` and rounding is
    monotone, so its rounded value lies in ``[lo, hi]``. A member whose ``hi`` is below the
    largest ``lo`` loses to that member; every other member (a contender) has ``lo == hi``,
    its rounded score exactly, so the pick among them is the scores' pick."""
    if not np.isfinite(means).all():
        return None
    vals = means.tolist()
    lo = [round(v - MEAN_SLACK, 6) for v in vals]
    hi = [round(v + MEAN_SLACK, 6) for v in vals]
    floor = max(lo)
    contenders = [i for i, h in enumerate(hi) if h >= floor]
    if any(lo[i] != hi[i] for i in contenders):
        return None
    return max(contenders, key=lambda i: (lo[i], -i))


def _similarities(
    same: Sequence[EventMember], lang: str, vectors: Mapping[int, np.ndarray] | None
) -> np.ndarray:
    n = len(same)
    if vectors and all(m.item_id in vectors for m in same):
        mat = _unit_rows(same, vectors)
        if n > SIMILARITY_BLOCK:
            return _blocked_mean_similarity(mat)
        sim = mat @ mat.T
    else:
        sets = [terms(f"{m.title} {m.lead[:300]}", lang) for m in same]
        sim = np.zeros((n, n))
        for i in range(n):
            for j in range(i + 1, n):
                union = len(sets[i] | sets[j])
                sim[i, j] = sim[j, i] = len(sets[i] & sets[j]) / union if union else 0.0
    np.fill_diagonal(sim, 0.0)
    return np.asarray(sim.sum(axis=1) / (n - 1))


#: Rows of the similarity matrix computed at once for a large event: an event's members are
#: unbounded (a long story gathers thousands), and its full n×n float64 matrix would be
#: 8·n² bytes (3.5 MB at 659 members, 3.2 GB at 20,000); in blocks it is 8·128·n.
SIMILARITY_BLOCK = 128


def _blocked_mean_similarity(mat: np.ndarray) -> np.ndarray:
    """Each row's mean cosine to the other rows of ``mat`` (unit rows), :data:`SIMILARITY_BLOCK`
    rows at a time. Equal to the full product's to the last bits or so (a block is a general
    product, the full one a symmetric one): the headline's choice rounds to 6 decimals."""
    n = len(mat)
    out = np.empty(n)
    for start in range(0, n, SIMILARITY_BLOCK):
        block = mat[start : start + SIMILARITY_BLOCK] @ mat.T
        rows = np.arange(len(block))
        block[rows, rows + start] = 0.0
        out[start : start + len(block)] = block.sum(axis=1)
    return np.asarray(out / (n - 1))


def sentences(lead: str, lang: str) -> list[str]:
    text = " ".join(lead.split())
    parts = _SENT_ZH.split(text) if lang == "zh" else _SENT_EN.split(text)
    return [p.strip() for p in parts if len(p.strip()) >= MIN_SENTENCE_CHARS[lang]]


#: A member's share of the summary in its language (:func:`member_terms`): the terms of its
#: title and lead (each once), and for each of its first candidate sentences the sentence
#: folded and that one's terms.
MemberTerms = tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]


def member_terms(m: EventMember, lang: str) -> MemberTerms:
    """What :func:`extractive_summary` folds of one member (a function of its title, lead
    and ``lang`` only, so it can be kept per member between publishes)."""
    cands = []
    for s in sentences(m.lead, lang)[:4]:
        key = fold_for_matching(s)
        cands.append((key, tuple(folded_terms(key, lang))))
    return tuple(terms(f"{m.title} {m.lead}", lang)), tuple(cands)


def extractive_summary(
    members: Sequence[EventMember],
    lang: str,
    script: str | None = None,
    prepared: Mapping[int, MemberTerms] | None = None,
) -> str | None:
    """2–3 lead sentences of ``lang`` members chosen for coverage (module docstring). With
    ``script`` (e.g. ``zh-Hans``, the headline's), sentences come from members written in it
    when any are, so one summary does not mix Simplified and Traditional characters; the
    weights still count every member of the language. ``prepared``: :func:`member_terms` of
    (some of) the members by item id, kept from an earlier publish; the rest are computed."""
    same = [m for m in _ordered(members) if lang_key(m.lang) == lang]
    pool = [m for m in same if script and m.lang == script and m.lead.strip()] or same
    got = prepared or {}
    mine = {id(m): got.get(m.item_id) or member_terms(m, lang) for m in same}
    cands: list[tuple[int, int, str, set[str]]] = []  # (member rank, position, text, terms)
    seen: set[str] = set()
    for rank, m in enumerate(pool):
        sents = sentences(m.lead, lang)[:4]
        for pos, (s, (key, words)) in enumerate(zip(sents, mine[id(m)][1], strict=True)):
            if key in seen:  # key: s folded
                continue
            seen.add(key)
            cands.append((rank, pos, s, set(words)))
    if not cands:
        return None
    weight: Counter[str] = Counter()
    for m in same:
        weight.update(mine[id(m)][0])  # each term once per member, as from its set
    picked = _pick(cands, weight, SUMMARY_CHARS[lang])
    picked.sort(key=lambda c: (c[0], c[1]))
    out = ("" if lang == "zh" else " ").join(p[2] for p in picked)
    return out[: SUMMARY_CHARS[lang] * 2] if out else None


def _pick(
    cands: list[tuple[int, int, str, set[str]]], weight: Counter[str], budget: int
) -> list[tuple[int, int, str, set[str]]]:
    """Greedy coverage: each next sentence is the one with the highest gain, the weight of the
    terms it adds (damped by its length), then earlier member, then earlier position. Each
    candidate's uncovered weight is an integer sum kept up to date as terms get covered (it
    loses the weight of its terms a pick covers anew): the same sum, so the same gain, as
    recounting every candidate at every step."""
    left = list(cands)
    # map over Counter.__getitem__ (0 for a missing term, as weight[t]): the same integer sum.
    sums = [sum(map(weight.__getitem__, c[3])) for c in left]  # weight not yet covered
    divs = [len(c[3]) ** 0.5 or 1.0 for c in left]
    covered: set[str] = set()
    picked: list[tuple[int, int, str, set[str]]] = []
    first_gain = 0.0
    used = 0
    while left and len(picked) < SUMMARY_SENTENCES:
        # max keeps the first of equal keys, as the max over the candidates did
        i = max(range(len(left)), key=lambda k: (sums[k] / divs[k], -left[k][0], -left[k][1]))
        best, g = left[i], sums[i] / divs[i]
        if picked and (g < MIN_GAIN_SHARE * first_gain or used + len(best[2]) > budget):
            break
        first_gain = first_gain or g
        picked.append(best)
        used += len(best[2])
        new = best[3] - covered
        covered |= new
        del left[i], sums[i], divs[i]
        for k, c in enumerate(left):
            gone = c[3] & new
            if gone:
                sums[k] -= sum(map(weight.__getitem__, gone))
    return picked


def bilingual(
    members: Sequence[EventMember],
    vectors: Mapping[int, np.ndarray] | None = None,
    prepared: Mapping[int, MemberTerms] | None = None,
) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """``(titles, summaries)`` by language key, from the members in each language
    (``prepared``: see :func:`extractive_summary`; each member is in one language)."""
    titles: dict[str, str | None] = {}
    summaries: dict[str, str | None] = {}
    for lang in VIEW_LANGUAGES:
        c = central_member(members, lang, vectors)
        titles[lang] = " ".join(c.title.split()) if c else None
        summaries[lang] = extractive_summary(members, lang, c.lang, prepared) if c else None
        if c and not summaries[lang] and c.lead.strip():
            summaries[lang] = " ".join(c.lead.split())[: SUMMARY_CHARS[lang]]
    return titles, summaries


def story_published(members: Sequence[EventMember]) -> datetime | None:
    return min((member_time(m) for m in members), default=None)


def latest_change(members: Sequence[EventMember]) -> datetime | None:
    times = [member_time(m) for m in members]
    times += [t for m in members if (t := _parse(m.revised_at))]
    return max(times, default=None)


def signature(
    members: Sequence[EventMember],
    titles: Mapping[str, str | None],
    summaries: Mapping[str, str | None],
) -> str:
    doc = [sorted(m.item_id for m in members), dict(titles), dict(summaries)]
    return hashlib.sha256(json.dumps(doc, ensure_ascii=False).encode()).hexdigest()[:32]


def next_updated(latest: datetime, previous: datetime | None, changed: bool) -> datetime:
    """The event's ``updated``: its latest member change; when the view changed since it was
    last published and that is not later than the previous ``updated``, one step past it,
    so readers see the change without every event of a poll sharing the poll's time."""
    if previous is None:
        return latest
    if not changed:
        return previous
    return max(latest, previous + UPDATE_STEP)


def members_key(
    members: Sequence[EventMember], vectors: Mapping[int, np.ndarray], code: str
) -> str:
    """Digest of :func:`bilingual`'s whole input (every field of every member, in order, and
    the vectors) and of ``code``, the fingerprint of the code that computes the view (see
    ``pipeline/code_id.py``): equal keys → equal headlines and summaries."""
    h = hashlib.sha256(f"view {code}\n".encode())
    for m in members:
        h.update(repr(m).encode("utf-8", "surrogatepass"))
    for item_id in sorted(vectors):
        v = np.ascontiguousarray(vectors[item_id])
        h.update(f"\n{item_id} {v.dtype.str} {v.shape}\n".encode())
        h.update(v.tobytes())
    return h.hexdigest()[:32]
