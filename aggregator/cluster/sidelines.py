"""Cluster stage: a meeting held beside a summit is not the summit (pure, no I/O).

A summit is where leaders meet, and its headlines name them: "Putin and Xi at BRICS summit".
Session 10 therefore never read two summit headlines' people as two meetings ("At a summit
everyone meets everyone", ``roles.two_meetings``), and ``occurrence.same_disaster`` read any
two headlines naming one summit body and a summit as one occurrence (a body meets once within
a window). But the leaders also hold their own meetings on the summit's sidelines, and a
reader wants each as its own story: Xi's talks with Putin on the eve of the BRICS summit in
Kazan (Oct 22 2024), his first formal meeting in five years with Modi the next day, and the
summit's sessions and declaration are three events, however many words, people and places
they share (``bench/realtext/heldout11.tsv``, development set since session 12: all three
formed one event).

A headline *reports a meeting* when it names two or more parties (``person:`` or ``role:``
keys) and a meeting word — "meets", "talks", "discuss", "bilateral", "on the sidelines",
"shaking hands"; 会见, 会谈, 会面, 晤, 握手 — :func:`keys` marks it with :data:`KEY` (weight 0: it
only takes part in the rules below). A summit's own name is no meeting word: "金砖国家领导人第
十六次会晤" (the BRICS summit) and "leaders' meeting" are cut out before the look-up. Such
a headline:

* is asked about its parties even where it names a summit (``conflicts``: Xi with Putin and
  Xi with Modi are two meetings, summit or not), and so are a summit headline's two or more
  leaders named without a meeting word, against it ("Putin and Xi at BRICS Summit" vs "Modi
  meets Xi on the sidelines"); two summit headlines without a meeting word stay unasked
  (session 10's "Xi and Trump at APEC summit" / "Lee Jae-myung welcomes Xi at APEC venue");
* gets no summit signature (``occurrence.same_disaster``): a meeting beside a summit is not
  the summit — two reports of one meeting still share its two people (``same_meeting``);
* conflicts with a headline that names a summit and fewer than two parties — the summit's
  own story ("BRICS summit adopts final declaration - Putin", "金砖国家领导人第十六次会晤在
  喀山举行"): :func:`candidates`, kind :data:`KIND`. An event holding both kinds of headline
  conflicts with neither.

A headline that names a summit and two parties without a meeting word ("Putin and Xi:
Strengthening Alliances at BRICS Summit") is neither: it may join either story.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container

#: The headline key of a meeting word (kind ``meet``, weight 0).
KEY = "meet:talks"
#: The conflict kind of a meeting's headline against a summit's own headline.
KIND = "sidelines"
_MEETING = "sidelines:meeting"
_SUMMIT_ONLY = "sidelines:summit"
_PARTIES = ("person:", "role:")

_EN = re.compile(
    r"\b(?:meets?|met|talks|bilateral|sidelines|margins|discuss(?:es|ed)?|handshake"
    r"|shak(?:e|es|ing)\s+hands|meeting)\b",
    re.IGNORECASE,
)
#: "meeting" after these is the summit's own name ("BRICS leaders' meeting", "G20 meeting").
_EN_NOT_MEETING = re.compile(
    r"\b(?:summit|leaders?'?|heads|brics|sco|g20|g7|asean|apec|cop\d*|plenary|ministerial)"
    r"\s+meeting\b",
    re.IGNORECASE,
)
_ZH = re.compile(r"会见|会谈|会面|晤|握手")
#: A summit's Chinese name: "金砖国家领导人第十六次会晤", "元首理事会会晤", "首脑非正式会晤"
#: (up to six characters between, no punctuation or space).
_ZH_SUMMIT_NAME = re.compile(r"(?:领导人|首脑|元首)[^，,。、：:|｜\s]{0,6}?会晤")


def keys(title: str) -> set[str]:
    """``{KEY}`` when a (Simplified-folded) headline holds a meeting word, else empty. The
    parties are counted by the caller's rules, not here."""
    zh = _ZH_SUMMIT_NAME.sub("", title)
    if _ZH.search(zh):
        return {KEY}
    en = _EN_NOT_MEETING.sub("", title)
    return {KEY} if _EN.search(en) else set()


def _parties(title_keys: Collection[str]) -> int:
    return sum(1 for k in title_keys if k.startswith(_PARTIES))


def reports_meeting(title_keys: Collection[str]) -> bool:
    """Whether headline keys report a meeting: two or more parties and a meeting word."""
    return KEY in title_keys and _parties(title_keys) >= 2


def candidates(title_keys: Collection[str], summits: Container[str]) -> frozenset[str]:
    """The :data:`KIND` conflict candidates of one headline: a meeting's, or a summit's own
    (a ``summits`` key and fewer than two parties); empty for any other headline."""
    if reports_meeting(title_keys):
        return frozenset((_MEETING,))
    if _parties(title_keys) < 2 and any(k in summits for k in title_keys):
        return frozenset((_SUMMIT_ONLY,))
    return frozenset()


def conflict(a: Collection[str], b: Collection[str]) -> bool:
    """Whether two sides' :func:`candidates` (an event's: the union over its headlines) are
    a meeting's and a summit's own: each side one kind, the two different."""
    return bool(a) and bool(b) and not any(x in b for x in a)
