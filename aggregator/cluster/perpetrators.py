"""Cluster stage: who did a local incident, and whether a report calls it a repeat — evidence
for telling two incidents of one kind in one city apart (pure, no I/O; session 13).

A school shooting in Belgrade by a 13-year-old pupil and, a day later, a mass shooting in a
village near Belgrade by a 21-year-old are two events, though both are "a mass shooting in
Serbia" with eight dead (``bench/realtext/heldout13.tsv``, a development set). The country is
shared and the places are no help (the second is "near Belgrade"); what tells them apart is
what the reports say of the perpetrator, and that the later reports call theirs "a second
mass shooting". Two keys, read from the headline and the lead of a report whose headline
holds an ``incidents`` word (``evidence.extract``), both weightless (KIND_WEIGHT 0):

* ``age:N`` — the perpetrator's age: "a 14-year-old student", "the suspect, a seventh grade
  student (aged around 13)", "21岁男子", "14岁枪手", "嫌疑人为21岁", "20岁的凶嫌". Only beside
  a word for a perpetrator (gunman, shooter, suspect, attacker, student, pupil, teenager, boy,
  man; 枪手, 嫌犯, 嫌疑人, 凶嫌, 疑犯, 凶手, 学生, 男生, 少年, 男子, 男孩, 青年, 年轻人): a
  victim's age ("a 9-year-old girl was among the dead") is not read where no such word stands
  beside it. The figure is no ``num:`` key of the report (``evidence`` drops it): an age is
  not a figure of the story, and two agencies' 13 and 14 for one boy must not conflict.
* ``again:incident`` — the report calls its incident a repeat: "a second mass shooting",
  "the 2nd attack in 2 days", "another shooting", 第二次 / 第二起 / 又一起 / 再次发生 … 枪击.

Two conflicts follow (``conflicts.conflict_candidates``, kinds :data:`AGE_KIND` and
:data:`AGAIN_KIND`):

* two incident reports whose perpetrators' ages all differ by more than
  :data:`AGE_TOLERANCE` (13 or 14 vs 20 or 21) report two incidents. The ages of a report that
  calls its incident a repeat are not its own perpetrator's: such a report recalls the earlier
  incident ("…one day after a 13-year-old student shot and killed 8 children"), so they are
  never :data:`AGE_KIND` candidates;
* a report that calls its incident a repeat and names an age, and a side that does not call
  it a repeat and whose perpetrator is of that age: the report recalls that side's incident
  as the earlier one, so it is not one of its reports.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

#: The perpetrator's age: evidence kind and key prefix.
AGE_KIND = "age"
AGE_PREFIX = AGE_KIND + ":"
#: The repeat marker's key, and the conflict kind it gives.
AGAIN_KIND = "again"
AGAIN = AGAIN_KIND + ":incident"
#: Two agencies give one perpetrator's age a year apart (13 and 14: the Belgrade pupil); two
#: perpetrators further apart than this are two people.
AGE_TOLERANCE = 1

_WHO_EN = (
    r"(?:gunman|gunmen|shooter|suspect|attacker|assailant|perpetrator|student|pupil|"
    r"teen|teenager|boy|man)"
)
_EN_AGE = re.compile(
    rf"\b(\d{{1,2}})[- ]years?[- ]old\s+(?:[A-Za-z]+\s+){{0,2}}?{_WHO_EN}s?\b"
    rf"|\b{_WHO_EN}s?\b[^.;!?]{{0,60}}?\baged\s+(?:around\s+|about\s+)?(\d{{1,2}})\b",
    re.IGNORECASE,
)
_WHO_ZH = "(?:枪手|嫌犯|嫌疑人|凶嫌|疑犯|凶手|袭击者|学生|男生|少年|男子|男孩|青年|年轻人)"
_ZH_AGE = re.compile(
    rf"(\d{{1,2}})岁(?:的)?(?:男|女)?(?:[\u4e00-\u9fff]{{0,3}}?){_WHO_ZH}"
    rf"|{_WHO_ZH}(?:为|是|年仅|仅|年约|约)(\d{{1,2}})岁"
)
_INCIDENT_EN = r"(?:mass\s+)?(?:shooting|attack|stabbing|bombing|explosion)"
_AGAIN_EN = re.compile(
    rf"\b(?:second|2nd|third|3rd|another)\s+(?:[A-Za-z]+\s+){{0,2}}?{_INCIDENT_EN}s?\b",
    re.IGNORECASE,
)
_AGAIN_ZH = re.compile(
    r"(?:第二次|第二起|第二宗|第三次|第三起|又一起|又一宗|再次发生|再度发生|再发生)"
    r"[\u4e00-\u9fff]{0,8}?(?:枪击|枪案|袭击|爆炸|持刀|砍人)"
)


def ages(text: str) -> set[int]:
    """The perpetrator ages ``text`` (Simplified-folded) states (see the module's doc)."""
    out = {int(m.group(1) or m.group(2)) for m in _EN_AGE.finditer(text)}
    if "岁" in text:
        out |= {int(m.group(1) or m.group(2)) for m in _ZH_AGE.finditer(text)}
    return {a for a in out if 5 <= a <= 99}


def keys(title: str, lead: str) -> set[str]:
    """The ``age:`` and ``again:`` keys of one incident report's headline and lead."""
    out = {f"{AGE_PREFIX}{a}" for a in ages(title) | ages(lead)}
    if any(rx.search(t) for rx in (_AGAIN_EN, _AGAIN_ZH) for t in (title, lead)):
        out.add(AGAIN)
    return out


def candidates(all_keys: Iterable[str]) -> dict[str, frozenset[str]]:
    """The conflict candidates of an incident report's keys: its ages under :data:`AGE_KIND`,
    or, where it calls its incident a repeat, under :data:`AGAIN_KIND` (with the marker, so an
    age-less repeat still has a candidate)."""
    found = [k for k in all_keys if k.startswith((AGE_PREFIX, AGAIN))]
    if AGAIN in found:
        return {AGAIN_KIND: frozenset(found)}
    return {AGE_KIND: frozenset(found)} if found else {}


def _values(ks: Collection[str]) -> list[int]:
    return [int(k[len(AGE_PREFIX) :]) for k in ks if k.startswith(AGE_PREFIX)]


def ages_conflict(a: Collection[str], b: Collection[str]) -> bool:
    """Whether every age of ``a`` lies more than :data:`AGE_TOLERANCE` from every age of ``b``
    (``age:`` keys of two sides that do not call their incident a repeat)."""
    va, vb = _values(a), _values(b)
    return bool(va and vb) and all(abs(x - y) > AGE_TOLERANCE for x in va for y in vb)


def recalls(again: Collection[str], other: Collection[str]) -> bool:
    """Whether a repeat's recalled ages (``again``: its :data:`AGAIN_KIND` candidates) name the
    perpetrator of ``other`` (the :data:`AGE_KIND` candidates of a side that does not call its
    incident a repeat): the repeat's report tells of that incident as the earlier one."""
    va, vb = _values(again), _values(other)
    return any(abs(x - y) <= AGE_TOLERANCE for x in va for y in vb)
