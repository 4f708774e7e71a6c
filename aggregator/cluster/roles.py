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
_EN_QUALIFIERS = r"(?:new\s+|former\s+|acting\s+|interim\s+|then\s+)?"
#: Every office word, to skip the country alternation on headlines without one.
_ANY_OFFICE = re.compile(
    "|".join(_ZH_OFFICES) + r"|\b(?:" + "|".join(_EN_OFFICES) + r")\b", re.IGNORECASE
)


def _tables() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str], dict[str, str]]:
    han: dict[str, str] = {}
    latin: dict[str, str] = {}
    for cid, aliases in ALIASES["country"].items():
        for a in aliases:
            if re.search(r"[\u4e00-\u9fff]", a):
                han.setdefault(a, cid)
            else:
                latin.setdefault(a.casefold(), cid)
    zh_alts = "|".join(map(re.escape, sorted(han, key=len, reverse=True)))
    en_alts = "|".join(map(re.escape, sorted(latin, key=len, reverse=True)))
    offices = "|".join(_EN_OFFICES)
    zh = re.compile(rf"({zh_alts})(?:新任|前任|代理)?(?:{'|'.join(_ZH_OFFICES)})")
    en = re.compile(
        rf"\b(?:({en_alts})(?:'s|’s)?\s+{_EN_QUALIFIERS}(?:{offices})\b"
        rf"|(?:{offices})\s+of\s+(?:the\s+)?({en_alts})\b)",
        re.IGNORECASE,
    )
    return zh, en, han, latin


_ZH_RE, _EN_RE, _HAN, _LATIN = _tables()


def keys(title: str, named: Collection[str] = ()) -> set[str]:
    """``role:<country>`` keys of a Simplified-folded headline: its offices of a country none
    of whose people it names (``named``: its keys; "Australian Prime Minister Albanese" names
    Albanese, whose party the office is — read as Penny Wong's it joined their two meetings)."""
    if not _ANY_OFFICE.search(title):
        return set()
    found = {_HAN[m.group(1)] for m in _ZH_RE.finditer(title)}
    found.update(_LATIN[(m.group(1) or m.group(2)).casefold()] for m in _EN_RE.finditer(title))
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
    """Whether the parties of two headlines (``person:`` and ``role:`` keys, two or more each,
    no summit named) name two meetings: they share a party and each names one the other does
    not (Xi with Trong, then Xi with Thuong: two talks of one visit; the lead of the second
    names the first, so headlines only). At a summit everyone meets everyone: not asked there.
    People only, this is session 10's rule; an office matches a person of its country."""
    return (
        any(_met(x, b) for x in a)
        and any(not _met(x, b) for x in a)
        and any(not _met(y, a) for y in b)
    )
