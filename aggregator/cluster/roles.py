"""Cluster stage: the parties of a meeting named by office, not name (pure, no I/O).

A headline often names a visitor and only the office of the host: "习近平和匈牙利总统总理会谈",
"Xi meets Hungarian president", "Top leaders of Vietnam, China hold talks". Such a headline has
one ``person:`` key, so the meeting conflict (``conflicts``: one person's two meetings, Xi with
Vučić in Belgrade, then with Hungary's president and prime minister in Budapest) could not ask
it. :func:`keys` gives a ``role:<country>`` key per country named with an office in a headline
(weight 0: it only takes part in that conflict), and :func:`two_meetings` reads a role as the
party it names: it matches a ``person:`` key standing for that country (``aliases.
PERSON_COUNTRY``), so "Xi meets Hungarian president" and "Xi, Orban hold talks" are one
meeting, and a role of another country is another meeting's party.

Session 11 (heldout10, development: the Budapest talks' Chinese headline joined the Belgrade
talks). Offices: heads of state and government, kings, party leaders, foreign ministers — one
party per country (a president and a prime minister of one country are not told apart).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from aggregator.cluster.aliases import ALIASES, PERSON_COUNTRY

PREFIX = "role:"
_PERSON = "person:"
_STANDS = "stands:"

_ZH_OFFICES = ("国家主席", "总统", "总理", "首相", "国王", "总书记", "外长", "外交部长")
_EN_OFFICES = (
    "President",
    "Prime Minister",
    "PM",
    "Premier",
    "Chancellor",
    "King",
    "Foreign Minister",
    "leader",
    "leaders",
)
#: Words between a country and its office that are no part of the country's name.
_QUALIFIERS = frozenset(("new", "former", "acting", "interim", "then"))
#: An English office word; the words after "<office> of (the)" (matched after it).
_EN_OFFICE = re.compile(r"\b(?:" + "|".join(_EN_OFFICES) + r")\b", re.IGNORECASE)
_OF = re.compile(r"\s+of\s+(?:the\s+)?((?:[\w.-]+\s*){1,4})", re.IGNORECASE)
_WORD = re.compile(r"[\w.’'-]+")
#: The last one to five words before an office word, separated by spaces only.
_TAIL = re.compile(r"((?:[\w.’'-]+\s+){1,5})$")
_ZH_QUALIFIERS = ("新任", "前任", "代理")
_HAN_RANGE = re.compile(r"[\u4e00-\u9fff]")


def _tables() -> tuple[dict[str, str], dict[str, str], int]:
    han: dict[str, str] = {}
    latin: dict[str, str] = {}
    for cid, aliases in ALIASES["country"].items():
        for a in aliases:
            if _HAN_RANGE.search(a):
                han.setdefault(a, cid)
            else:
                latin.setdefault(a.casefold(), cid)
    return han, latin, max(map(len, han))


_HAN, _LATIN, _HAN_LONGEST = _tables()
#: Longest English country alias, in words.
_LATIN_WORDS = max(len(a.split()) for a in _LATIN)


def _han_before(title: str, end: int) -> str | None:
    """The country whose Chinese alias ends at ``end`` (the longest one), a qualifier between."""
    for q in _ZH_QUALIFIERS:
        if title.startswith(q, end - len(q)):
            end -= len(q)
            break
    for n in range(min(_HAN_LONGEST, end), 1, -1):
        cid = _HAN.get(title[end - n : end])
        if cid:
            return cid
    return None


def _latin_in(words: list[str]) -> str | None:
    """The country named by the last 1–4 of ``words``, longest first."""
    for n in range(min(_LATIN_WORDS, len(words)), 0, -1):
        cid = _LATIN.get(" ".join(words[-n:]).casefold())
        if cid:
            return cid
    return None


def keys(title: str, named: Collection[str] = ()) -> set[str]:
    """``role:<country>`` keys of a Simplified-folded headline: its offices of a country none
    of whose people it names (``named``: its keys; "Australian Prime Minister Albanese" names
    Albanese, whose party the office is — read as Penny Wong's it joined their two meetings).
    A dictionary look-up of the words before an office word (or after "<office> of"): no
    country alternation is run over the headline."""
    found: set[str] = set()
    if _HAN_RANGE.search(title):
        for office in _ZH_OFFICES:
            i = title.find(office)
            while i >= 0:
                if i and (cid := _han_before(title, i)):
                    found.add(cid)
                i = title.find(office, i + 1)
    for m in _EN_OFFICE.finditer(title):
        tail = _TAIL.search(title, max(0, m.start() - 60), m.start())
        before = tail.group(1).split() if tail else []
        if before:
            last = before[-1]
            if last.casefold().endswith(("'s", "’s")):
                before[-1] = last[:-2]
            elif last.casefold() in _QUALIFIERS:
                before.pop()
                if before and before[-1].casefold().endswith(("'s", "’s")):
                    before[-1] = before[-1][:-2]
        if before and (cid := _latin_in(before)):
            found.add(cid)
        if of := _OF.match(title, m.end()):
            after = _WORD.findall(of.group(1))
            for n in range(min(_LATIN_WORDS, len(after)), 0, -1):
                if cid := _LATIN.get(" ".join(after[:n]).casefold()):
                    found.add(cid)
                    break
    return {PREFIX + c for c in found if _STANDS + c not in named}


def _country(party: str) -> str | None:
    if party.startswith(PREFIX):
        return party[len(PREFIX) :]
    if party.startswith(_PERSON):
        return PERSON_COUNTRY.get(party[len(_PERSON) :])
    return None


def _met(x: str, others: Collection[str]) -> bool:
    """Whether party ``x`` is one of ``others``: the same key, or a role and a person (or two
    roles) of one country."""
    if x in others:
        return True
    cx = _country(x)
    if cx is None:
        return False
    xr = x.startswith(PREFIX)
    return any((xr or y.startswith(PREFIX)) and _country(y) == cx for y in others)


def two_meetings(a: Collection[str], b: Collection[str]) -> bool:
    """Whether the parties of two headlines (``person:`` and ``role:`` keys, two or more each)
    name two meetings: they share a party and each names one the other does not (Xi with
    Trong, then Xi with Thuong: two talks of one visit; the lead of the second names the first,
    so headlines only). At a summit everyone meets everyone: ``conflicts`` asks it there only
    where a headline reports a meeting (``sidelines``). People only, this is session 10's
    rule; an office matches a person of its country."""
    return (
        any(_met(x, b) for x in a)
        and any(not _met(x, b) for x in a)
        and any(not _met(y, a) for y in b)
    )
