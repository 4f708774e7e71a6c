"""Store stage, subscriptions: the feeds table as the subscription list sees it, and the
writes that keep it in step with ``feeds.opml`` (I/O: the database file).

Callers: :mod:`aggregator.pipeline.subscriptions` (sync), ``aggregator feeds`` (list, export,
check). Unsubscribing never deletes: the feed row is disabled and marked, its items stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aggregator.store.core import Store, utc_iso
from aggregator.store.outlets import assign_outlet

#: ``feeds.disabled_reason`` of a feed whose outline left feeds.opml.
UNSUBSCRIBED_REASON = "unsubscribed: not in feeds.opml"


@dataclass(frozen=True)
class SubscribedFeed:
    """One row of ``feeds`` with what the subscription list and its checks need."""

    id: int
    url: str
    subscribed_url: str
    title: str | None
    site_url: str | None
    lang: str | None
    timezone: str | None
    bridged: str | None
    bridge_route: str | None
    category: str | None
    disabled: bool
    disabled_reason: str | None
    unsubscribed_at: str | None
    last_status: int | None
    last_error: str | None
    error_count: int
    last_fetched_at: str | None
    last_success_at: str | None
    #: The outlet as the OPML named it (an inferred outlet is not written back as named).
    outlet: str | None = None
    country: str | None = None

    @property
    def subscribed(self) -> bool:
        return self.unsubscribed_at is None


@dataclass(frozen=True)
class FeedFields:
    """What feeds.opml says about a feed (written on add, refresh and rebase)."""

    title: str | None
    site_url: str | None
    lang: str | None
    timezone: str | None
    bridged: str | None
    bridge_route: str | None
    category: str | None
    #: The outlet behind the feed (OPML ``outlet``/``country``); inferred when absent.
    outlet: str | None = None
    country: str | None = None


_COLUMNS = (
    "id, url, subscribed_url, title, site_url, lang, timezone, bridged, bridge_route, category,"
    " disabled, disabled_reason, unsubscribed_at, last_status, last_error, error_count,"
    " last_fetched_at, last_success_at,"
    " (SELECT name FROM outlets o WHERE o.id = feeds.outlet_id AND o.inferred = 0),"
    " (SELECT country FROM outlets o WHERE o.id = feeds.outlet_id AND o.inferred = 0)"
)


def subscribed_feeds(store: Store, *, include_unsubscribed: bool = True) -> list[SubscribedFeed]:
    """Every feed row in id order (unsubscribed ones too unless told otherwise)."""
    sql = f"SELECT {_COLUMNS} FROM feeds"
    if not include_unsubscribed:
        sql += " WHERE unsubscribed_at IS NULL"
    out = []
    for r in store.conn.execute(sql + " ORDER BY id"):
        v = list(r)
        v[10] = bool(v[10])
        out.append(SubscribedFeed(*v))
    return out


def _set_fields(store: Store, feed_id: int, f: FeedFields) -> None:
    store.conn.execute(
        "UPDATE feeds SET title = COALESCE(?, title), site_url = COALESCE(?, site_url),"
        " lang = COALESCE(?, lang), timezone = COALESCE(?, timezone), bridged = ?,"
        " bridge_route = ?, category = ? WHERE id = ?",
        (f.title, f.site_url, f.lang, f.timezone, f.bridged, f.bridge_route, f.category, feed_id),
    )
    _set_outlet(store, feed_id, f)


def _set_outlet(store: Store, feed_id: int, f: FeedFields) -> None:
    """The feed's outlet: as the OPML names it, else inferred from its site; a named outlet
    is never un-named by a guess. Every sync refreshes every outline: an outlet already as
    the OPML says costs this one query."""
    row = store.conn.execute(
        "SELECT f.outlet_id, f.url, f.site_url, f.title, o.name, o.country, o.inferred"
        " FROM feeds f LEFT JOIN outlets o ON o.id = f.outlet_id WHERE f.id = ?",
        (feed_id,),
    ).fetchone()
    if row is None or not (f.outlet or f.country or row[0] is None):
        return
    named, country, inferred = row[4], row[5], row[6]
    if (f.outlet and not inferred and named == f.outlet.strip()
            and (not f.country or (country or "") == f.country.strip().upper())):  # fmt: skip
        return
    assign_outlet(store.conn, feed_id, name=f.outlet, country=f.country,
                  site_url=f.site_url or row[2], feed_url=row[1], bridge_route=f.bridge_route,
                  feed_title=f.title or row[3])  # fmt: skip


def insert_subscription(store: Store, url: str, f: FeedFields, now: datetime) -> int:
    """A new feed row, due at once; returns its id."""
    t = utc_iso(now)
    cur = store.conn.execute(
        "INSERT INTO feeds (url, subscribed_url, title, site_url, lang, timezone, bridged,"
        " bridge_route, category, next_check_at, added_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (url, url, f.title, f.site_url, f.lang, f.timezone, f.bridged, f.bridge_route,
         f.category, t, t),
    )  # fmt: skip
    feed_id = int(cur.lastrowid or 0)
    _set_outlet(store, feed_id, f)
    return feed_id


def refresh_subscription(store: Store, feed_id: int, f: FeedFields, now: datetime) -> None:
    """Metadata from the OPML; a feed that had been unsubscribed is subscribed again."""
    _set_fields(store, feed_id, f)
    store.conn.execute(
        "UPDATE feeds SET unsubscribed_at = NULL, disabled = 0, disabled_reason = NULL,"
        " next_check_at = ? WHERE id = ? AND unsubscribed_at IS NOT NULL",
        (utc_iso(now), feed_id),
    )


def rebase_subscription(store: Store, feed_id: int, url: str, f: FeedFields, now: datetime) -> None:
    """Move a bridged feed to its URL under a new bridge base, in place: same row, same
    items; the old base's validators, errors and back-off go (they described another server)."""
    _set_fields(store, feed_id, f)
    store.conn.execute(
        "UPDATE feeds SET url = ?, subscribed_url = ?, etag = NULL, last_modified = NULL,"
        " last_body_hash = NULL, entry_fingerprints = NULL, redirect_url = NULL,"
        " redirect_count = 0, error_count = 0, first_error_at = NULL, last_error = NULL,"
        " last_status = NULL, interval_s = NULL, schedule_reason = NULL, disabled = 0,"
        " disabled_reason = NULL, unsubscribed_at = NULL, next_check_at = ? WHERE id = ?",
        (url, url, utc_iso(now), feed_id),
    )


def unsubscribe(store: Store, feed_id: int, now: datetime) -> None:
    """Stop polling a feed whose outline is gone; its items and events stay."""
    store.conn.execute(
        "UPDATE feeds SET disabled = 1, disabled_reason = ?,"
        " unsubscribed_at = COALESCE(unsubscribed_at, ?) WHERE id = ?",
        (UNSUBSCRIBED_REASON, utc_iso(now), feed_id),
    )
