"""Store stage, the ``feeds`` table: subscriptions, their credentials and outlets, the poll
schedule and each poll's outcome (I/O: disk). Mixed into :class:`aggregator.store.core.Store`,
whose connection and transactions it uses."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aggregator.models import FeedRecord
from aggregator.store.credentials import CredentialFile, split_credentials
from aggregator.store.outlets import assign_outlet
from aggregator.store.records import FeedPollState, utc_iso
from aggregator.store.sqldb import Database

log = logging.getLogger("aggregator.store.core")


class FeedTable:
    """The ``feeds`` methods of the store."""

    conn: sqlite3.Connection
    db: Database
    credentials: CredentialFile

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        raise NotImplementedError  # the Store's

    def _rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        raise NotImplementedError  # the Store's

    def add_feed(
        self,
        url: str,
        *,
        now: datetime,
        title: str | None = None,
        site_url: str | None = None,
        lang: str | None = None,
        timezone: str | None = None,
        bridged: str | None = None,
        outlet: str | None = None,
        country: str | None = None,
        bridge_route: str | None = None,
    ) -> int:
        """Insert a subscription or refresh its metadata (its outlet too: named, else inferred
        from its site, see :mod:`aggregator.store.outlets`); returns the feed id. Credentials
        in the URL (``user:pass@``) go to :attr:`credentials`, never into the table."""
        url, creds = split_credentials(url)
        with self.transaction():
            fid = self._upsert_feed(url, now, title, site_url, lang, timezone, bridged)
            has = self.conn.execute("SELECT outlet_id FROM feeds WHERE id = ?", (fid,)).fetchone()
            if outlet or country or has[0] is None:  # a named outlet is never un-named by a guess
                assign_outlet(
                    self.conn, fid, name=outlet, country=country, site_url=site_url,
                    feed_url=url, bridge_route=bridge_route, feed_title=title,
                )
        if creds is not None:
            self.credentials.set(fid, creds)
        return fid

    def _upsert_feed(
        self,
        url: str,
        now: datetime,
        title: str | None,
        site_url: str | None,
        lang: str | None,
        timezone: str | None,
        bridged: str | None,
    ) -> int:
        row = self.conn.execute(
            "SELECT id FROM feeds WHERE subscribed_url = ? OR url = ?", (url, url)
        ).fetchone()
        if row:
            self.db.execute(
                "UPDATE feeds SET title = COALESCE(?, title), site_url = COALESCE(?, site_url),"
                " lang = COALESCE(?, lang), timezone = COALESCE(?, timezone), bridged = ?"
                " WHERE id = ?",
                (title, site_url, lang, timezone, bridged, row[0]),
            )
            return int(row[0])
        cur = self.db.execute(
            "INSERT INTO feeds (url, subscribed_url, title, site_url, lang, timezone, bridged,"
            " next_check_at, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (url, url, title, site_url, lang, timezone, bridged, utc_iso(now), utc_iso(now)),
        )
        return int(cur.lastrowid or 0)

    def remove_feed(self, url_or_id: str) -> bool:
        url_or_id = split_credentials(url_or_id)[0]
        where = "url = ? OR subscribed_url = ? OR CAST(id AS TEXT) = ?"
        args = (url_or_id, url_or_id, url_or_id)
        ids = [r[0] for r in self.conn.execute(f"SELECT id FROM feeds WHERE {where}", args)]
        cur = self.db.execute(f"DELETE FROM feeds WHERE {where}", args)
        self.credentials.remove(ids)
        return cur.rowcount > 0

    def move_url_credentials(self) -> int:
        """Move ``user:pass@`` out of stored feed URLs (stores written before credentials
        were kept apart) into :attr:`credentials`; returns how many feeds changed."""
        rows = self.conn.execute(
            "SELECT id, url, subscribed_url, redirect_url FROM feeds"
            " WHERE url LIKE '%@%' OR subscribed_url LIKE '%@%' OR redirect_url LIKE '%@%'"
        ).fetchall()
        moved = 0
        for fid, url, subscribed, redirect in rows:
            clean, creds = split_credentials(url)
            clean_sub, sub_creds = split_credentials(subscribed)
            clean_redirect = split_credentials(redirect)[0] if redirect else redirect
            creds = creds or sub_creds
            if (clean, clean_sub, clean_redirect) == (url, subscribed, redirect):
                continue
            if creds is not None:
                self.credentials.set(fid, creds)
            try:
                with self.transaction():
                    self.db.execute(
                        "UPDATE feeds SET url = ?, subscribed_url = ?, redirect_url = ?"
                        " WHERE id = ?",
                        (clean, clean_sub, clean_redirect, fid),
                    )
            except sqlite3.IntegrityError:
                # The same feed is also subscribed without credentials: keep that one.
                log.warning("feed %d duplicates another once its credentials are removed:"
                            " removing it", fid)  # fmt: skip
                self.db.execute("DELETE FROM feeds WHERE id = ?", (fid,))
            moved += 1
        return moved

    def set_feed_enabled(self, url_or_id: str, enabled: bool, *, now: datetime) -> bool:
        url_or_id = split_credentials(url_or_id)[0]
        cur = self.db.execute(
            "UPDATE feeds SET disabled = ?, disabled_reason = NULL, error_count = 0,"
            " first_error_at = NULL, next_check_at = ? WHERE url = ? OR subscribed_url = ? OR"
            " CAST(id AS TEXT) = ?",
            (0 if enabled else 1, utc_iso(now), url_or_id, url_or_id, url_or_id),
        )
        return cur.rowcount > 0

    def feeds(self, *, include_disabled: bool = True) -> list[dict[str, Any]]:
        sql = "SELECT * FROM feeds"
        if not include_disabled:
            sql += " WHERE disabled = 0"
        return self._rows(sql + " ORDER BY id")

    def feed(self, feed_id: int) -> FeedRecord:
        row = self._rows("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        if not row:
            raise KeyError(feed_id)
        return self._with_credentials(feed_record(row[0]))

    def _with_credentials(self, feed: FeedRecord) -> FeedRecord:
        creds = self.credentials.get(feed.id, feed.url)
        return dataclasses.replace(feed, credentials=creds) if creds is not None else feed

    def due_feeds(
        self, now: datetime, *, per_host_cap: int, limit: int = 10_000,
        skip_host: Callable[[str], bool] | None = None,
    ) -> list[FeedRecord]:  # fmt: skip
        """Feeds whose ``next_check_at`` has passed, oldest first, at most ``per_host_cap``
        per host (so one host's 200 feeds do not fill a tick), none of a host for which
        ``skip_host`` says so (the daemon: a host whose Retry-After has not passed)."""
        rows = self._rows(
            "SELECT * FROM feeds WHERE disabled = 0 AND (next_check_at IS NULL OR"
            " next_check_at <= ?) ORDER BY next_check_at LIMIT ?",
            (utc_iso(now), limit * 4),
        )
        per_host: dict[str, int] = {}
        out: list[FeedRecord] = []
        for r in rows:
            host = _host(r["url"])
            if per_host.get(host, 0) >= per_host_cap or (skip_host and skip_host(host)):
                continue
            per_host[host] = per_host.get(host, 0) + 1
            out.append(self._with_credentials(feed_record(r)))
            if len(out) >= limit:
                break
        return out

    def save_poll_state(self, feed_id: int, state: FeedPollState) -> None:
        """Write a feed's row after one poll (:func:`aggregator.pipeline.plan.plan_feed_state`)."""
        self._update_feed(feed_id, state.columns())

    def set_id_policy(self, feed_id: int, policy: str) -> None:
        """Switch how the feed's entries are identified (sticky: broken GUIDs)."""
        self._update_feed(feed_id, {"id_policy": policy})

    def _update_feed(self, feed_id: int, cols: dict[str, object]) -> None:
        if not cols:
            return
        sets = ", ".join(f"{k} = ?" for k in cols)
        self.db.execute(f"UPDATE feeds SET {sets} WHERE id = ?", (*cols.values(), feed_id))

    def feed_url_taken(self, url: str) -> bool:
        return self.conn.execute("SELECT 1 FROM feeds WHERE url = ?", (url,)).fetchone() is not None

    def record_fetch(self, feed_id: int, **fields: Any) -> None:
        cols = ["feed_id", *fields]
        self.db.execute(
            f"INSERT INTO fetches ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            (feed_id, *fields.values()),
        )

    def guid_by_link(self, feed_id: int, limit: int = 500) -> dict[str, str]:
        """Link → stored GUID for the feed's recent items (GUID-policy history)."""
        return {
            r[0]: r[1]
            for r in self.conn.execute(
                "SELECT url, guid FROM items WHERE feed_id = ? AND url IS NOT NULL"
                " ORDER BY id DESC LIMIT ?",
                (feed_id, limit),
            )
        }

    def recent_publish_times(self, feed_id: int, limit: int = 20) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT COALESCE(published_at, fetched_at) AS t FROM items WHERE feed_id = ?"
                " ORDER BY id DESC LIMIT ?",
                (feed_id, limit),
            )
        ]



def feed_record(r: dict[str, Any]) -> FeedRecord:
    return FeedRecord(
        id=r["id"],
        url=r["url"],
        title=r["title"],
        site_url=r["site_url"],
        lang=r["lang"],
        timezone=r["timezone"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        last_body_hash=r["last_body_hash"],
        next_check_at=r["next_check_at"],
        last_fetched_at=r["last_fetched_at"],
        last_status=r["last_status"],
        error_count=r["error_count"],
        first_error_at=r["first_error_at"],
        last_error=r["last_error"],
        disabled=bool(r["disabled"]),
        id_policy=r["id_policy"],
        interval_s=r["interval_s"],
        redirect_url=r["redirect_url"],
        redirect_count=r["redirect_count"],
        entry_fingerprints=r["entry_fingerprints"],
    )


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").lower()


