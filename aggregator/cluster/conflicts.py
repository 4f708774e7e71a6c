"""Cluster stage, evidence half: which headline keys keep two reports apart (pure, no I/O).

Two headlines conflict where each names something of one exclusive kind the other side never
mentions (two countries, two central banks, two companies' results, two magnitudes, two
disaster days, two regions of one country under a disaster or a local incident, one person's
two meetings, two named storms), or where one reports a meeting and the other a summit's own
story (``sidelines``). Moved out of ``evidence`` (which extracts the keys and re-exports
these names) in session 10.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container, Iterable, Mapping

from aggregator.cluster import datekeys, incidents, perpetrators, places, roles, sidelines, storms
from aggregator.cluster.occurrence import DISASTERS, SUMMITS

#: Kinds whose disagreement between two headlines signals two different events (see
#: :func:`conflicts`). Chosen on the fixture negatives: quake Japan vs quake Myanmar (country),
#: Fed vs ECB on one day (central_bank), US–China talks in Geneva vs Stockholm (city); and on
#: WMT21, headline figures that disagree (414,000 Florida cases vs 16 million worldwide; num,
#: weighed lower). Topics, people and organisations co-occur too freely to conflict.
CONFLICT_KINDS = ("country", "central_bank", "city", "num", "company")

#: The prefix of a person's country key (``evidence`` adds one per ``person:`` key).
STANDS = "stands:"

#: Headline figures below this never conflict: magnitudes differ by agency (Hualien: 7.2 CWA,
#: 7.3 CENC, 7.4 USGS) and rates are better told apart by the central bank's name.
MIN_CONFLICT_NUMBER = 10.0


#: A headline figure like ``7.7`` (one digit, one decimal: an earthquake's magnitude, whatever
#: the words around it) conflicts with another only when every such pair differs by more
#: than MAGNITUDE_TOLERANCE: agencies disagree by up to 0.4 on one quake (Hualien 7.2 CWA,
#: 7.3 CENC, 7.4 USGS; Noto 7.4 / 7.5 / 7.6), two quakes of one week rarely lie that close
#: (kind "mag"; a figure below MIN_CONFLICT_NUMBER conflicted never before).
_MAGNITUDE = re.compile(r"num:[1-9]\.[0-9]")
MAGNITUDE_TOLERANCE = 0.5
#: A great earthquake's first magnitude is low: early estimates saturate near 8 and are
#: revised upward within hours (Kamchatka 2025: JMA 8.0, then 8.7 and USGS 8.8; Tōhoku 2011:
#: 7.9 → 8.8 → 9.0; Chile 2010: 8.3 → 8.8). Where either figure is GREAT_MAGNITUDE or more,
#: two figures conflict only beyond GREAT_TOLERANCE (a foreshock or aftershock of such a
#: quake still differs by more: Kamchatka's 7.4 foreshock, its 6.9 aftershock).
GREAT_MAGNITUDE = 8.0
GREAT_TOLERANCE = 1.0


def is_magnitude(key: str) -> bool:
    """Whether ``key`` is a magnitude-like figure (``num:7.2``: one digit, one decimal)."""
    return _MAGNITUDE.fullmatch(key) is not None


def _magnitudes_conflict(
    a: Collection[str], item_all: Container[str], b: Collection[str], event_all: Container[str]
) -> bool:
    if any(k in event_all for k in a) or any(k in item_all for k in b):
        return False  # one side states the other's figure: the same quake, re-measured
    va, vb = [float(k[4:]) for k in a], [float(k[4:]) for k in b]
    return all(abs(x - y) > _tolerance(x, y) for x in va for y in vb)


def _tolerance(x: float, y: float) -> float:
    return GREAT_TOLERANCE if max(x, y) >= GREAT_MAGNITUDE else MAGNITUDE_TOLERANCE


def _can_conflict(key: str) -> bool:
    if not key.startswith("num:"):
        return True
    v = key[4:]
    if not v[-1:].isdigit():
        return False  # percentages and percentage points
    try:
        return float(v) >= MIN_CONFLICT_NUMBER
    except ValueError:  # pragma: no cover - keys come from _fmt
        return False


_CONFLICT_KIND_SET = frozenset(CONFLICT_KINDS)
#: The company kind: its headline keys may conflict only under a ``business:`` key (results,
#: shares, a deal, a recall…: the company is the story's subject), and only when neither side
#: names any of the other's companies anywhere (one named in passing, in either headline or
#: lead, makes them one story's): Micron's results vs Nike's, not "Nvidia rises after Micron".
COMPANY = "company"
_COMPANY = "company:"
_BUSINESS = "business:"
_PERSON = "person:"
#: The conflict kind of two meetings of one person with two others (``roles.two_meetings``):
#: the parties (people, offices) of a headline naming two or more and no summit.
MEETING_KIND = "meeting"
#: A summit headline's parties named without a meeting word (session 12): asked only
#: against a side with MEETING_KIND parties (see :func:`conflicts_between`).
MEETING_AT_SUMMIT = "meeting_at_summit"
#: The conflict kind of magnitude-like headline figures (see _MAGNITUDE).
MAGNITUDE_KIND = "mag"
#: The conflict kind of two storms named in two headlines (session 12): Trami's toll in
#: Luzon and Kong-rey's landfall in Taiwan a week later are two events, though both are
#: typhoons with floods, landslides and tolls. Like a country: each headline names a storm
#: the other side never mentions (headline or lead: "Kong-rey entered as Trami left" is
#: no conflict).
STORM_KIND = "storm"


def conflict_candidates(
    title_keys: Collection[str], all_keys: Iterable[str] = ()
) -> dict[str, frozenset[str]]:
    """Exclusive kind → the headline keys of that kind that may conflict (see
    :func:`conflicts`), plus, under a disaster headline, the dates stated anywhere in
    ``all_keys`` (headline and lead: kind ``datekeys.DATE_KIND``; a disaster happens on one
    day, where rate, trade and policy stories are full of scheduled days). Computed once per
    item or kept up to date per event by the caller."""
    out: dict[str, set[str]] = {}
    for k in title_keys:
        kind = k.split(":", 1)[0]
        if kind == "stands":  # a person's country: a country of the headline
            out.setdefault("country", set()).add("country:" + k[len(STANDS) :])
        elif kind == COMPANY:
            pass  # below: only under the words of a company story
        elif kind in _CONFLICT_KIND_SET and _can_conflict(k):
            out.setdefault(kind, set()).add(k)
        elif kind == "num" and is_magnitude(k):
            out.setdefault(MAGNITUDE_KIND, set()).add(k)
    cos = {k for k in title_keys if k.startswith(_COMPANY)}
    if cos and any(k.startswith(_BUSINESS) for k in title_keys):
        out[COMPANY] = cos
    # The parties of a meeting: people, and offices named without a name ("匈牙利总统",
    # ``roles``; session 11); under a summit only where the headline reports a meeting (a
    # meeting word: ``sidelines``, session 12).
    # A summit headline's parties without a meeting word are asked only against a headline
    # that reports a meeting (kind MEETING_AT_SUMMIT): "Putin and Xi at BRICS Summit" vs
    # "Modi meets Xi on the sidelines".
    people = {k for k in title_keys if k.startswith((_PERSON, roles.PREFIX))}
    if len(people) >= 2:
        if sidelines.reports_meeting(title_keys) or not any(k in SUMMITS for k in title_keys):
            out[MEETING_KIND] = people
        else:
            out[MEETING_AT_SUMMIT] = people
    if side := sidelines.candidates(title_keys, SUMMITS):
        out[sidelines.KIND] = set(side)
    # Two named storms (session 12): the basins' international names only (``storms.
    # listed``) — a local name (PAGASA's "Kristine" for Trami) or a Chinese name the table
    # lacks is another key of the same storm.
    if named := {k for k in title_keys if storms.listed(k)}:
        out[STORM_KIND] = named
    # A disaster's or a local incident's headline regions (session 12: a shooting, a stabbing,
    # an explosion): two regions of one country — two towns of one county — are two events.
    disaster = any(k in DISASTERS for k in title_keys)
    local = disaster or incidents.is_local_incident(title_keys)
    if local and (regions := places.headline_regions(title_keys)):
        out[places.KIND] = set(regions)
    if not disaster and local:  # a perpetrator's age, a repeat (session 13, ``perpetrators``)
        out.update((k, set(v)) for k, v in perpetrators.candidates(title_keys).items())
    if disaster and (stated := {k for k in all_keys if k.startswith(datekeys.DATE_PREFIX)}):
        out[datekeys.DATE_KIND] = stated
    return {kind: frozenset(v) for kind, v in out.items()}


def conflicts_between(
    item_cands: Mapping[str, Collection[str]],
    item_all: Container[str],
    event_cands: Mapping[str, Collection[str]],
    event_all: Container[str],
) -> list[str]:
    """:func:`conflicts` on precomputed :func:`conflict_candidates` of both headlines; the
    ``*_all`` arguments only need membership tests, so an event's growing key sets can be
    passed as they are (no per-item copy)."""
    out = []
    for kind in CONFLICT_KINDS:
        a = item_cands.get(kind)
        if not a:
            continue
        b = event_cands.get(kind)
        if not b:
            continue
        if kind == "country":
            if any(_unnamed(k, event_all) for k in a) and any(_unnamed(k, item_all) for k in b):
                out.append(kind)
        elif kind == COMPANY:
            if all(k not in event_all for k in a) and all(k not in item_all for k in b):
                out.append(kind)
        elif any(k not in event_all for k in a) and any(k not in item_all for k in b):
            out.append(kind)
    a, b = item_cands.get(MAGNITUDE_KIND), event_cands.get(MAGNITUDE_KIND)
    if a and b and _magnitudes_conflict(a, item_all, b, event_all):
        out.append(MAGNITUDE_KIND)
    a, b = item_cands.get(MEETING_KIND), event_cands.get(MEETING_KIND)
    if a or b:  # one side at least reports a meeting (or names its parties, no summit)
        a_all = _union(a, item_cands.get(MEETING_AT_SUMMIT))
        b_all = _union(b, event_cands.get(MEETING_AT_SUMMIT))
        if a_all and b_all and roles.two_meetings(a_all, b_all):
            out.append(MEETING_KIND)
    a, b = item_cands.get(sidelines.KIND), event_cands.get(sidelines.KIND)
    if a and b and sidelines.conflict(a, b):
        out.append(sidelines.KIND)
    a, b = item_cands.get(STORM_KIND), event_cands.get(STORM_KIND)
    if a and b and any(k not in event_all for k in a) and any(k not in item_all for k in b):
        out.append(STORM_KIND)
    a, b = item_cands.get(datekeys.DATE_KIND), event_cands.get(datekeys.DATE_KIND)
    if a and b and datekeys.dates_conflict(a, b):
        out.append(datekeys.DATE_KIND)
    a, b = item_cands.get(places.KIND), event_cands.get(places.KIND)
    if a and b and places.regions_conflict(a, item_all, b, event_all):
        out.append(places.KIND)
    a, b = item_cands.get(perpetrators.AGE_KIND), event_cands.get(perpetrators.AGE_KIND)
    if a and b and perpetrators.ages_conflict(a, b):
        out.append(perpetrators.AGE_KIND)
    x, y = item_cands.get(perpetrators.AGAIN_KIND), event_cands.get(perpetrators.AGAIN_KIND)
    if (x and b and perpetrators.recalls(x, b)) or (y and a and perpetrators.recalls(y, a)):
        out.append(perpetrators.AGAIN_KIND)
    return out


def _union(a: Collection[str] | None, b: Collection[str] | None) -> Collection[str]:
    if not a:
        return b or ()
    return set(a) | set(b) if b else a


def _unnamed(country: str, keys: Container[str]) -> bool:
    """Whether ``keys`` never name ``country`` (a ``country:`` key): neither directly nor
    through a person who stands for it."""
    return country not in keys and STANDS + country[8:] not in keys


def conflicts(
    item_title: frozenset[str],
    item_all: frozenset[str],
    event_title: frozenset[str],
    event_all: frozenset[str],
) -> list[str]:
    """Exclusive kinds where each side's headline names something the other side never
    mentions: "EU deal" vs "US–China talks in Stockholm" (country: eu / china), "Fed" vs
    "ECB". One-sided novelty is no conflict ("Bessent: talks with China" joins "US, China
    talks"), and a place named only in one lead is not either."""
    return conflicts_between(
        conflict_candidates(item_title, item_all),
        item_all,
        conflict_candidates(event_title, event_all),
        event_all,
    )
