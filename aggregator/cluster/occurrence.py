"""Cluster stage: when two headlines name one occurrence — one disaster in one place, one
bank's rate move, one body's summit, one storm, the same two people (pure, no I/O). Read on
the keys of ``evidence``; moved out of it (500-line rule).
"""

from __future__ import annotations

from collections.abc import Collection, Container, Iterable

from aggregator.cluster import sidelines

#: Topic keys of disasters: two reports naming one of them and one place are one event
#: within a window (see ``same_disaster``).
_DISASTER_WORDS = (
    "earthquake tsunami typhoon flood wildfire landslide volcano tornado fire crash collapse"
)
DISASTERS = frozenset(f"topic:{t}" for t in _DISASTER_WORDS.split())
_PLACE_KINDS = ("country:", "city:", "region:")


_RESCUE = "topic:rescue"
_STORM = "storm:"
_RATES = "topic:rates"
_SUMMIT = "topic:summit"
_PERSON = "person:"
_COMPANY = "company:"
_BUSINESS = "business:"
_SUMMIT_BODIES = frozenset(
    f"org:{o}" for o in ("sco", "brics", "g20", "g7", "asean", "apec", "cop")
)
#: A summit named in a headline: a summit body or the word (``evidence``: a summit report's
#: people are no meeting's parties).
SUMMITS = _SUMMIT_BODIES | {_SUMMIT}


def same_disaster(a: Iterable[str], b: Collection[str]) -> bool:
    """Whether headline keys ``a`` and ``b`` name one occurrence: one disaster in one place;
    a disaster in one place and a rescue in that place (a follow-up named by its rescue: "中国
    救援队在缅甸曼德勒持续展开救援"); one central bank's rate move (a market reaction: "Equities
    mixed after Fed rate cut" — a bank decides once within a window); or one summit body's
    summit (its eve speech and its declaration: a body meets once within a window); or one
    named storm (``storms.py``); or one company's story of one kind (its results, a share move,
    a deal: a ``company:`` and a ``business:`` key in both headlines)."""
    a = list(a)
    shared = [k for k in a if k in b]
    if (
        any(k in _SUMMIT_BODIES for k in shared)
        and (_SUMMIT in a or _SUMMIT in b)
        and not (sidelines.reports_meeting(a) or sidelines.reports_meeting(b))
    ):
        return True  # a meeting on its sidelines is not the summit (session 12)
    if any(k.startswith(_COMPANY) for k in shared) and any(k.startswith(_BUSINESS) for k in shared):
        return True  # one company's results, share move or deal (session 10)
    if any(k.startswith(_STORM) for k in shared):
        return True  # one named storm, wherever it went
    if not any(k.startswith(_PLACE_KINDS) for k in shared):
        rates = _RATES in a or _RATES in b
        return rates and any(k.startswith("central_bank:") for k in shared)
    if any(k in DISASTERS for k in shared):
        return True
    a_dis, b_dis = any(k in DISASTERS for k in a), any(k in b for k in DISASTERS)
    return (a_dis and _RESCUE in b) or (b_dis and _RESCUE in a)


def same_meeting(a: Iterable[str], b: Container[str]) -> bool:
    """Whether headline keys ``a`` and ``b`` both name the same two (or more) people: reports
    of their meeting ("Biden, Xi agree…" / "习近平同拜登举行会晤"). Two leaders meet once
    within a window; a report naming one of them with a third person is another story."""
    return sum(1 for k in a if k.startswith(_PERSON) and k in b) >= 2


def within_occurrence(
    conflicts: list[str], item_title: Iterable[str], event_title: Container[str]
) -> list[str]:
    """``conflicts`` less the country conflict of two headlines that name one occurrence
    (:func:`same_disaster`) and share a country or a named storm (its path crosses several;
    a shared storm also lifts a region conflict: Yagi in Hainan and in Guangdong):
    the other countries are its bystanders —
    the rescuers' ("中國救援爭分奪秒" in 緬甸's quake zone), a neighbour that felt it ("tremors
    felt in Thailand"). Without the shared occurrence a second country still conflicts
    ("Trump meets Xi" vs "Trump meets Putin")."""
    if "region" in conflicts and any(k.startswith(_STORM) and k in event_title for k in item_title):
        conflicts = [c for c in conflicts if c != "region"]
    if "country" not in conflicts or not any(
        k.startswith(("country:", _STORM)) and k in event_title for k in item_title
    ):
        return conflicts
    return [c for c in conflicts if c != "country"]
