"""Cluster stage, evidence half: headline/lead text → language-independent keys (pure).

Cosine similarity of multilingual sentence vectors cannot tell two earthquakes apart, or a Fed
decision from an ECB decision on the same day (the hardest negatives in our event fixtures).
Keys that mean the same in English and Chinese can: normalised numbers (``1,200`` = ``1200`` =
``1200``; ``2.4万`` = ``24,000``; ``17.5亿`` = ``1.75 billion``), month-day dates
(``7月26日`` = ``July 26``), and names from a small bilingual alias table (``Fed`` = ``美联储``).
Traditional Chinese must be folded to Simplified before extraction (``embed.fold_chinese``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from dataclasses import dataclass

from aggregator.cluster import (
    alias_rx,
    incidents,
    perpetrators,
    places,
    roles,
    rx_code,
    sidelines,
    storms,
    tolls,
)
from aggregator.cluster.aliases import ALIASES as _ALIASES
from aggregator.cluster.aliases import BANK_COUNTRY, EXACT_CASE, PERSON_COUNTRY
from aggregator.cluster.conflicts import COMPANY as COMPANY
from aggregator.cluster.conflicts import CONFLICT_KINDS as CONFLICT_KINDS
from aggregator.cluster.conflicts import MAGNITUDE_KIND as MAGNITUDE_KIND
from aggregator.cluster.conflicts import MEETING_KIND as MEETING_KIND
from aggregator.cluster.conflicts import STANDS as STANDS
from aggregator.cluster.conflicts import STORM_KIND as STORM_KIND
from aggregator.cluster.conflicts import conflict_candidates as conflict_candidates
from aggregator.cluster.conflicts import conflicts as conflicts
from aggregator.cluster.conflicts import conflicts_between as conflicts_between
from aggregator.cluster.conflicts import is_magnitude as is_magnitude
from aggregator.cluster.occurrence import DISASTERS as DISASTERS
from aggregator.cluster.occurrence import SUMMITS as SUMMITS
from aggregator.cluster.occurrence import same_disaster as same_disaster
from aggregator.cluster.occurrence import same_meeting as same_meeting
from aggregator.cluster.occurrence import within_occurrence as within_occurrence

#: Weight of one shared key of each kind when it supports a merge. Countries appear in most
#: international stories (low weight); a central bank, person or number is far more specific.
KIND_WEIGHT = {
    "country": 0.5,
    "central_bank": 1.0,
    "city": 1.0,
    "person": 1.0,
    "org": 1.0,
    "topic": 0.5,
    "num": 1.0,
    "toll": 1.0,
    "date": 0.3,
    "storm": 1.0,
    # Session 10: a shared region weighs nothing (it makes one disaster's place, see
    # occurrence.same_disaster, and conflicts, see places): at 0.5 or 1.0, venues and capitals
    # named in two stories' headlines or leads (San Francisco, Moscow, Kyiv) joined them.
    "region": 0.0,
    "stands": 0.0,
    "outlet": 0.0,
    "company": 1.0,
    "business": 0.0,
    "shadow": 0.0,
    # Session 11: an office named in a headline ("Serbian President"): a meeting's party only.
    "role": 0.0,
    # Session 12: a meeting word in a headline (``sidelines``): a meeting beside a summit.
    "meet": 0.0,
    # Session 12: a local incident's word in a headline (``incidents``): places exclusive.
    "incident": 0.0,
    # Session 13: an incident's perpetrator age and repeat marker (``perpetrators``).
    "age": 0.0,
    "again": 0.0,
}

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH_ALT = "|".join(sorted(_MONTHS, key=len, reverse=True))
#: ``\b`` before a word character, read one character later (after it): the character before
#: that one is no word character (none at the text's start). The patterns below begin with a
#: digit and assert the boundary after it, so ``re`` skips in C every position that holds
#: no digit, instead of starting a match attempt there (``\b`` first: at every position of
#: every text). Same matches, same groups (a digit is a word character, so ``\b`` before it
#: is this assertion); ``\d{1,2}`` is written ``\d\d?`` (the same greedy order). Not for
#: the months (_EN_DATE_MD): their first letters are most of a text's letters, and a match
#: attempt at each cost more than ``\b`` failing at once inside words (measured).
_WORD_START = r"(?<!\w[\s\S])"
# _MONTH_ALT any case, grouped by first letter (``alias_rx``): the same matches, 6x faster.
_MONTH_GROUPED = alias_rx.grouped([(m, False) for m in sorted(_MONTHS, key=len, reverse=True)])
_EN_DATE_MD = re.compile(rf"\b({_MONTH_GROUPED})\.?\s+(\d{{1,2}})(?i:st|nd|rd|th)?\b")
_EN_DATE_DM = re.compile(rf"(\d{_WORD_START}\d?)(?:st|nd|rd|th)?\s+({_MONTH_ALT})\b", re.I)
_ZH_DATE = re.compile(r"(\d\d?)月(\d{1,2})[日号]")
#: Any decimal digit (``\d`` as the patterns here read it: Unicode digits too).
_DIGIT = re.compile(r"\d")

_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_NUM = re.compile(r"[零〇一二两三四五六七八九十百千]+[万亿]?")
#: A number: ``(?<![A-Za-z0-9.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)`` with the first digit
#: taken out of both alternatives and the assertion read after it (see _WORD_START): the
#: same matches and groups, and ``re`` skips every position that holds no digit.
_NUM = re.compile(
    r"(\d(?<![A-Za-z0-9.][\s\S])(?:\d{0,2}(?:,\d{3})+|\d*(?:\.\d+)?))\s*"
    r"(%|percent|per cent|个百分点|percentage points?|万亿|万|亿|trillion|billion|million|"
    r"thousand|bn|mn|points?|pts)?",
    re.I,
)
_SCALE = {
    "万": 1e4,
    "亿": 1e8,
    "万亿": 1e12,
    "thousand": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
}
_PERCENT = {"%", "percent", "per cent"}
_POINTS = {"个百分点", "percentage point", "percentage points"}
#: A market's move in index points ("Dow plunges more than 1,100 points"): a reaction's size,
#: which reports of one session give differently (1,100 / 1,123); keyed ``num:1100pt``, shared
#: when equal, never a conflict (see _can_conflict).
_INDEX_POINTS = {"point", "points", "pts"}
#: Index names whose figure is part of the name ("S&P 500", "标普500指数", "Nikkei 225"): not
#: a quantity of the story.
_INDEX_NAMES = [
    *("S&P", "标普", "Nasdaq", "纳斯达克", "纳指", "FTSE", "富时", "Nikkei", "日经", "CSI"),
    *("沪深", "Russell", "罗素", "Stoxx", "ASX", "KOSPI", "Sensex"),
]
#: ``(?:S&P|标普|…)\s*-?\s*\d{2,4}`` any case, the names grouped by first character
#: (``alias_rx``; in this order): the same matches, and ``re`` skips in C every position
#: that no name starts with.
_INDEX_NAME = re.compile(
    rf"{alias_rx.grouped([(n, False) for n in _INDEX_NAMES])}\s*-?\s*\d{{2,4}}"
)

#: Integers below this carry no identity on their own ("3 killed", "2 sessions"); they are
#: kept only with a decimal point, a percent sign or a scale word.
MIN_PLAIN_NUMBER = 10
#: A run of this many digits or more without separators, decimals or a unit is an identifier
#: (an ISBN, a phone or case number, a page id), not a figure: keyed to 3 significant digits
#: it would make two different books "share" ``num:9.78e+12`` (session 12, SemEval dev).
#: Figures this large are written with separators or a scale word ("10,000,000", "1000万").
MIN_IDENTIFIER_DIGITS = 8


@dataclass(frozen=True)
class Evidence:
    """Keys extracted from one item: ``kind:value`` strings, split by where they were found."""

    title_keys: frozenset[str] = frozenset()
    text_keys: frozenset[str] = frozenset()

    @property
    def keys(self) -> frozenset[str]:
        return self.title_keys | self.text_keys


def _compile_aliases() -> tuple[str, dict[str, set[str]], list[tuple[str, str]]]:
    """One alternation regex for all Latin aliases (one pass per text instead of ~300): its
    pattern, compiled by :func:`latin_re`."""
    latin: dict[str, set[str]] = {}
    han: list[tuple[str, str]] = []
    alts: list[alias_rx.Alt] = []
    for kind, table in _ALIASES.items():
        for cid, aliases in table.items():
            key = f"{kind}:{cid}"
            for a in aliases:
                if re.search(r"[\u4e00-\u9fff]", a):
                    han.append((a, key))
                    continue
                # Short all-capital aliases (US, UN, EU, Fed…) only match as written, so the
                # pronoun "us" or "fed up" do not count; longer names match in any case.
                exact = a.isupper() or a in EXACT_CASE
                norm = a if exact else a.casefold()
                if norm not in latin:
                    alts.append((a, exact))
                latin.setdefault(norm, set()).add(key)
    # A region alias inside a SHADOWED string ("Mississippi River") names no region: the
    # string is an alternative of its own, with the alias's other keys (places).
    for shadow, alias in places.LATIN_SHADOWS.items():
        if shadow.casefold() not in latin:
            alts.append((shadow, False))
            inner = latin[alias if alias.isupper() else alias.casefold()]
            latin[shadow.casefold()] = {k for k in inner if not k.startswith(places.PREFIX)}
    # Longest alternative first ("Xi Jinping" before "Xi"), grouped by first character.
    return alias_rx.pattern_grouped(alias_rx.ordered(alts)), latin, han


_LATIN_PATTERN, _LATIN_KEYS, _HAN_ALIASES = _compile_aliases()


@functools.cache
def latin_re() -> re.Pattern[str]:
    """The Latin aliases' regex, compiled at its first use (~0.1 s; from the compiled code a
    cache installed with ``rx_code.use_cache`` keeps, when there is one: the cluster stage's
    ``pipeline/model_caches.py``)."""
    return rx_code.compiled(_LATIN_PATTERN)


#: The Han aliases by first character: a text is searched only for those whose first character
#: it holds (the same hits; ~1,600 substring tests a Chinese text otherwise, session 10).
_HAN_BY_FIRST: dict[str, list[tuple[str, str]]] = {}
for _alias, _key in _HAN_ALIASES:
    _HAN_BY_FIRST.setdefault(_alias[0], []).append((_alias, _key))
_HAN_FIRST = frozenset(_HAN_BY_FIRST)


def _zh_numeral(s: str) -> float | None:
    """一千二百 → 1200, 十五 → 15, 三万 → 30000 (simple, no 零 gaps beyond skipping)."""
    scale = 1.0
    if s.endswith("万"):
        scale, s = 1e4, s[:-1]
    elif s.endswith("亿"):
        scale, s = 1e8, s[:-1]
    total, cur = 0, 0
    for ch in s:
        if ch in _ZH_DIGITS:
            cur = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            total += (cur or 1) * _ZH_UNITS[ch]
            cur = 0
    total += cur
    return float(total) * scale if total else None


def _fmt(v: float) -> str:
    """Canonical number text with 3 significant digits, so 1.75 billion == 17.5亿."""
    if v == 0:
        return "0"
    return f"{float(f'{v:.3g}'):g}"


#: A number glued to a date or time unit (``26日``, ``7月``, ``2020年``, ``14时``) is a date part.
_DATE_PART = re.compile(r"\s*(?:日|号|月|年|时|点|时许|分)")


def numbers(text: str) -> set[str]:
    """Normalised numbers: ``num:1200``, ``num:3.5%``, ``num:0.25pp`` (money drops its unit).

    Dates are removed first (their day numbers would otherwise match every story of the day).
    """
    out: set[str] = set()
    # Every pattern below but _ZH_NUM needs a digit (and _ZH_DATE a 月): a text without one
    # skips their scans (~100k instructions a text for the subs alone); the same keys.
    digits = _DIGIT.search(text) is not None
    for rx in (_ZH_DATE, _EN_DATE_MD, _EN_DATE_DM, _INDEX_NAME) if digits else ():
        if rx is not _ZH_DATE or "月" in text:
            text = rx.sub(" ", text)
    for m in _NUM.finditer(text) if digits else ():
        if not m.group(2) and _DATE_PART.match(text, m.end(1)):
            continue
        raw, unit = m.group(1).replace(",", ""), (m.group(2) or "").lower()
        try:
            v = float(raw)
        except ValueError:  # pragma: no cover - the regex admits floats only
            continue
        if unit in _PERCENT:
            out.add(f"num:{_fmt(v)}%")
        elif unit in _POINTS:
            out.add(f"num:{_fmt(v)}pp")
        elif unit in _INDEX_POINTS:
            out.add(f"num:{_fmt(v)}pt")
        elif unit in _SCALE:
            out.add(f"num:{_fmt(v * _SCALE[unit])}")
        elif "." in raw or v >= MIN_PLAIN_NUMBER:
            if 1900 <= v <= 2100 and "." not in raw:
                continue  # a year: every story this week shares it
            if len(m.group(1)) >= MIN_IDENTIFIER_DIGITS and m.group(1).isdigit():
                continue  # an identifier, not a figure
            kind = "toll" if "." not in raw and tolls.is_toll(text, m.start(1), m.end(1)) else "num"
            # "7.0" keeps its decimal, so it reads as a magnitude as "7.1" does (_MAGNITUDE).
            fig = f"{v:.1f}" if "." in raw and 1 <= v < 10 and v == int(v) else _fmt(v)
            out.add(f"{kind}:{fig}")
    for m in _ZH_NUM.finditer(text):
        s = m.group(0)
        if len(s) < 2:
            continue  # a lone 一/二 is a word, not a quantity
        v2 = _zh_numeral(s)
        if v2 is not None and v2 >= MIN_PLAIN_NUMBER:
            kind = "toll" if tolls.is_toll(text, m.start(), m.end()) else "num"
            out.add(f"{kind}:{_fmt(v2)}")
    return out


def dates(text: str) -> set[str]:
    out: set[str] = set()
    if _DIGIT.search(text) is None:  # every date pattern needs a digit
        return out
    for m in _ZH_DATE.finditer(text):
        out.add(f"date:{int(m.group(1)):02d}-{int(m.group(2)):02d}")
    # A month spelt with a Unicode case look-alike (ſept, aprıl) matches the any-case regex
    # but is no key of _MONTHS: no date (it raised KeyError, failing the whole batch).
    for m in _EN_DATE_MD.finditer(text):
        if mon := _MONTHS.get(m.group(1).lower()):
            out.add(f"date:{mon:02d}-{int(m.group(2)):02d}")
    for m in _EN_DATE_DM.finditer(text):
        if mon := _MONTHS.get(m.group(2).lower()):
            out.add(f"date:{mon:02d}-{int(m.group(1)):02d}")
    return {d for d in out if 1 <= int(d[-2:]) <= 31}


_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_SHADOW = "shadow:"
#: The kinds whose Chinese aliases yield to ``shadow`` phrases (a shadow like 北京东 must not
#: hide the country of 北京).
_SHADOWED = frozenset(("company:", "person:"))


def _shadowed(alias: str, key: str, hits: list[tuple[str, str]], text: str) -> bool:
    """Whether every occurrence of a Han ``alias`` lies inside a longer alias of the same kind
    and another key (联储 inside 澳洲联储: the RBA, not the Fed); a company's or person's also
    inside one of the ``shadow`` kind (高通 inside 高通胀: no Qualcomm); a region alias also
    inside any longer alias or one of its SHADOWED strings (马里兰 in 索马里兰, 河南 in 黄河南岸),
    a country alias also inside a longer region alias (墨西哥 in 新墨西哥)."""
    kind = key.split(":", 1)[0] + ":"
    region = kind == places.PREFIX
    kinds = (kind, places.PREFIX if kind == "country:" else _SHADOW if kind in _SHADOWED else kind)
    longer = [
        a
        for a, k in hits
        if k != key and (region or k.startswith(kinds)) and len(a) > len(alias) and alias in a
    ]
    if region:
        longer += places.han_shadows(alias, text)
    if not longer:
        return False
    covered: set[int] = set()
    for a in longer:
        i = text.find(a)
        while i >= 0:
            covered.update(range(i, i + len(a)))
            i = text.find(a, i + 1)
    i = text.find(alias)
    while i >= 0:
        if not covered.issuperset(range(i, i + len(alias))):
            return False
        i = text.find(alias, i + 1)
    return True


def names(text: str, storm_names: Collection[str] = ()) -> set[str]:
    """Alias keys of ``text``, and ``storm:`` keys of the ``storm_names`` it mentions."""
    out = storms.keys_in(text, storm_names) if storm_names else set()
    # Every Han alias holds a character of this range: text without one (English) skips them.
    if _HAN_RE.search(text):
        text = storms.blank(text, storm_names)
        firsts = _HAN_FIRST.intersection(text)
        hits = [(a, key) for c in firsts for a, key in _HAN_BY_FIRST[c] if a in text]
        out |= {key for alias, key in hits if not _shadowed(alias, key, hits, text)}
    for m in latin_re().finditer(text):
        hit = m.group(0)
        out.update(_LATIN_KEYS.get(hit) or _LATIN_KEYS.get(hit.casefold()) or ())
    places.expand(out)
    out.update([_STANDS_FOR[k] for k in out if k in _STANDS_FOR])
    return out


#: ``person:`` key → the ``stands:`` key of the country the name stands for
#: (aliases.PERSON_COUNTRY). A ``stands:`` key weighs nothing and makes no place of a
#: disaster; it only takes part in country conflicts (see :func:`conflicts_between`).
_STANDS_FOR = {f"person:{p}": f"{STANDS}{c}" for p, c in PERSON_COUNTRY.items()} | {
    f"central_bank:{b}": f"{STANDS}{c}" for b, c in BANK_COUNTRY.items()
}


def extract(title: str, lead: str = "") -> Evidence:
    """Evidence for one item; pass Simplified-folded text (``embed.fold_chinese``)."""
    body = lead[:600]
    named = storms.find(title) | storms.find(body)
    tk = names(title, named) | numbers(title) | dates(title)
    tk |= roles.keys(title, tk)
    tk |= sidelines.keys(title)
    tk |= incidents.keys(title)
    xk = names(body, named) | numbers(body) | dates(body)
    if incidents.is_local_incident(tk):  # the perpetrator's age is no figure (session 13)
        facts = perpetrators.keys(title, body)
        age = perpetrators.AGE_PREFIX
        ages = {"num:" + k[len(age) :] for k in facts if k.startswith(age)}
        tk, xk = (tk - ages) | facts, xk - ages
    return Evidence(frozenset(tk), frozenset(xk - tk))


def key_weight(key: str) -> float:
    return KIND_WEIGHT.get(key.split(":", 1)[0], 0.5)
