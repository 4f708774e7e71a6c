"""Cluster stage: ``region:`` evidence keys from the sub-national gazetteer (``regions``) and
the rule by which two disaster headlines naming different regions of one country conflict
(pure, no I/O; the tables are built once per process at import).

The gazetteer's aliases are matched by ``evidence.names`` as the alias table's kind
``region`` (``aliases`` merges them in), so a Latin region alias takes part in the one
longest-first regex ("New Mexico" before "Mexico", "British Columbia" before "British") and a
Chinese one in the substring scan. This module adds what the alias table's rules do not know:

* :data:`LATIN_SHADOWS` / :func:`han_shadows`: ``regions.SHADOWED`` strings, inside which an
  alias names no region (河南 in 黄河南岸, "Mississippi River").
* :func:`expand`: a region key brings its ancestors (``regions.PARENT``: 梅州 → 广东, so a city's
  and its province's reports share a key) and the country it lies in, as a ``stands:`` key
  (``evidence.STANDS``: weight 0, a country of the headline for conflicts only, as a
  person's country is): a Cebu quake is a quake in the Philippines and conflicts with a quake
  in Japan, without adding weight to every story that names a US state. A name under two
  regions (``regions.DUPLICATES``: Punjab, Kashmir) keeps the twin whose country the same
  text names, else both, implying no country.
* :func:`regions_conflict`: two disaster headlines naming regions of one country, neither
  named anywhere by the other side (the region or one of its ancestors): a Cebu quake and a
  Davao quake are two stories; a Meizhou flood and a Guangdong flood are not told apart.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Container, Iterable

from aggregator.cluster.regions import DUPLICATES, PARENT, REGIONS, SHADOWED

#: The evidence kind and key prefix.
KIND = "region"
PREFIX = KIND + ":"
#: Gazetteer country ids that the alias table spells otherwise (its ``gaza`` id carries
#: "Palestine", "West Bank" and 约旦河西岸).
_COUNTRY_ID = {"palestine": "gaza"}

_HAN = re.compile(r"[\u4e00-\u9fff]")


def _lineage(rid: str) -> tuple[str, ...]:
    out = [rid]
    while rid in PARENT:
        rid = PARENT[rid]
        out.append(rid)
    return tuple(out)


#: ``region:`` key → the keys it brings: itself and its ancestors.
LINEAGE: dict[str, tuple[str, ...]] = {
    PREFIX + rid: tuple(PREFIX + r for r in _lineage(rid)) for rid in REGIONS
}
#: ``region:`` key → the ``country:`` key of the country it lies in.
COUNTRY_OF: dict[str, str] = {
    PREFIX + rid: "country:" + _COUNTRY_ID.get(cid, cid) for rid, (cid, _) in REGIONS.items()
}
#: ``region:`` key → the ``stands:`` key of that country (``evidence.STANDS``: weight 0, a
#: country of the headline for conflicts only, as a person's country is).
STANDS_OF: dict[str, str] = {k: "stands:" + c[len("country:") :] for k, c in COUNTRY_OF.items()}


def _twins() -> dict[str, str]:
    """``region:`` key → the key of the other region that shares a DUPLICATES name."""
    owners: dict[str, list[str]] = {}
    for rid, (_, aliases) in REGIONS.items():
        for a in aliases:
            if a in DUPLICATES:
                owners.setdefault(a, []).append(PREFIX + rid)
    out: dict[str, str] = {}
    for a, b in (pair for pair in owners.values() if len(pair) == 2):
        out[a], out[b] = b, a
    return out


_TWIN = _twins()

#: Latin SHADOWED strings → the alias they hold ("Mississippi River" → "Mississippi").
LATIN_SHADOWS: dict[str, str] = {
    s: alias for alias, shadows in SHADOWED.items() if not _HAN.search(alias) for s in shadows
}
_HAN_SHADOWS: dict[str, tuple[str, ...]] = {
    alias: shadows for alias, shadows in SHADOWED.items() if _HAN.search(alias)
}


def han_shadows(alias: str, text: str) -> list[str]:
    """The SHADOWED strings of a Chinese region ``alias`` that occur in ``text``."""
    return [s for s in _HAN_SHADOWS.get(alias, ()) if s in text]


def expand(keys: set[str]) -> None:
    """Add to ``keys`` (one text's alias keys) the ancestors and the country of each region
    key; of two DUPLICATES twins keep the one whose country ``keys`` names (both, implying
    no country, when it names neither or both)."""
    found = [k for k in keys if k.startswith(PREFIX)]
    if not found:
        return
    named = frozenset(found)  # decided on the text's own keys, never on the loop's order
    for k in found:
        twin = _TWIN.get(k)
        if twin is None:
            continue
        if twin not in named:
            keys.add(STANDS_OF[k])
            continue
        mine, theirs = COUNTRY_OF[k] in keys, COUNTRY_OF[twin] in keys
        if theirs and not mine:
            keys.discard(k)
    for k in [k for k in keys if k.startswith(PREFIX)]:
        keys.update(LINEAGE[k])
        if k not in _TWIN:
            keys.add(STANDS_OF[k])


def headline_regions(title_keys: Iterable[str]) -> frozenset[str]:
    """The ``region:`` keys of a headline (the candidates of :func:`regions_conflict`)."""
    return frozenset(k for k in title_keys if k.startswith(PREFIX))


def regions_conflict(
    a: Collection[str], item_all: Container[str], b: Collection[str], event_all: Container[str]
) -> bool:
    """Whether, for some country, the item's headline names a region of it that the event
    never names (headline or lead, the region or as an ancestor of one it names) and the
    event's headlines name one the item never names. Regions of different countries never
    conflict here (the countries they imply do, unless one occurrence spans both)."""
    for k in a:
        if k in event_all:
            continue
        country = COUNTRY_OF[k]
        if any(COUNTRY_OF[j] == country and j not in item_all for j in b):
            return True
    return False
