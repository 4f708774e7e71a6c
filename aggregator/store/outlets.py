"""Store stage, outlets: the organisation behind one or more feeds (I/O: disk).

AP Top News and AP Politics are two feeds of one outlet, AP; every count a reader sees counts
outlets (``events.outlet_count``, the feeds, the page, ``explain``). A feed's outlet comes
from the OPML outline attributes ``outlet`` and ``country``; without them it is inferred from
the feed's site (``htmlUrl``, else the RSSHub route, else the feed URL): its registrable
domain (``apnews.com``, ``chinanews.com.cn``, ``bbc.co.uk``) names the outlet.

The registrable domain is found with a short built-in rule (the last two labels, three when
the second-level label is a generic one under a country code: ``com.cn``, ``co.uk``), not the
full Public Suffix List: enough for news sites, no download, no dependency.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Second-level labels that are public suffixes under a country code (com.cn, co.uk, …).
_GENERIC_SECOND_LEVEL = frozenset({"com", "net", "org", "gov", "edu", "co", "ac", "or", "ne"})
#: Hosts that only relay other outlets' feeds: never an outlet of their own.
_RELAY_HOSTS = frozenset({"rsshub.app", "feedburner.com", "feedproxy.google.com"})
#: Country implied by a country-code top-level domain (ISO 3166 alpha-2, upper case).
_CCTLD_COUNTRY = {
    "cn": "CN",
    "hk": "HK",
    "tw": "TW",
    "sg": "SG",
    "uk": "GB",
    "fr": "FR",
    "de": "DE",
    "jp": "JP",
    "kr": "KR",
    "au": "AU",
    "ca": "CA",
    "mo": "MO",
}


@dataclass(frozen=True)
class Outlet:
    id: int
    name: str
    country: str | None
    languages: tuple[str, ...]
    homepage: str | None
    feed_count: int = 0


def registrable_domain(url: str | None) -> str | None:
    """``https://www.scmp.com/rss/4/feed`` → ``scmp.com``; ``feeds.bbci.co.uk`` →
    ``bbci.co.uk``; None for a URL without a host name (or an IP address)."""
    host = (urlsplit(url or "").hostname or "").lower().rstrip(".")
    labels = [x for x in host.split(".") if x]
    if len(labels) < 2 or labels[-1].isdigit():
        return None
    n = (
        3
        if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _GENERIC_SECOND_LEVEL
        else 2
    )
    return ".".join(labels[-n:])


def inferred_outlet(
    site_url: str | None,
    feed_url: str,
    bridge_route: str | None = None,
    feed_title: str | None = None,
) -> tuple[str, str | None]:
    """``(name, country)`` for a feed without an ``outlet`` attribute; a feed on a bare IP
    address (a local test server, an intranet) is its own outlet, named by its title."""
    domain = registrable_domain(site_url)
    if domain is None or domain in _RELAY_HOSTS:
        domain = None
        if bridge_route:  # /apnews/topics/world-news → apnews
            first = bridge_route.strip("/").split("/", 1)[0]
            domain = first or None
    if domain is None:
        domain = registrable_domain(feed_url) or (feed_title or "").strip() or feed_url
    return domain, _CCTLD_COUNTRY.get(domain.rsplit(".", 1)[-1])


def assign_outlet(
    conn: sqlite3.Connection,
    feed_id: int,
    *,
    name: str | None,
    country: str | None,
    site_url: str | None,
    feed_url: str,
    bridge_route: str | None = None,
    feed_title: str | None = None,
) -> int:
    """Point ``feeds.outlet_id`` at the named (or inferred) outlet, creating it if new;
    returns the outlet id. A named outlet's country fills in a missing one, never the reverse."""
    inferred = not (name and name.strip())
    guess_name, guess_country = inferred_outlet(site_url, feed_url, bridge_route, feed_title)
    oname = guess_name if inferred else str(name).strip()
    ocountry = (country or "").strip().upper() or (guess_country if inferred else None)
    homepage = None
    if site_url:
        parts = urlsplit(site_url)
        homepage = f"{parts.scheme}://{parts.netloc}/" if parts.scheme and parts.netloc else None
    row = conn.execute("SELECT id FROM outlets WHERE name = ?", (oname,)).fetchone()
    if row:
        oid = int(row[0])
        conn.execute(
            "UPDATE outlets SET country = COALESCE(country, ?), homepage = COALESCE(homepage, ?)"
            " WHERE id = ?",
            (ocountry, homepage, oid),
        )
    else:
        cur = conn.execute(
            "INSERT INTO outlets (name, country, homepage, domain, inferred)"
            " VALUES (?, ?, ?, ?, ?)",
            (oname, ocountry, homepage, guess_name, int(inferred)),
        )
        oid = int(cur.lastrowid or 0)
    before = conn.execute("SELECT outlet_id FROM feeds WHERE id = ?", (feed_id,)).fetchone()
    conn.execute("UPDATE feeds SET outlet_id = ? WHERE id = ?", (oid, feed_id))
    _refresh_languages(conn, oid)
    if before is not None and before[0] is not None and before[0] != oid:
        _recount_feed_events(conn, feed_id)
        # a guessed outlet left without feeds (the OPML named the real one) goes
        conn.execute(
            "DELETE FROM outlets WHERE inferred = 1 AND NOT EXISTS"
            " (SELECT 1 FROM feeds f WHERE f.outlet_id = outlets.id)"
        )
    return oid


def _recount_feed_events(conn: sqlite3.Connection, feed_id: int) -> None:
    """The feed moved to another outlet: its events' outlet counts and names follow."""
    for (eid,) in conn.execute(
        "SELECT DISTINCT event_id FROM items WHERE feed_id = ? AND event_id IS NOT NULL",
        (feed_id,),
    ).fetchall():
        names = event_outlets(conn, eid)
        conn.execute(
            "UPDATE events SET outlet_count = ?, sources = ? WHERE id = ?",
            (len(names), outlets_json(names), eid),
        )


def _refresh_languages(conn: sqlite3.Connection, outlet_id: int) -> None:
    langs = sorted(
        {
            _lang_family(r[0])
            for r in conn.execute("SELECT lang FROM feeds WHERE outlet_id = ?", (outlet_id,))
            if r[0]
        }
    )
    conn.execute("UPDATE outlets SET languages = ? WHERE id = ?", (",".join(langs), outlet_id))


def _lang_family(tag: str) -> str:
    t = tag.strip().lower()
    return "zh" if t.startswith("zh") else t.split("-", 1)[0]


def feeds_without_outlet(conn: sqlite3.Connection) -> bool:
    return (
        conn.execute("SELECT 1 FROM feeds WHERE outlet_id IS NULL LIMIT 1").fetchone() is not None
    )


def backfill_outlets(conn: sqlite3.Connection) -> int:
    """Give every feed without an outlet its inferred one (a store made before outlets
    existed); then recount ``events.outlet_count`` of events never counted. Returns feeds
    assigned."""
    rows = conn.execute(
        "SELECT id, url, site_url, title FROM feeds WHERE outlet_id IS NULL"
    ).fetchall()
    for fid, url, site, title in rows:
        assign_outlet(
            conn, fid, name=None, country=None, site_url=site, feed_url=url, feed_title=title
        )
    if rows:
        conn.execute(
            "UPDATE events SET outlet_count = (SELECT COUNT(DISTINCT COALESCE(f.outlet_id,"
            " -f.id)) FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.event_id = events.id)"
            " WHERE outlet_count = 0"
        )
    return len(rows)


#: SQL for the outlet name shown for a member's feed (``f``) and outlet (``o``): an outlet
#: inferred from a bare feed URL (IP host, no title when added) shows the feed's title.
OUTLET_NAME_SQL = (
    "CASE WHEN o.id IS NULL OR (o.inferred = 1 AND o.name = f.url)"
    " THEN COALESCE(f.title, f.url) ELSE o.name END"
)


def event_outlets(conn: sqlite3.Connection, event_id: int) -> list[str]:
    """Names of the distinct outlets among all members of the event (duplicates included:
    a duplicate is one more outlet carrying the story)."""
    return sorted(
        {
            str(r[0])
            for r in conn.execute(
                f"SELECT {OUTLET_NAME_SQL} FROM items i"
                " JOIN feeds f ON f.id = i.feed_id LEFT JOIN outlets o ON o.id = f.outlet_id"
                " WHERE i.event_id = ?",
                (event_id,),
            )
        }
    )


def outlets_json(names: list[str]) -> str:
    return json.dumps(names, ensure_ascii=False)


def outlet_names(conn: sqlite3.Connection) -> dict[int, str]:
    """outlet id → name (with its country), for listings."""
    return {
        int(r[0]): f"{r[1]} ({r[2]})" if r[2] else str(r[1])
        for r in conn.execute("SELECT id, name, country FROM outlets")
    }
