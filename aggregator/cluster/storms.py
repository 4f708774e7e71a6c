"""Cluster stage: named storms as evidence (pure, no I/O).

A typhoon or hurricane is one occurrence wherever it goes: Yagi's landfall in Hainan and its
toll in Vietnam, Ragasa's floods in Hualien and its landfall in Guangdong. Its name is the
occurrence's identity (a basin names a storm once a season), where the countries it crosses
would otherwise conflict. ``storm:<name>`` keys are read from "Typhoon Yagi", "Hurricane
Milton" and from 台风“摩羯” / 颱風樺加沙｜ (Simplified-folded text). A Chinese name that
``storm_names.py`` lists is keyed by its English name (摩羯 → ``storm:yagi``, as "Typhoon
Yagi"), so a Chinese report and the English wire story share the key; a Chinese name the table
lacks keeps its own key (it joins reports within one language only). A listed name is also read
where it follows the storm's kind bare (台风摩羯袭越南); an unlisted one needs quotes or a
bar after it (台风来袭期间 gives nothing rather than a wrong name). A transliterated name may hold
a place's alias (樺加沙 holds 加沙, Gaza): :func:`blank` lets the caller skip those. A name
introduced anywhere in an item (its lead's "Typhoon Ragasa") is also found where it stands
alone (its headline's "as Ragasa lashes Hong Kong": :func:`keys_in`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from aggregator.cluster.storm_names import (
    EASTERN_NORTH_PACIFIC,
    NORTH_ATLANTIC,
    NORTH_INDIAN,
    WESTERN_NORTH_PACIFIC,
)

_TABLES = (WESTERN_NORTH_PACIFIC, NORTH_ATLANTIC, EASTERN_NORTH_PACIFIC, NORTH_INDIAN)


def _zh_to_en() -> dict[str, str]:
    """Chinese name → English name, less any Chinese name two English names share."""
    seen: dict[str, set[str]] = {}
    for table in _TABLES:
        for en, zh_names in table.items():
            for zh in zh_names:
                seen.setdefault(zh, set()).add(en)
    return {zh: next(iter(en)) for zh, en in seen.items() if len(en) == 1}


#: 摩羯 → yagi, 凯米 → gaemi, 米尔顿 → milton (Simplified-folded Chinese names).
ZH_TO_EN = _zh_to_en()
#: English names the table lists, hyphenated ones included ("kong-rey", "man-yi").
_EN_LISTED = frozenset(en for table in _TABLES for en in table)

#: A name may stand in quotes ('Tropical Cyclone “Mocha”', session 13: the wire style of
#: agencies that quote a cyclone's name).
_EN = re.compile(
    r"\b(?:Super\s+)?(?:Typhoon|Hurricane|Cyclone|Tropical\s+Storm)\s+[“\"‘']?"
    r"([A-Z][a-z]+(?:-[A-Za-z][a-z]+)?)\b"
)
#: Capitalised words that follow "Typhoon" in a title-case headline without being its name.
_NOT_NAMES = frozenset(
    [
        "approaches",
        "barrels",
        "batters",
        "bears",
        "brings",
        "causes",
        "churns",
        "closes",
        "crashes",
        "damages",
        "devastates",
        "dumps",
        "forces",
        "hammers",
        "heads",
        "hits",
        "intensifies",
        "kills",
        "lashes",
        "leaves",
        "makes",
        "moves",
        "nears",
        "pounds",
        "prompts",
        "rips",
        "roars",
        "season",
        "signal",
        "slams",
        "spares",
        "strengthens",
        "strikes",
        "sweeps",
        "threatens",
        "toll",
        "triggers",
        "warning",
        "warnings",
        "watch",
        "weakens",
        "whips",
    ]
)
#: 气旋风暴 (cyclonic storm, IMD's grades 强 / 特强 / 超级气旋风暴, session 13) before 气旋.
_ZH_KIND = r"(?:超强台风|强台风|台风|飓风|强热带风暴|热带风暴|气旋风暴|气旋)"
_HAN = "\u4e00-\u9fff"
#: 台风“摩羯” / 颱風樺加沙｜ (unquoted, a name must end at a bar, slash or space: "台风来袭期间"
#: and "台风山竹重创广东" give nothing rather than a wrong name), and “摩羯”台风. A listed name
#: needs neither (``_ZH_LISTED``: 台风摩羯袭越南).
_ZH = re.compile(
    rf"{_ZH_KIND}(?:[“\"「『]([{_HAN}]{{2,4}})[”\"」』]|([{_HAN}]{{2,4}})(?=[｜|/\s]))"
    rf"|[“\"「『]([{_HAN}]{{2,4}})[”\"」』]{_ZH_KIND}"
)
_LISTED_ALT = "|".join(sorted(map(re.escape, ZH_TO_EN), key=len, reverse=True))  # 海伦妮 first
#: A listed name read bare beside its kind: 台风摩羯袭越南, 強颱康芮登陸 (强台 / 中台 / 轻台,
#: Taiwan's grades), 凱米颱風 (name first).
_ZH_LISTED = re.compile(
    rf"(?:{_ZH_KIND}|[强中轻]台)({_LISTED_ALT})|({_LISTED_ALT})(?:台风|飓风|热带风暴)"
)


def _en_name(word: str) -> str | None:
    """The storm name in ``word`` (after "Typhoon"): a hyphenated name the table lists
    ("Kong-rey"), else the part before a hyphen ("Yagi-hit" → yagi); None for a non-name."""
    name = word.lower()
    if "-" in name and name not in _EN_LISTED:
        name = name.split("-", 1)[0]
    if (len(name) < 3 and name not in _EN_LISTED) or name in _NOT_NAMES:
        return None
    return name


def listed(key: str) -> bool:
    """Whether a ``storm:`` key is a basin table's international (English) name — a storm
    no other name of the same season shares (a Chinese or local name may be another key)."""
    return key.startswith("storm:") and key[6:] in _EN_LISTED


def _may_name_zh(text: str) -> bool:
    """Whether ``text`` holds a character every match of ``_ZH`` and ``_ZH_LISTED`` holds: each
    kind of ``_ZH_KIND`` has 风 or 旋, ``[强中轻]台`` has 台. Without one (English text, most
    Chinese text) neither regex can match, and their scans (~3 % of the cluster stage's
    evidence work, tried at every position) are skipped."""
    return "风" in text or "台" in text or "旋" in text


def find(text: str) -> set[str]:
    """The storm names ``text`` introduces: English ones lower-cased ("Typhoon Yagi" → yagi),
    Chinese ones as written in Simplified-folded text (台风“摩羯” → 摩羯, 台风摩羯袭越南 → 摩羯);
    :func:`keys_in` maps a listed Chinese name to its English key."""
    out = {n for m in _EN.finditer(text) if (n := _en_name(m.group(1)))}
    if not _may_name_zh(text):
        return out
    zh_listed = [m.group(1) or m.group(2) for m in _ZH_LISTED.finditer(text)]
    for m in _ZH.finditer(text):
        if m.group(2) and text[: m.start()].endswith(tuple(zh_listed)):
            continue  # 凯米台风袭台｜: the kind is the listed name's, what follows is no name
        out.add(m.group(1) or m.group(2) or m.group(3))
    out.update(zh_listed)
    return out


def keys_in(text: str, names: Iterable[str]) -> set[str]:
    """``storm:<name>`` for each of ``names`` (found anywhere in one item by :func:`find`)
    that ``text`` mentions, with or without its "Typhoon" ("… as Ragasa lashes Hong Kong").
    A Chinese name the table lists gives its English key (摩羯 → ``storm:yagi``)."""
    folded = text.casefold()
    out = set()
    for n in names:
        if n.isascii():
            if re.search(rf"(?<![a-z]){re.escape(n)}(?![a-z])", folded):
                out.add(f"storm:{n}")
        elif n in text:
            out.add(f"storm:{ZH_TO_EN.get(n, n)}")
    return out


def blank(text: str, names: Iterable[str]) -> str:
    """``text`` with the Chinese storm names blanked out (樺加沙 holds 加沙, Gaza)."""
    for n in names:
        if not n.isascii() and n in text:
            text = text.replace(n, " " * len(n))
    return text
