"""Cluster stage, evidence half: headline/lead text → language-independent keys (pure).

Cosine similarity of multilingual sentence vectors cannot tell two earthquakes apart, or a Fed
decision from an ECB decision on the same day (the hardest negatives in our event fixtures).
Keys that mean the same in English and Chinese can: normalised numbers (``1,200`` = ``1200`` =
``1200``; ``2.4万`` = ``24,000``; ``17.5亿`` = ``1.75 billion``), month-day dates
(``7月26日`` = ``July 26``), and names from a small bilingual alias table (``Fed`` = ``美联储``).
Traditional Chinese must be folded to Simplified before extraction (``embed.fold_chinese``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container, Iterable, Mapping
from dataclasses import dataclass

from aggregator.cluster import alias_rx, datekeys, storms, tolls
from aggregator.cluster.aliases import ALIASES as _ALIASES
from aggregator.cluster.aliases import EXACT_CASE, PERSON_COUNTRY
from aggregator.cluster.occurrence import DISASTERS as DISASTERS
from aggregator.cluster.occurrence import SUMMITS, two_meetings
from aggregator.cluster.occurrence import same_disaster as same_disaster
from aggregator.cluster.occurrence import same_meeting as same_meeting
from aggregator.cluster.occurrence import within_occurrence as within_occurrence

#: Kinds whose disagreement between two headlines signals two different events (see
#: :func:`conflicts`). Chosen on the fixture negatives: quake Japan vs quake Myanmar (country),
#: Fed vs ECB on one day (central_bank), US–China talks in Geneva vs Stockholm (city); and on
#: WMT21, headline figures that disagree (414,000 Florida cases vs 16 million worldwide; num,
#: weighed lower). Topics, people and organisations co-occur too freely to conflict.
CONFLICT_KINDS = ("country", "central_bank", "city", "num", "company")

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
    "stands": 0.0,
    "outlet": 0.0,
    "company": 1.0,
    "business": 0.0,
    "shadow": 0.0,
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
# _MONTH_ALT any case, grouped by first letter (``alias_rx``): the same matches, 6x faster.
_MONTH_GROUPED = alias_rx.grouped([(m, False) for m in sorted(_MONTHS, key=len, reverse=True)])
_EN_DATE_MD = re.compile(rf"\b({_MONTH_GROUPED})\.?\s+(\d{{1,2}})(?i:st|nd|rd|th)?\b")
_EN_DATE_DM = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_ALT})\b", re.I)
_ZH_DATE = re.compile(r"(\d{1,2})月(\d{1,2})[日号]")
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
_NUM = re.compile(
    r"(?<![A-Za-z0-9.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*"
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
_INDEX_NAME = re.compile(
    r"(?:S&P|标普|Nasdaq|纳斯达克|纳指|FTSE|富时|Nikkei|日经|CSI|沪深|Russell|罗素|Stoxx|"
    r"ASX|KOSPI|Sensex)\s*-?\s*\d{2,4}",
    re.I,
)

#: Integers below this carry no identity on their own ("3 killed", "2 sessions"); they are
#: kept only with a decimal point, a percent sign or a scale word.
MIN_PLAIN_NUMBER = 10


@dataclass(frozen=True)
class Evidence:
    """Keys extracted from one item: ``kind:value`` strings, split by where they were found."""

    title_keys: frozenset[str] = frozenset()
    text_keys: frozenset[str] = frozenset()

    @property
    def keys(self) -> frozenset[str]:
        return self.title_keys | self.text_keys


def _compile_aliases() -> tuple[re.Pattern[str], dict[str, set[str]], list[tuple[str, str]]]:
    """One alternation regex for all Latin aliases (one pass per text instead of ~300)."""
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
    # Longest alternative first ("Xi Jinping" before "Xi"), grouped by first character.
    return alias_rx.compile_grouped(alias_rx.ordered(alts)), latin, han


_LATIN_RE, _LATIN_KEYS, _HAN_ALIASES = _compile_aliases()
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
    inside one of the ``shadow`` kind (高通 inside 高通胀: no Qualcomm)."""
    kind = key.split(":", 1)[0] + ":"
    kinds = (kind, _SHADOW) if kind in _SHADOWED else kind
    longer = [
        a
        for a, k in hits
        if k != key and k.startswith(kinds) and len(a) > len(alias) and alias in a
    ]
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
    for m in _LATIN_RE.finditer(text):
        hit = m.group(0)
        out.update(_LATIN_KEYS.get(hit) or _LATIN_KEYS.get(hit.casefold()) or ())
    out.update([_STANDS_FOR[k] for k in out if k in _STANDS_FOR])
    return out


#: ``person:`` key → the ``stands:`` key of the country the name stands for
#: (aliases.PERSON_COUNTRY). A ``stands:`` key weighs nothing and makes no place of a
#: disaster; it only takes part in country conflicts (see :func:`conflicts_between`).
STANDS = "stands:"
_STANDS_FOR = {f"person:{p}": f"{STANDS}{c}" for p, c in PERSON_COUNTRY.items()}


def extract(title: str, lead: str = "") -> Evidence:
    """Evidence for one item; pass Simplified-folded text (``embed.fold_chinese``)."""
    body = lead[:600]
    named = storms.find(title) | storms.find(body)
    tk = names(title, named) | numbers(title) | dates(title)
    xk = names(body, named) | numbers(body) | dates(body)
    return Evidence(frozenset(tk), frozenset(xk - tk))


def key_weight(key: str) -> float:
    return KIND_WEIGHT.get(key.split(":", 1)[0], 0.5)


#: Headline figures below this never conflict: magnitudes differ by agency (Hualien: 7.2 CWA,
#: 7.3 CENC, 7.4 USGS) and rates are better told apart by the central bank's name.
MIN_CONFLICT_NUMBER = 10.0


#: A headline figure like ``7.7`` (one digit, one decimal: an earthquake's magnitude, whatever
#: the words around it) conflicts with another only when every such pair differs by more
#: than MAGNITUDE_TOLERANCE: agencies disagree by up to 0.4 on one quake (Hualien 7.2 CWA,
#: 7.3 CENC, 7.4 USGS; Noto 7.4 / 7.5 / 7.6), two quakes of one week rarely lie that close
#: (kind "mag"; a figure below MIN_CONFLICT_NUMBER conflicted never before).
_MAGNITUDE = re.compile(r"num:[1-9]\.[0-9]")
MAGNITUDE_TOLERANCE = 0.5
#: A great earthquake's first magnitude is low: early estimates saturate near 8 and are
#: revised upward within hours (Kamchatka 2025: JMA 8.0, then 8.7 and USGS 8.8; Tōhoku 2011:
#: 7.9 → 8.8 → 9.0; Chile 2010: 8.3 → 8.8). Where either figure is GREAT_MAGNITUDE or more,
#: two figures conflict only beyond GREAT_TOLERANCE (a foreshock or aftershock of such a
#: quake still differs by more: Kamchatka's 7.4 foreshock, its 6.9 aftershock).
GREAT_MAGNITUDE = 8.0
GREAT_TOLERANCE = 1.0


def is_magnitude(key: str) -> bool:
    """Whether ``key`` is a magnitude-like figure (``num:7.2``: one digit, one decimal)."""
    return _MAGNITUDE.fullmatch(key) is not None


def _magnitudes_conflict(
    a: Collection[str], item_all: Container[str], b: Collection[str], event_all: Container[str]
) -> bool:
    if any(k in event_all for k in a) or any(k in item_all for k in b):
        return False  # one side states the other's figure: the same quake, re-measured
    va, vb = [float(k[4:]) for k in a], [float(k[4:]) for k in b]
    return all(abs(x - y) > _tolerance(x, y) for x in va for y in vb)


def _tolerance(x: float, y: float) -> float:
    return GREAT_TOLERANCE if max(x, y) >= GREAT_MAGNITUDE else MAGNITUDE_TOLERANCE


def _can_conflict(key: str) -> bool:
    if not key.startswith("num:"):
        return True
    v = key[4:]
    if not v[-1:].isdigit():
        return False  # percentages and percentage points
    try:
        return float(v) >= MIN_CONFLICT_NUMBER
    except ValueError:  # pragma: no cover - keys come from _fmt
        return False


_CONFLICT_KIND_SET = frozenset(CONFLICT_KINDS)
#: The company kind: its headline keys may conflict only under a ``business:`` key (results,
#: shares, a deal, a recall…: the company is the story's subject), and only when neither side
#: names any of the other's companies anywhere (one named in passing, in either headline or
#: lead, makes them one story's): Micron's results vs Nike's, not "Nvidia rises after Micron".
COMPANY = "company"
_COMPANY = "company:"
_BUSINESS = "business:"
_PERSON = "person:"
#: The conflict kind of two meetings of one person with two others (``two_meetings``): the
#: people of a headline naming two or more and no summit.
MEETING_KIND = "meeting"
#: The conflict kind of magnitude-like headline figures (see _MAGNITUDE).
MAGNITUDE_KIND = "mag"


def conflict_candidates(
    title_keys: Collection[str], all_keys: Iterable[str] = ()
) -> dict[str, frozenset[str]]:
    """Exclusive kind → the headline keys of that kind that may conflict (see
    :func:`conflicts`), plus, under a disaster headline, the dates stated anywhere in
    ``all_keys`` (headline and lead: kind ``datekeys.DATE_KIND``; a disaster happens on one
    day, where rate, trade and policy stories are full of scheduled days). Computed once per
    item or kept up to date per event by the caller."""
    out: dict[str, set[str]] = {}
    for k in title_keys:
        kind = k.split(":", 1)[0]
        if kind == "stands":  # a person's country: a country of the headline
            out.setdefault("country", set()).add("country:" + k[len(STANDS) :])
        elif kind == COMPANY:
            pass  # below: only under the words of a company story
        elif kind in _CONFLICT_KIND_SET and _can_conflict(k):
            out.setdefault(kind, set()).add(k)
        elif kind == "num" and is_magnitude(k):
            out.setdefault(MAGNITUDE_KIND, set()).add(k)
    cos = {k for k in title_keys if k.startswith(_COMPANY)}
    if cos and any(k.startswith(_BUSINESS) for k in title_keys):
        out[COMPANY] = cos
    people = {k for k in title_keys if k.startswith(_PERSON)}
    if len(people) >= 2 and not any(k in SUMMITS for k in title_keys):
        out[MEETING_KIND] = people
    stated = {k for k in all_keys if k.startswith(datekeys.DATE_PREFIX)}
    if stated and any(k in DISASTERS for k in title_keys):
        out[datekeys.DATE_KIND] = stated
    return {kind: frozenset(v) for kind, v in out.items()}


def conflicts_between(
    item_cands: Mapping[str, Collection[str]],
    item_all: Container[str],
    event_cands: Mapping[str, Collection[str]],
    event_all: Container[str],
) -> list[str]:
    """:func:`conflicts` on precomputed :func:`conflict_candidates` of both headlines; the
    ``*_all`` arguments only need membership tests, so an event's growing key sets can be
    passed as they are (no per-item copy)."""
    out = []
    for kind in CONFLICT_KINDS:
        a = item_cands.get(kind)
        if not a:
            continue
        b = event_cands.get(kind)
        if not b:
            continue
        if kind == "country":
            if any(_unnamed(k, event_all) for k in a) and any(_unnamed(k, item_all) for k in b):
                out.append(kind)
        elif kind == COMPANY:
            if all(k not in event_all for k in a) and all(k not in item_all for k in b):
                out.append(kind)
        elif any(k not in event_all for k in a) and any(k not in item_all for k in b):
            out.append(kind)
    a, b = item_cands.get(MAGNITUDE_KIND), event_cands.get(MAGNITUDE_KIND)
    if a and b and _magnitudes_conflict(a, item_all, b, event_all):
        out.append(MAGNITUDE_KIND)
    a, b = item_cands.get(MEETING_KIND), event_cands.get(MEETING_KIND)
    if a and b and two_meetings(a, b):
        out.append(MEETING_KIND)
    a, b = item_cands.get(datekeys.DATE_KIND), event_cands.get(datekeys.DATE_KIND)
    if a and b and datekeys.dates_conflict(a, b):
        out.append(datekeys.DATE_KIND)
    return out


def _unnamed(country: str, keys: Container[str]) -> bool:
    """Whether ``keys`` never name ``country`` (a ``country:`` key): neither directly nor
    through a person who stands for it."""
    return country not in keys and STANDS + country[8:] not in keys


def conflicts(
    item_title: frozenset[str],
    item_all: frozenset[str],
    event_title: frozenset[str],
    event_all: frozenset[str],
) -> list[str]:
    """Exclusive kinds where each side's headline names something the other side never
    mentions: "EU deal" vs "US–China talks in Stockholm" (country: eu / china), "Fed" vs
    "ECB". One-sided novelty is no conflict ("Bessent: talks with China" joins "US, China
    talks"), and a place named only in one lead is not either."""
    return conflicts_between(
        conflict_candidates(item_title, item_all),
        item_all,
        conflict_candidates(event_title, event_all),
        event_all,
    )
