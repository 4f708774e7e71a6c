"""Cluster stage, lexical half: TF-IDF term vectors in one English-word space (pure, no I/O
beyond the dictionary that :mod:`aggregator.cluster.cedict` loads once).

Terms: Latin-script words (lower case, stop words out, a light plural strip); a Chinese run
(folded to Simplified first) is segmented by longest CC-CEDICT match and each word stands for
the English words of its gloss, so "美联储" and "Federal Reserve" share terms and two Chinese
reports share them too; a Chinese word the dictionary does not gloss is kept as itself (names
the dictionary lacks still match between two Chinese reports).

Document frequencies are learnt online from the stream (:class:`DocFreq`): every item placed
by the clusterer counts once, memory is bounded (rare terms are forgotten first) and the
caller persists the changed rows (``store/events.py``). Weights: (1 + ln tf) · idf with
idf = ln((N + 1) / (df + 1)) + 1, L2-normalised; each item keeps its top
:data:`MAX_TERMS` terms, which bounds both the memory per member and the cost of a cosine.
"""

from __future__ import annotations

import math
import re
import sys
import weakref
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from itertools import repeat

from aggregator.cluster.cedict import Glossary, Group, english_words, glossary
from aggregator.cluster.embed import fold_chinese

#: Version of :func:`terms`' output: term counts stored by another version are dropped and
#: recomputed when the window loads (``store/events.ensure_terms_version``). 2: glossed
#: Chinese words also keep their own form (:data:`NATIVE`). 3: the pipeline's lead is read
#: without page boilerplate (``boilerplate.story_lead``).
TERMS_VERSION = "3"
#: Terms kept per item vector (the highest weights). 48 covers a headline + 400-character lead.
MAX_TERMS = 48
#: Distinct terms the document-frequency table holds; past it, terms seen in one document only
#: are forgotten (then df 2, …) so the table stays within ~2× this.
MAX_DF_TERMS = 200_000
#: Characters of text read per item for terms (title + lead; Chinese costs ~0.8 µs/char).
MAX_TEXT_CHARS = 600

_HAN_OR_LATIN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[A-Za-z0-9]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

TermVector = dict[str, float]
#: Prefix of a glossed Chinese word's own form in a term count (the gloss words stand for it
#: in the shared space; the prefixed form is only compared between two Chinese reports).
NATIVE = "="
_NATIVE_LO, _NATIVE_HI = NATIVE, chr(ord(NATIVE) + 1)


#: Han runs whose terms :class:`_WordTerms` keeps (then it starts over): feeds repeat runs
#: across items (names, places, set phrases; syndicated leads), and a run's terms depend on
#: nothing else (the same glossary). ~180 B an entry: ≤ ~3 MB.
MAX_MEMO_RUNS = 16_384
#: Latin tokens whose term :data:`_LATIN_TERMS` keeps (then it starts over); ≤ ~3 MB.
MAX_MEMO_WORDS = 16_384


class _WordTerms(dict[str, tuple[str, ...]]):
    """Word → the terms it adds, in order (its gloss words, then its own form marked
    :data:`NATIVE`; or the word itself when unglossed; nothing for one unglossed character),
    computed once per word of one :class:`~aggregator.cluster.cedict.Glossary`. Keys are
    only what segmenting yields (headwords, single characters), so it is bounded by the
    dictionary plus the Han characters. ``runs``: Han run → its terms (:func:`_han_terms`),
    at most :data:`MAX_MEMO_RUNS`."""

    __slots__ = ("glossary", "runs")

    def __init__(self, g: Glossary) -> None:
        super().__init__()
        self.glossary = g
        self.runs: dict[str, tuple[str, ...]] = {}

    def __missing__(self, word: str) -> tuple[str, ...]:
        english = self.glossary.glosses[word]  # a headword or one character: () unglossed
        if english:
            # the word itself too, for Chinese-to-Chinese matching
            got = (*english, sys.intern(NATIVE + word)) if len(word) > 1 else english
        elif len(word) > 1:
            got = (sys.intern(word),)  # a name the dictionary lacks: matches Chinese reports
        else:
            got = ()
        self[word] = got
        return got

    def run_terms(self, run: str) -> tuple[str, ...]:
        """:func:`_han_terms` of ``run``, computed once per run."""
        runs = self.runs
        got = runs.get(run)
        if got is None:
            if len(runs) >= MAX_MEMO_RUNS:
                runs.clear()
            got = runs[run] = tuple(_han_terms(run, self.glossary.groups, self))
        return got


_word_terms: _WordTerms | None = None


def _terms_of_words(g: Glossary) -> _WordTerms:
    global _word_terms
    got = _word_terms
    if got is None or got.glossary is not g:
        got = _word_terms = _WordTerms(g)
    return got


def release_word_terms() -> None:
    """Forget the word → terms memo (and the glossary it holds): a one-shot pass is done."""
    global _word_terms
    _word_terms = None
    _LATIN_TERMS.clear()


class _LatinTerms(dict[str, tuple[str, ...]]):
    """Latin token (``[A-Za-z0-9]+``) → its term (``english_words`` of it, interned): none
    for a stop word or a single character. ``english_words`` of tokens joined by spaces is
    the concatenation of each token's, since it lower-cases ASCII and splits on non-word
    characters only, so a text's Latin terms are its tokens' terms in order."""

    def __missing__(self, token: str) -> tuple[str, ...]:
        if len(self) >= MAX_MEMO_WORDS:
            self.clear()
        got = self[token] = tuple(map(sys.intern, english_words(token)))
        return got


_LATIN_TERMS = _LatinTerms()


def _han_terms(run: str, groups: Mapping[str, Group], word_terms: _WordTerms) -> list[str]:
    """The terms of a Han run: :func:`~aggregator.cluster.cedict.segment` (forward maximum
    matching) inlined, each word's terms from the memo. The headwords come from the glossary's
    groups (:class:`~aggregator.cluster.cedict.Glossary`): one dict hit per position, then
    the lengths its first character has, longest first, each in the bucket of that length."""
    out: list[str] = []
    i, n = 0, len(run)
    get = groups.get
    while i < n:
        group = get(run[i])
        j = i + 1  # a character that starts no headword stands alone
        if group is not None:
            buckets = group[0]
            j = min(n, i + group[2])
            # Every word of a bucket has its length and none holds "\n", so `word + "\n"`
            # can only be found where a word of the bucket starts: an exact match.
            while j > i + 1 and run[i:j] + "\n" not in buckets[j - i - 1]:
                j -= 1
        out.extend(word_terms[run[i:j]])
        i = j
    return out


def terms(title: str, lead: str, *, gloss: bool = True) -> Counter[str]:
    """Term counts of a headline + lead in the shared English-word space, terms interned,
    in order of first occurrence. The headline counts twice: it names the story.
    ``gloss=False`` (ablation: no dictionary) makes a Chinese run its character bigrams,
    which only ever match other Chinese text."""
    text = fold_chinese(f"{title}\n{title}\n{lead}"[: MAX_TEXT_CHARS + 2 * len(title)])
    seq: list[str] = []  # every term occurrence in order: Counter(seq) keeps that order
    latin: list[str] = []  # the Latin terms, after every Han one
    word_terms: _WordTerms | None = None
    if gloss and _HAN.search(text):
        word_terms = _terms_of_words(glossary())
    latin_terms = _LATIN_TERMS
    for run in _HAN_OR_LATIN.findall(text):
        if run < "\u3400":  # an ASCII run (every Han range starts at U+3400)
            latin.extend(latin_terms[run])
        elif word_terms is None:
            seq.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
        else:
            seq.extend(word_terms.run_terms(run))
    seq.extend(latin)
    return Counter(seq)


class _IdfMemo(dict[str, float]):
    """Term → idf of one state of a :class:`DocFreq` (the same expression as
    :meth:`DocFreq.idf`, computed once per term): loading a window weighs thousands of members
    against one unchanging table. Its owner by weak reference: no cycle, so a table dropped
    with its clusterer is freed at once, not at the next full collection."""

    __slots__ = ("owner",)

    def __init__(self, owner: DocFreq) -> None:
        super().__init__()
        self.owner = weakref.ref(owner)

    def __missing__(self, term: str) -> float:
        o = self.owner()
        assert o is not None  # the owner holds this memo
        v = self[term] = math.log((o.n_docs + 1) / (o.df.get(term, 0) + 1)) + 1.0
        return v


class _TfMemo(dict[int, float]):
    """Count → 1 + ln(count)."""

    def __missing__(self, c: int) -> float:
        v = self[c] = 1.0 + math.log(c)
        return v


_TF = _TfMemo()


class _IdfOfCount(dict[int, float]):
    """Document frequency → idf, for one ``n_docs`` (the expression of :meth:`DocFreq.idf`)."""

    __slots__ = ("n1",)

    def __init__(self, n_docs: int) -> None:
        super().__init__()
        self.n1 = n_docs + 1

    def __missing__(self, d: int) -> float:
        v = self[d] = math.log(self.n1 / (d + 1)) + 1.0
        return v


_PLUS_ONE = (1).__add__


class DocFreq:
    """Online document frequencies with a bounded table (see the module docstring)."""

    def __init__(self, max_terms: int = MAX_DF_TERMS) -> None:
        self.max_terms = max_terms
        self.n_docs = 0
        self.df: dict[str, int] = {}
        #: Terms whose df changed since :meth:`take_changes` (0 = forgotten).
        self._changed: set[str] = set()
        #: idf per term for the current state; emptied by every change. Used from the third
        #: weighing after a change on (a window load weighs thousands against one state; the
        #: stream changes the state between two items, and a Chinese item's second weighing,
        #: its native words, would only fill the memo: a Python call per term for nothing).
        self.idf_memo = _IdfMemo(self)
        self.weighed_since_change = 0
        #: Bumped by every change: a :meth:`snapshot` is current while they are equal.
        self.generation = 0
        self._idf_of_count: _IdfOfCount | None = None

    def snapshot(self) -> DocFreq:
        """A copy of the current state (weighing against it gives what weighing against this
        table now gives, whatever is added to this one later)."""
        s = DocFreq(self.max_terms)
        s.load(self.n_docs, self.df.items())
        return s

    def load(self, n_docs: int, rows: Iterable[tuple[str, int]]) -> None:
        self.generation += 1
        self.n_docs = n_docs
        self.df = dict(rows)
        self._changed.clear()
        self.idf_memo.clear()
        self.weighed_since_change = 0

    def add(self, counts: Mapping[str, int]) -> None:
        self.generation += 1
        self.idf_memo.clear()
        self.weighed_since_change = 0
        self.n_docs += 1
        df = self.df
        # df[t] = df.get(t, 0) + 1 per term, in the counts' order (its keys are distinct)
        df.update(zip(counts, map(_PLUS_ONE, map(df.get, counts, repeat(0))), strict=True))
        self._changed.update(counts)
        if len(df) > self.max_terms:
            self._forget()

    def _forget(self) -> None:
        self.idf_memo.clear()
        self.weighed_since_change = 0
        floor = 1
        while len(self.df) > self.max_terms // 2:
            gone = [t for t, c in self.df.items() if c <= floor]
            for t in gone:
                del self.df[t]
            self._changed.update(gone)
            floor += 1

    def idf_of_count(self) -> _IdfOfCount:
        """idf per document frequency at the current ``n_docs`` (kept while it holds)."""
        got = self._idf_of_count
        if got is None or got.n1 != self.n_docs + 1:
            got = self._idf_of_count = _IdfOfCount(self.n_docs)
        return got

    def idf(self, term: str) -> float:
        return math.log((self.n_docs + 1) / (self.df.get(term, 0) + 1)) + 1.0

    def take_changes(self) -> tuple[int, list[tuple[str, int]]]:
        """``(n_docs, [(term, df)…])`` changed since the last call (df 0: forgotten)."""
        terms = sorted(self._changed)
        rows = list(zip(terms, map(self.df.get, terms, repeat(0)), strict=True))
        self._changed.clear()
        return self.n_docs, rows


def weigh(counts: Mapping[str, int], df: DocFreq, *, native: bool = False) -> TermVector:
    """Unit TF-IDF vector of the top :data:`MAX_TERMS` terms: of the shared English-word
    space (glosses; the default), or with ``native`` of the Chinese words themselves (for
    comparing two Chinese reports: glosses of common words overlap across different
    stories, the words' own forms far less)."""
    shared, nat = split(counts.items(), native)
    return weigh_chosen(shared if nat is None else nat, df)


#: A member's term counts split once: the shared-space part and, when asked for, the native
#: part (what :func:`weigh` picks for ``native`` False and True), each in the counts' order.
Parts = tuple[list[tuple[str, int]], list[tuple[str, int]] | None]


def split(pairs: Iterable[tuple[str, int]], native: bool) -> Parts:
    """Term counts (``(term, count)`` in order) → :data:`Parts`, in one pass.
    ``weigh_chosen`` of each part equals :func:`weigh` of the whole; the Han test runs only
    on terms whose first character could be Han (every Han range starts at U+3400 or
    later). Terms are not interned here: ``weigh_chosen(…, intern=True)`` interns the few
    it keeps."""
    # A term starts with NATIVE ("=") exactly when "=" <= term < ">".
    if not native:
        return [tc for tc in pairs if not _NATIVE_LO <= tc[0] < _NATIVE_HI], None
    han = _HAN.match
    shared: list[tuple[str, int]] = []
    nat: list[tuple[str, int]] = []
    for tc in pairs:
        t = tc[0]
        if _NATIVE_LO <= t < _NATIVE_HI:
            nat.append(tc)
        else:
            shared.append(tc)
            if t >= "\u3400" and han(t):
                nat.append(tc)
    return shared, nat


def weigh_chosen(chosen: list[tuple[str, int]], df: DocFreq, *, intern: bool = False) -> TermVector:
    """:func:`weigh` of terms already picked (one part of :func:`split`); ``intern``: the
    kept terms as their process-wide copies (the window repeats the same few thousand)."""
    if df.weighed_since_change >= 2:  # (1 + ln tf) · idf, each factor computed once per value
        idf, tf = df.idf_memo, _TF
        if len(chosen) > MAX_TERMS:  # the cut below, without the (term, weight) list first
            top = sorted([(-(tf[c] * idf[t]), t) for t, c in chosen])[:MAX_TERMS]
            return _unit([(t, -nv) for nv, t in top], intern)
        return _unit([(t, tf[c] * idf[t]) for t, c in chosen], intern)
    df.weighed_since_change += 1
    # (1 + ln tf) · idf: the same two factors, each computed once per value (count, df)
    of_count, get = df.idf_of_count(), df.df.get
    pairs = [(t, _TF[c] * of_count[get(t, 0)]) for t, c in chosen]
    if len(pairs) > MAX_TERMS:
        # Highest weight first, ties by term: (-weight, term) tuples sort that way unaided.
        top = sorted([(-v, t) for t, v in pairs])[:MAX_TERMS]
        pairs = [(t, -nv) for nv, t in top]
    return _unit(pairs, intern)


def _unit(pairs: list[tuple[str, float]], intern: bool) -> TermVector:
    """The weights over their L2 norm (summed in order), as a dict in that order."""
    norm = math.sqrt(sum([v * v for _, v in pairs])) or 1.0
    if intern:
        si = sys.intern
        return {si(t): v / norm for t, v in pairs}
    return {t: v / norm for t, v in pairs}


class Packed:
    """A member's unit term vector as the clusterer keeps it: the (interned) terms in a tuple
    and their float64 weights in an array, in :func:`weigh`'s order. ~0.9 KB for 48 terms
    where the dict took ~3.3 KB (a hash table plus one float object per term); the weights
    are the same doubles, so cosines differ from the dict's at most in summation order."""

    __slots__ = ("terms", "weights")

    def __init__(self, v: Mapping[str, float]) -> None:
        self.terms = tuple(v)
        self.weights = array("d", v.values())

    def __len__(self) -> int:
        return len(self.terms)

    def items(self) -> Iterator[tuple[str, float]]:
        return zip(self.terms, self.weights, strict=True)

    def as_dict(self) -> TermVector:
        return dict(self.items())


AnyVector = TermVector | Packed


def pack(v: AnyVector) -> Packed:
    return v if isinstance(v, Packed) else Packed(v)


def cosine(a: AnyVector, b: AnyVector) -> float:
    """Dot product of two unit term vectors (dicts or :class:`Packed`)."""
    if isinstance(a, Packed):
        a, b = b, a
    if isinstance(a, Packed):  # both packed
        a = a.as_dict()
    if isinstance(b, Packed):  # walk the packed one, look up in the dict
        return sum([w * a[t] for t, w in b.items() if t in a])
    if len(a) > len(b):
        a, b = b, a
    return sum([v * b[t] for t, v in a.items() if t in b])


#: Shared int objects for profile slots (ints above 256 are otherwise one object per entry).
_SLOTS = tuple(range(8192))
_N_SLOTS = len(_SLOTS)


class Profile:
    """An event's keyword profile: the sum of its members' unit term vectors, kept
    incrementally with its squared norm (cosine to it = dot / norm). An event of one member
    (most of a window) shares that member's vector; a larger one keeps term → slot and the
    sums in a float64 array (the same doubles as a dict of floats, without a float object
    per term)."""

    __slots__ = ("_one", "_slot", "_vals", "norm2")

    def __init__(self) -> None:
        self._one: AnyVector | None = None
        self._slot: dict[str, int] | None = None
        self._vals = array("d")
        self.norm2 = 0.0

    @property
    def sums(self) -> dict[str, float]:
        """Term → summed weight (a copy, for inspection)."""
        if self._one is not None:
            return dict(self._one.items())
        return {t: self._vals[j] for t, j in (self._slot or {}).items()}

    def add(self, v: AnyVector) -> None:
        slot = self._slot
        if slot is None:
            if self._one is None:
                self._one = v
                for _t, x in v.items():
                    self.norm2 += x * x
                return
            slot = self._slot = {}
            self._put(slot, self._one.items())
            self._one = None
        vals = self._vals
        norm2 = self.norm2
        for t, x in v.items():
            j = slot.get(t)
            if j is None:  # old 0.0: the sum is x, the norm grows by x² (as _put does)
                n = len(vals)
                slot[t] = _SLOTS[n] if n < _N_SLOTS else n
                vals.append(x)
                norm2 += x * x
            else:
                old = vals[j]
                vals[j] = old + x
                norm2 += 2 * old * x + x * x
        self.norm2 = norm2

    def _put(self, slot: dict[str, int], items: Iterable[tuple[str, float]]) -> None:
        vals = self._vals
        for t, x in items:
            n = len(vals)
            slot[t] = _SLOTS[n] if n < len(_SLOTS) else n
            vals.append(x)

    def cosine(self, v: AnyVector) -> float:
        if self.norm2 <= 0:
            return 0.0
        if self._one is not None:
            return cosine(v, self._one) / math.sqrt(self.norm2)
        slot, vals = self._slot, self._vals
        assert slot is not None
        return sum([x * vals[slot[t]] for t, x in v.items() if t in slot]) / math.sqrt(self.norm2)
