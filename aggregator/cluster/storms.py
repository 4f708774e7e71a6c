"""Cluster stage: named storms as evidence (pure, no I/O).

A typhoon or hurricane is one occurrence wherever it goes: Yagi's landfall in Hainan and its
toll in Vietnam, Ragasa's floods in Hualien and its landfall in Guangdong. Its name is the
occurrence's identity (a basin names a storm once a season), where the countries it crosses
would otherwise conflict. ``storm:<name>`` keys are read from "Typhoon Yagi", "Hurricane
Milton" and from 台风“摩羯” / 颱風樺加沙｜ (Simplified-folded text); an English name and its
Chinese transliteration are different keys (no table maps them), so the key joins reports
within one language and the multilingual vectors bridge the two. A transliterated name may hold
a place's alias (樺加沙 holds 加沙, Gaza): :func:`blank` lets the caller skip those. A name
introduced anywhere in an item (its lead's "Typhoon Ragasa") is also found where it stands
alone (its headline's "as Ragasa lashes Hong Kong": :func:`keys_in`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_EN = re.compile(
    r"\b(?:Super\s+)?(?:Typhoon|Hurricane|Cyclone|Tropical\s+Storm)\s+([A-Z][a-z]{2,})\b"
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
_ZH_KIND = r"(?:超强台风|强台风|台风|飓风|强热带风暴|热带风暴|气旋)"
_HAN = "\u4e00-\u9fff"
#: 台风“摩羯” / 颱風樺加沙｜ (unquoted, a name must end at a bar, slash or space: "台风来袭期间"
#: and "台风摩羯袭越南" give nothing rather than a wrong name), and “摩羯”台风.
_ZH = re.compile(
    rf"{_ZH_KIND}(?:[“\"「『]([{_HAN}]{{2,4}})[”\"」』]|([{_HAN}]{{2,4}})(?=[｜|/\s]))"
    rf"|[“\"「『]([{_HAN}]{{2,4}})[”\"」』]{_ZH_KIND}"
)


def find(text: str) -> set[str]:
    """The storm names ``text`` introduces: English ones lower-cased ("Typhoon Yagi" → yagi),
    Chinese ones as written in Simplified-folded text (台风“摩羯” → 摩羯)."""
    out = {n for m in _EN.finditer(text) if (n := m.group(1).lower()) not in _NOT_NAMES}
    for m in _ZH.finditer(text):
        out.add(m.group(1) or m.group(2) or m.group(3))
    return out


def keys_in(text: str, names: Iterable[str]) -> set[str]:
    """``storm:<name>`` for each of ``names`` (found anywhere in one item by :func:`find`)
    that ``text`` mentions, with or without its "Typhoon" ("… as Ragasa lashes Hong Kong")."""
    folded = text.casefold()
    out = set()
    for n in names:
        if n.isascii():
            if re.search(rf"(?<![a-z]){re.escape(n)}(?![a-z])", folded):
                out.add(f"storm:{n}")
        elif n in text:
            out.add(f"storm:{n}")
    return out


def blank(text: str, names: Iterable[str]) -> str:
    """``text`` with the Chinese storm names blanked out (樺加沙 holds 加沙, Gaza)."""
    for n in names:
        if not n.isascii() and n in text:
            text = text.replace(n, " " * len(n))
    return text
