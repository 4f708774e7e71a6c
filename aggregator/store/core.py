"""Store stage: the SQLite database (I/O: disk). One writer; WAL; numbered migrations.

Schema contract (DESIGN.md): ``feeds``, ``items``, ``events``, ``decisions``, ``fetches`` plus
``items_fts`` (FTS5, trigram tokenizer, so Chinese words of three or more characters match
as substrings; one- and two-character terms fall back to ``LIKE`` — see :meth:`Store.search`;
what it covers is ``[store] search``, see :mod:`aggregator.store.search_index`).
Times are ISO-8601 UTC text in ``*_at`` columns. Every write of one feed update happens in
one transaction (:meth:`Store.transaction`) or one savepoint of a group commit
(:meth:`Store.group_unit`), so a crash leaves each update in full or not at all, and a feed's
ETag never moves ahead of its stored entries.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from aggregator.config import StoreConfig
from aggregator.errors import StoreError as StoreError
from aggregator.models import Decision, FeedRecord, Item
from aggregator.store.credentials import CredentialFile, credentials_path, split_credentials
from aggregator.store.migrations import MIGRATIONS, split_sql
from aggregator.store.outlets import (
    assign_outlet,
    backfill_outlets,
    event_outlets,
    feeds_without_outlet,
    outlets_json,
)
from aggregator.store.records import ExistingItem as ExistingItem
from aggregator.store.records import FeedPollState  # re-exported: callers import it from here
from aggregator.store.search_index import ensure_search_index
from aggregator.store.status import (
    WriteFailure,
    open_error,
    read_only_error,
    writable,
    write_failure_kind,
)

log = logging.getLogger(__name__)



def utc_iso(dt: datetime) -> str:
    """``2026-11-22T01:02:03Z`` for an aware or naive-UTC datetime."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


class Store:
    """The one writer. Construct with :meth:`open`; use :meth:`transaction` for writes."""

    def __init__(self, db: sqlite_utils.Database, path: Path, cfg: StoreConfig) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.path = path
        self.cfg = cfg
        #: Monotonic time the open group transaction began (see :meth:`group_unit`).
        self._group_since: float | None = None
        #: Feed credentials, kept outside the database (:mod:`.credentials`).
        self.credentials = CredentialFile(credentials_path(path))
        #: The last write the disk refused, until a commit succeeds (read by /healthz).
        self.write_failure: WriteFailure | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, cfg: StoreConfig | None = None, *, migrate: bool = True) -> Store:
        cfg = cfg or StoreConfig()
        path.parent.mkdir(parents=True, exist_ok=True)
        if migrate and not writable(path):
            # SQLite would open it read-only without a word, and the first write would fail
            # deep inside a poll (issue 15). Checked without a lock: a daemon may be writing.
            raise read_only_error(path, "not writable by this process", StoreError)
        try:
            conn = sqlite3.connect(str(path), timeout=cfg.busy_timeout_ms / 1000)
            # Another writer (a plugin, a manual edit) may leave bytes that are not UTF-8;
            # reading them must not stop publishing (catalogue OUT-04).
            conn.text_factory = lambda b: b.decode("utf-8", "replace")
            db = sqlite_utils.Database(conn)
            conn.execute(f"PRAGMA busy_timeout = {int(cfg.busy_timeout_ms)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("journal_mode is %s, not wal", mode)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA journal_size_limit = {int(cfg.journal_size_limit_bytes)}")
            conn.execute(f"PRAGMA cache_size = -{int(cfg.cache_mb) * 1024}")
            store = cls(db, path, cfg)
            if migrate:
                store.migrate()
                store.move_url_credentials()
            return store
        except sqlite3.DatabaseError as exc:
            raise open_error(path, exc, StoreError) from exc

    def close(self) -> None:
        self.commit_group()
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA optimize")
        self.conn.close()

    def migrate(self) -> list[int]:
        """Apply pending numbered migrations, each in its own transaction (DB-08: a kill
        mid-migration rolls it back; the version table agrees with the schema)."""
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {r[0] for r in self.conn.execute("SELECT version FROM schema_migrations")}
        applied = []
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            with self.db.atomic():
                for stmt in split_sql(sql):
                    self.conn.execute(stmt)
                self.conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (version, name, utc_iso(datetime.now(UTC))),
                )
            applied.append(version)
        ensure_search_index(self.conn, self.cfg.search)
        if feeds_without_outlet(self.conn):  # read first: opening a store need not write
            with self.db.atomic():
                backfill_outlets(self.conn)
        return applied

    @contextlib.contextmanager
    def _watch_writes(self) -> Iterator[None]:
        """Note a write the disk refuses (:attr:`write_failure`), then re-raise it."""
        try:
            yield
        except sqlite3.Error as exc:
            kind = write_failure_kind(exc)
            if kind is not None:
                self.write_failure = WriteFailure(datetime.now(UTC), kind, str(exc))
            raise

    def _committed(self) -> None:
        self.write_failure = None

    @contextlib.contextmanager
    def group_unit(self) -> Iterator[None]:
        """One all-or-nothing unit (a feed's update) inside a group transaction: a savepoint
        in a ``BEGIN IMMEDIATE`` transaction that stays open across units and is committed
        once it is ``store.commit_interval_ms`` old (checked after each unit), or by
        :meth:`commit_group`. A failing unit rolls back alone. Its gain is not shown yet:
        ``bench/store_ablation.py`` at 200k items put one commit per feed within noise of it
        (1.83 vs 2.01 ms per new item); measure at 1M before relying on it.
        A kill loses at most the open group: its feeds' validators roll back with their
        items, so they are fetched again. With ``commit_interval_ms = 0`` this is
        :meth:`transaction`."""
        if self.cfg.commit_interval_ms <= 0:
            with self.transaction():
                yield
            return
        with self._watch_writes():
            if not self.conn.in_transaction:
                self.conn.execute("BEGIN IMMEDIATE")
                self._group_since = time.monotonic()
            with self.db.atomic():
                yield
        since = self._group_since
        if since is not None and time.monotonic() - since >= self.cfg.commit_interval_ms / 1000:
            self.commit_group()

    @property
    def group_open(self) -> bool:
        """A group transaction (:meth:`group_unit`) is open and not yet committed."""
        return self._group_since is not None

    def commit_group(self) -> None:
        """Commit the open group transaction, if any (end of a poll, before a checkpoint,
        at close)."""
        if self._group_since is not None:
            self._group_since = None
            if self.conn.in_transaction:
                with self._watch_writes():
                    self.conn.execute("COMMIT")
                self._committed()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction. ``BEGIN IMMEDIATE`` takes the write lock up front, so a
        busy database is waited for (busy_timeout) instead of failing at once with "database
        is locked" when a deferred transaction tries to upgrade from reading (catalogue DB-04).
        Nested use becomes a savepoint."""
        if self.conn.in_transaction:
            with self._watch_writes(), self.db.atomic():
                yield
            return
        with self._watch_writes():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self.conn.execute("COMMIT")
        self._committed()

    # -- feeds ------------------------------------------------------------------------------
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
        self, now: datetime, *, per_host_cap: int, limit: int = 10_000
    ) -> list[FeedRecord]:
        """Feeds whose ``next_check_at`` has passed, oldest first, at most ``per_host_cap``
        per host (so one host's 200 feeds do not fill a tick)."""
        rows = self._rows(
            "SELECT * FROM feeds WHERE disabled = 0 AND (next_check_at IS NULL OR"
            " next_check_at <= ?) ORDER BY next_check_at LIMIT ?",
            (utc_iso(now), limit * 4),
        )
        per_host: dict[str, int] = {}
        out: list[FeedRecord] = []
        for r in rows:
            host = _host(r["url"])
            if per_host.get(host, 0) >= per_host_cap:
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

    # -- items ------------------------------------------------------------------------------
    def existing_by_guid(self, feed_id: int, guids: Sequence[str]) -> dict[str, ExistingItem]:
        out: dict[str, ExistingItem] = {}
        for chunk in _chunks(list(guids), 500):
            q = ",".join("?" * len(chunk))
            for r in self.conn.execute(
                "SELECT id, feed_id, guid, content_hash, duplicate_of, event_id FROM items"
                f" WHERE feed_id = ? AND guid IN ({q})",
                (feed_id, *chunk),
            ):
                out[r[2]] = ExistingItem(*r)
        return out

    def find_by_canonical_url(self, url: str) -> ExistingItem | None:
        r = self.conn.execute(
            "SELECT id, feed_id, guid, content_hash, duplicate_of, event_id FROM items"
            " WHERE canonical_url = ? ORDER BY id LIMIT 1",
            (url,),
        ).fetchone()
        return ExistingItem(*r) if r else None

    def find_by_content_hash(self, h: str) -> ExistingItem | None:
        r = self.conn.execute(
            "SELECT id, feed_id, guid, content_hash, duplicate_of, event_id FROM items"
            " WHERE content_hash = ? ORDER BY id LIMIT 1",
            (h,),
        ).fetchone()
        return ExistingItem(*r) if r else None

    def insert_item(self, item: Item) -> int:
        cur = self.conn.execute(
            "INSERT INTO items (feed_id, guid, url, canonical_url, title, summary, content_html,"
            " content_text, lang, author, published_at, fetched_at, updated_at, content_hash,"
            " match_text, enclosures, categories, duplicate_of, event_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.feed_id,
                item.guid,
                item.url,
                item.canonical_url,
                item.title,
                item.summary,
                item.content_html,
                item.content_text,
                item.lang,
                item.author,
                item.published_at,
                item.fetched_at,
                item.fetched_at,
                item.content_hash,
                item.match_text,
                json.dumps([e.__dict__ for e in item.enclosures], ensure_ascii=False),
                json.dumps(list(item.categories), ensure_ascii=False),
                item.duplicate_of,
                item.event_id,
            ),
        )
        item.id = int(cur.lastrowid or 0)
        return item.id

    def revise_item(self, item_id: int, item: Item) -> None:
        """A known item came back with a changed title or body: update it in place."""
        self.conn.execute(
            "UPDATE items SET url = ?, canonical_url = ?, title = ?, summary = ?,"
            " content_html = ?, content_text = ?, lang = ?, author = ?,"
            " published_at = COALESCE(?, published_at), updated_at = ?, content_hash = ?,"
            " match_text = ?, revision = revision + 1 WHERE id = ?",
            (
                item.url,
                item.canonical_url,
                item.title,
                item.summary,
                item.content_html,
                item.content_text,
                item.lang,
                item.author,
                item.published_at,
                item.fetched_at,
                item.content_hash,
                item.match_text,
                item_id,
            ),
        )

    def set_item_event(self, item_id: int, event_id: int | None) -> None:
        self.conn.execute("UPDATE items SET event_id = ? WHERE id = ?", (event_id, item_id))

    def set_duplicate_of(self, item_id: int, original_id: int | None) -> None:
        self.conn.execute("UPDATE items SET duplicate_of = ? WHERE id = ?", (original_id, item_id))

    def add_decision(self, d: Decision) -> None:
        self.conn.execute(
            "INSERT INTO decisions (item_id, stage, rule, target_item_id, target_event_id,"
            " score, features, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                d.item_id,
                d.stage,
                d.rule,
                d.target_item_id,
                d.target_event_id,
                d.score,
                json.dumps(dict(d.features), ensure_ascii=False, default=str),
                d.at,
            ),
        )

    def is_unmerged(
        self, item_id: int, *, target_item_id: int | None = None, target_event_id: int | None = None
    ) -> bool:
        r = self.conn.execute(
            "SELECT 1 FROM unmerges WHERE item_id = ? AND (target_item_id = ? OR"
            " target_event_id = ?) LIMIT 1",
            (item_id, target_item_id, target_event_id),
        ).fetchone()
        return r is not None

    # -- events -----------------------------------------------------------------------------
    def create_event(self, *, title: str, at: str, representative_item_id: int) -> int:
        cur = self.conn.execute(
            "INSERT INTO events (title, first_seen_at, updated_at, representative_item_id)"
            " VALUES (?, ?, ?, ?)",
            (title, at, at, representative_item_id),
        )
        return int(cur.lastrowid or 0)

    def refresh_event(
        self,
        event_id: int,
        *,
        updated_at: str,
        title: str | None = None,
        alt_title: str | None = None,
    ) -> None:
        """Recompute an event's counts, languages and outlets from its members. ``sources``
        and ``outlet_count`` count outlets among all members, duplicates included (a duplicate
        is one more outlet carrying the story): the number every output shows."""
        members = self.conn.execute(
            "SELECT i.lang FROM items i WHERE i.event_id = ? AND i.duplicate_of IS NULL",
            (event_id,),
        ).fetchall()
        langs = ",".join(sorted({m[0] for m in members}))
        outlets = event_outlets(self.conn, event_id)
        self.conn.execute(
            "UPDATE events SET item_count = ?, languages = ?, sources = ?, outlet_count = ?,"
            " updated_at = ?, title = COALESCE(?, title), alt_title = COALESCE(?, alt_title)"
            " WHERE id = ?",
            (len(members), langs, outlets_json(outlets), len(outlets), updated_at, title,
             alt_title, event_id),
        )

    # -- reading ----------------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.conn.execute(sql, params)
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Read-only query helper for CLI and publish."""
        return self._rows(sql, params)

    def search(self, query: str, limit: int = 50) -> list[dict[str, Any]]:
        """Full-text search over titles and the indexed text, folding Simplified and
        Traditional Chinese: see :func:`aggregator.store.search_fold.search_items`."""
        from aggregator.store.search_fold import search_items

        return search_items(self, query, limit)

    def counts(self) -> dict[str, int]:
        out = {}
        for t in ("feeds", "items", "events", "decisions", "fetches"):
            out[t] = int(self.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0])
        out["duplicates"] = int(
            self.conn.execute(
                "SELECT COUNT(*) FROM items WHERE duplicate_of IS NOT NULL"
            ).fetchone()[0]
        )
        return out


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


def _chunks(seq: list[str], n: int) -> Iterator[list[str]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]
