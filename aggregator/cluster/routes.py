"""Cluster stage: join routes beside the linear score (pure, no I/O).

:func:`by_words`: for two reports in one language, word overlap is the stronger signal (a
plain TF-IDF cosine judged pair by pair beat the scorer on SemEval en-en); an item whose
TF-IDF cosine to one of an event's nearest members in its own language reaches
``ScoreWeights.lex_route`` joins that event, unless the two carry conflicting evidence.

:func:`by_meeting`: an item whose headline names the same two people as the event's headlines
(``evidence.same_meeting``) within ``ScoreWeights.meeting_days`` of its reports joins it,
unless the two carry conflicting evidence (another venue, another country).

:func:`by_magnitude`: an item whose headline names the same disaster in the same place as the
event's headlines (``evidence.same_disaster``) and that states one of the event's magnitudes
(``7.2``, headline or lead) within ``ScoreWeights.magnitude_days`` joins it, unless anything
conflicts: one quake, re-reported in another language or wording.

:func:`by_figure`: the same for one occurrence's other figures (an amount, a casualty count)
stated by both reports within ``ScoreWeights.figure_days``: one summit's "$50 billion loan",
one fire's "49 dead".

:func:`by_storm`: an item whose headline names a storm the event's headlines name, within
``ScoreWeights.storm_days``, joins it unless anything conflicts: Yagi's landfall in Hainan and
its toll in Vietnam, in English or Chinese (摩羯).
"""

from __future__ import annotations

import math
from collections.abc import Container, Iterable, Mapping, Sequence
from typing import Protocol

from aggregator.cluster import evidence, lexical
from aggregator.cluster.state import ItemLex
from aggregator.cluster.weights import ScoreWeights


class MemberTerms(Protocol):
    """What the route reads of the clusterer's state, by index row."""

    @property
    def _row_lang(self) -> Mapping[int, str]: ...
    @property
    def _lex(self) -> Mapping[int, lexical.Packed]: ...
    @property
    def _nat(self) -> Mapping[int, lexical.Packed]: ...


def by_words(
    bar: float,
    lang: str,
    rows: Sequence[int],
    nearest: Sequence[int],
    state: MemberTerms,
    item: ItemLex,
    conflicts: Sequence[str],
) -> bool:
    """True when a member ``rows[j]`` (``j`` in ``nearest``) is in ``lang`` and the item's
    TF-IDF cosine to it reaches ``bar``: native words for two Chinese reports, the shared
    English-word space otherwise (as the lexical feature). ``bar`` inf: the route is off."""
    if bar == math.inf or conflicts:
        return False
    for j in nearest:
        r = rows[j]
        if state._row_lang[r] != lang:
            continue
        if item.native is not None and r in state._nat:
            cos = lexical.cosine(item.native, state._nat[r])
        else:
            cos = lexical.cosine(item.vector, state._lex[r])
        if cos >= bar:
            return True
    return False


def by_meeting(days: float, same_meeting: bool, dt_days: float, conflicts: Sequence[str]) -> bool:
    """True when both headlines name the same two people (``same_meeting``), the item lies
    within ``days`` of the event's reports and nothing conflicts. ``days`` 0: off."""
    return same_meeting and dt_days <= days and days > 0 and not conflicts


def by_magnitude(
    days: float,
    same_disaster: bool,
    shared: Sequence[str],
    dt_days: float,
    conflicts: Sequence[str],
) -> bool:
    """True when both headlines name one disaster in one place (``same_disaster``), the two
    share a magnitude figure (``shared`` keys), the item lies within ``days`` of the event's
    reports and nothing conflicts. ``days`` 0: off."""
    return _one_figure(days, same_disaster, dt_days, conflicts) and any(
        evidence.is_magnitude(k) for k in shared
    )


def _one_figure(days: float, same_disaster: bool, dt_days: float, conflicts: Sequence[str]) -> bool:
    """The condition both figure routes share: one occurrence, in time, nothing conflicting."""
    return same_disaster and not conflicts and days > 0 and dt_days <= days


def by_figure(
    days: float,
    same_disaster: bool,
    shared: Sequence[str],
    dt_days: float,
    conflicts: Sequence[str],
) -> bool:
    """True when both headlines name one occurrence (``same_disaster``: a disaster in one
    place, one bank's rate move, one body's summit, one storm), the two share a figure other
    than a magnitude (``num:`` or ``toll:`` keys in ``shared``, headline or lead), the item
    lies within ``days`` of the event's reports and nothing conflicts. ``days`` 0: off."""
    return _one_figure(days, same_disaster, dt_days, conflicts) and any(
        k.startswith(_FIGURES) and not evidence.is_magnitude(k) for k in shared
    )


_FIGURES = ("num:", "toll:")


def by_storm(
    days: float,
    item_title: Iterable[str],
    event_title: Container[str],
    dt_days: float,
    conflicts: Sequence[str],
) -> bool:
    """True when both headlines name one storm (a ``storm:`` key), the item lies within
    ``days`` of the event's reports and nothing conflicts. ``days`` 0: off."""
    if conflicts or dt_days > days or days <= 0:
        return False
    return any(k.startswith(_STORM) and k in event_title for k in item_title)


_STORM = "storm:"


def by_identity(
    w: ScoreWeights,
    same_meeting: bool,
    same_disaster: bool,
    shared: Sequence[str],
    dt_days: float,
    conflicts: Sequence[str],
    item_title: Iterable[str],
    event_title: Container[str],
) -> dict[str, bool]:
    """The routes of one occurrence named in both headlines, by decision feature name:
    :func:`by_meeting`, :func:`by_magnitude`, :func:`by_figure`, :func:`by_storm`."""
    return {
        "meeting_route": by_meeting(w.meeting_days, same_meeting, dt_days, conflicts),
        "magnitude_route": by_magnitude(
            w.magnitude_days, same_disaster, shared, dt_days, conflicts
        ),
        "figure_route": by_figure(w.figure_days, same_disaster, shared, dt_days, conflicts),
        "storm_route": by_storm(w.storm_days, item_title, event_title, dt_days, conflicts),
    }
