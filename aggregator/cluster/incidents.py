"""Cluster stage: the headline words of a local incident (a shooting, a stabbing, an explosion,
a bombing), for telling two incidents of one kind in two towns of one region apart (pure, no
I/O; session 12).

A shooting in Culver City and one in Compton a day later are two events, though both are in
Los Angeles County and the same sheriff's department speaks of both (SemEval-2022 dev,
docs/session-12/report-semeval-12.md). ``occurrence.DISASTERS`` already make a headline's
regions exclusive (``places.regions_conflict``: two regions of one country, neither named by
the other side, are two disasters); a headline holding one of these words is a local
incident too and takes the same rule (``conflicts.conflict_candidates``). The keys are of kind
``incident`` and weigh nothing: a shared word "shooting" is no evidence of one story (two
shootings are the commonest false pair), it only says the headline's places are exclusive.

Only the words of an incident that happens in one place: not "attack" (air strikes, cyber
attacks, verbal attacks), not "shot" alone ("a shot at the title"), not "blast" ("blasts
critics"). Chinese: 枪击 / 枪案 / 开枪 (shootings), 持刀 / 刺伤 / 砍伤 (stabbings), 爆炸 (an
explosion; not 爆炸性 / 爆炸式 "explosive", as in 爆炸性新闻 "bombshell news", 爆炸式增长
"explosive growth").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: The evidence kind and key prefix.
KIND = "incident"
PREFIX = KIND + ":"

_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "shooting": (
        (
            "shooting",
            "shootings",
            "shot dead",
            "shot and killed",
            "shot and wounded",
            "fatally shot",
            "gunman",
            "gunmen",
            "gunfire",
            "mass shooting",
            # Session 13: "teenage boy opens fire at school", "shots fired at Texas outlet mall".
            "opens fire",
            "opened fire",
            "shots fired",
        ),
        ("枪击", "枪案", "开枪", "枪杀"),
    ),
    "stabbing": (
        ("stabbing", "stabbings", "stabbed", "knife attack", "knifeman"),
        ("持刀", "刺伤", "砍伤", "捅伤", "砍人"),
    ),
    "explosion": (
        ("explosion", "explosions", "exploded", "explodes", "gas blast"),
        ("爆炸",),
    ),
    "bombing": (
        ("bombing", "bombings", "car bomb", "suicide bomber", "suicide bombing"),
        ("炸弹袭击", "自杀式袭击"),
    ),
}

_LATIN = {
    kind: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in latin) + r")\b", re.IGNORECASE)
    for kind, (latin, _) in _WORDS.items()
}
_HAN = {kind: han for kind, (_, han) in _WORDS.items()}
#: Chinese strings that hold an incident word and are none ("爆炸性新闻": bombshell news).
_HAN_SHADOWS = re.compile("爆炸性|爆炸式|信息爆炸|知识爆炸|人口爆炸")


def keys(title: str) -> set[str]:
    """The ``incident:`` keys of a (Simplified-folded) headline."""
    han = _HAN_SHADOWS.sub("", title)
    return {
        PREFIX + kind
        for kind in _WORDS
        if _LATIN[kind].search(title) or any(w in han for w in _HAN[kind])
    }


def is_local_incident(title_keys: Iterable[str]) -> bool:
    """Whether headline keys hold an ``incident:`` key."""
    return any(k.startswith(PREFIX) for k in title_keys)
