"""Cluster stage: dates stated in reports as evidence against a merge (pure, no I/O).

``evidence.dates`` turns "9月30日", "Sept 30" and "30 September" into ``date:09-30`` keys.
Reports of one occurrence state its day (and the days of its follow-ups); two reports whose
stated days lie far apart report two occurrences of the same kind — the point of the
``date`` conflict kind that ``evidence.conflicts_between`` reports.
"""

from __future__ import annotations

from collections.abc import Collection

#: The conflict kind of stated dates (see :func:`dates_conflict`).
DATE_KIND = "date"
DATE_PREFIX = "date:"
#: Two reports whose stated dates (``date:MM-DD`` keys of headline or lead) are all more than
#: this many days apart report different occurrences: the Cebu quake of Sep 30 and the Davao
#: quake of Oct 10, the Fed's September and December cuts. A follow-up within the week (a
#: toll on day 4, a rescue on day 6) may state only its own day and still joins.
DATE_TOLERANCE_DAYS = 7
_MONTH_START = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)


def _day_of_year(key: str) -> int:
    month, day = int(key[5:7]), int(key[8:10])
    return _MONTH_START[month - 1] + day


def dates_conflict(a: Collection[str], b: Collection[str]) -> bool:
    """Whether every date stated on one side lies more than :data:`DATE_TOLERANCE_DAYS` from
    every date stated on the other (month-day keys, no year: distances wrap at the year's
    end, so Dec 30 and Jan 2 are three days apart)."""
    for x in map(_day_of_year, a):
        for y in map(_day_of_year, b):
            d = abs(x - y)
            if min(d, 365 - d) <= DATE_TOLERANCE_DAYS:
                return False
    return True
