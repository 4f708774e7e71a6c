"""Cluster stage: which figures in a report count casualties (pure, no I/O).

A death toll changes as a story develops, so two reports of one disaster disagree on it; the
evidence extractor keys such a figure ``toll:N`` (never a conflict) instead of ``num:N``.
"""

from __future__ import annotations

import re

#: A count of people hit ("1,644 people were killed", "49 people die", "death toll passes
#: 1,600", "逾800伤", "遇难人数升至1644人", "夺41命", "41条人命", "45 miners trapped", "30
#: rescued"; session 13: "More than 450 fatalities", "死亡人数增至最少145人", Cyclone Mocha's
#: rising toll, which was keyed ``num`` and conflicted) is keyed ``toll:N``, not ``num:N``: it
#: changes as a story develops, so two reports of one disaster or rescue disagree on it (a
#: follow-up, not a decoy) and it never conflicts (kind not in CONFLICT_KINDS). Two reports
#: that agree on it still share the key.
_TOLL_AFTER = re.compile(
    r"\s*(?:多|余|餘)?\s*(?:[A-Za-z]+\s+|人|名)?(?:have been |had been |were |are |was )?"
    r"(?:dead|deaths?|killed|die[sd]?|injured|wounded|hurt|missing|casualties|fatalities|"
    r"victims|trapped|lives lost|"
    r"rescued|evacuated|stranded|死|亡|伤|傷|遇难|罹难|失踪|受伤|丧生|被困|受困|获救|撤离|"
    r"(?:条)?(?:人)?命)",
    re.I,
)
_TOLL_BEFORE = re.compile(
    r"(?:toll|kills|killing|killed|deaths?|injur(?:ed|ing|ies)|rescued|evacuated|死亡人数|"
    r"遇难人数|罹难人数|伤亡人数|受伤人数|失踪人数|被困人数|获救人数)\s*(?:[A-Za-z]+\s+){0,2}?(?:to\s+|at\s+)?"
    r"(?:升至|增至|上升至|达到|达|超过|超|逾|已达|为)?\s*(?:最少|至少|起码)?\s*$",
    re.I,
)
#: A toll named earlier in the clause and the figure it rose to: "Death toll in Tibet
#: earthquake rises to 126", "the death toll from the quake that struck … rose to at least 126".
_TOLL_CLAUSE = re.compile(
    r"(?:\btoll|死亡人数|遇难人数|罹难人数|伤亡人数)[^.;!?。；！？\n]*?"
    r"(?:\b(?:to|at|reached|reaches|passed|passes|tops|topped|hits|hit)\s+"
    r"(?:at least\s+|more than\s+|over\s+|nearly\s+|almost\s+)?|"
    r"(?:升至|增至|上升至|达到|超过)(?:最少|至少|起码)?)$",
    re.I,
)
#: Characters read on each side of a figure for a casualty context.
_TOLL_SPAN = 32
#: Characters read before a figure for a toll named earlier in its clause (_TOLL_CLAUSE).
_TOLL_CLAUSE_SPAN = 200


def is_toll(text: str, start: int, end: int) -> bool:
    """Whether the figure at ``text[start:end]`` counts casualties (see _TOLL_AFTER)."""
    after = text[end : end + _TOLL_SPAN]
    before = text[max(0, start - _TOLL_SPAN) : start]
    if _TOLL_AFTER.match(after) or _TOLL_BEFORE.search(before):
        return True
    return bool(_TOLL_CLAUSE.search(text[max(0, start - _TOLL_CLAUSE_SPAN) : start]))
