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
import json
import logging
import re
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from aggregator.config import StoreConfig
from aggregator.models import Decision, FeedRecord, Item
from aggregator.store.migrations import MIGRATIONS, split_sql
from aggregator.store.search_index import ensure_search_index

log = logging.getLogger(__name__)

#: Queries shorter than this many characters cannot use the trigram index.
FTS_TRIGRAM_MIN_CHARS = 3
#: Rows scanned by the LIKE fallback for short (1–2 character) queries.
SEARCH_FALLBACK_SCAN_LIMIT = 200_000


def utc_iso(dt: datetime) -> str:
    """``2026-11-22T01:02:03Z`` for an aware or naive-UTC datetime."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


class StoreError(RuntimeError):
    """The database cannot be opened or migrated (a clear message, no traceback)."""


@dataclass(frozen=True)
class ExistingItem:
    id: int
    feed_id: int
    guid: str
    content_hash: str
    duplicate_of: int | None
    event_id: int | None


class Store:
    """The one writer. Construct with :meth:`open`; use :meth:`transaction` for writes."""

    def __init__(self, db: sqlite_utils.Database, path: Path, cfg: StoreConfig) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.path = path
        self.cfg = cfg
        #: Monotonic time the open group transaction began (see :meth:`group_unit`).
        self._group_since: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, cfg: StoreConfig | None = None, *, migrate: bool = True) -> Store:
        cfg = cfg or StoreConfig()
        path.parent.mkdir(parents=True, exist_ok=True)
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
            return store
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc

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
        return applied

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
                self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction. ``BEGIN IMMEDIATE`` takes the write lock up front, so a
        busy database is waited for (busy_timeout) instead of failing at once with "database
        is locked" when a deferred transaction tries to upgrade from reading (catalogue DB-04).
        Nested use becomes a savepoint."""
        if self.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

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
    ) -> int:
        """Insert a subscription or refresh its metadata; returns the feed id."""
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
        cur = self.db.execute(
            "DELETE FROM feeds WHERE url = ? OR subscribed_url = ? OR CAST(id AS TEXT) = ?",
            (url_or_id, url_or_id, url_or_id),
        )
        return cur.rowcount > 0

    def set_feed_enabled(self, url_or_id: str, enabled: bool, *, now: datetime) -> bool:
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
        return feed_record(row[0])

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
            out.append(feed_record(r))
            if len(out) >= limit:
                break
        return out

    def update_feed(self, feed_id: int, **fields: Any) -> None:
        if not fields:
            return
        cols = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(f"UPDATE feeds SET {cols} WHERE id = ?", (*fields.values(), feed_id))

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
    def has_unclustered_items(self) -> bool:
        """True when some item has no event yet (an original to cluster or a duplicate to
        attach). One probe of ``items_event_id``: a pass with nothing new skips loading the
        clustering window, the model and entity keys on this answer."""
        row = self.conn.execute("SELECT 1 FROM items WHERE event_id IS NULL LIMIT 1").fetchone()
        return row is not None

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
        """Recompute an event's counts, languages and sources from its members."""
        members = self.conn.execute(
            "SELECT i.lang, COALESCE(f.title, f.url) FROM items i JOIN feeds f ON f.id = i.feed_id"
            " WHERE i.event_id = ? AND i.duplicate_of IS NULL",
            (event_id,),
        ).fetchall()
        langs = ",".join(sorted({m[0] for m in members}))
        sources = json.dumps(sorted({m[1] for m in members}), ensure_ascii=False)
        self.conn.execute(
            "UPDATE events SET item_count = ?, languages = ?, sources = ?, updated_at = ?,"
            " title = COALESCE(?, title), alt_title = COALESCE(?, alt_title) WHERE id = ?",
            (len(members), langs, sources, updated_at, title, alt_title, event_id),
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
        """Full-text search over titles and text. Terms of ≥ 3 characters use the trigram
        index (substring match, so 稀土价格 and "rare earth" both work); a query made only of
        1–2 character terms (稀土, 利率) falls back to a bounded LIKE scan of recent items."""
        terms = [t for t in re.split(r"\s+", query.strip()) if t]
        if not terms:
            return []
        long_terms = [t for t in terms if len(t) >= FTS_TRIGRAM_MIN_CHARS]
        short_terms = [t for t in terms if len(t) < FTS_TRIGRAM_MIN_CHARS]
        params: list[Any] = []
        where = []
        if long_terms:
            match = " AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms)
            where.append("i.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)")
            params.append(match)
        for t in short_terms:
            # Same text as the index covers (items_search.body), so a search finds the same
            # items whatever the length of its terms.
            where.append(
                "EXISTS (SELECT 1 FROM items_search s WHERE s.id = i.id AND"
                " (s.title LIKE ? ESCAPE '\\' OR s.body LIKE ? ESCAPE '\\'))"
            )
            pat = "%" + t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pat, pat]
        scope = ""
        if short_terms and not long_terms:
            limit_rows = SEARCH_FALLBACK_SCAN_LIMIT
            scope = f" AND i.id > (SELECT COALESCE(MAX(id), 0) FROM items) - {limit_rows}"
        sql = (
            "SELECT i.id, i.title, i.url, i.lang, i.published_at, i.feed_id FROM items i WHERE "
            + " AND ".join(where)
            + scope
            + " ORDER BY i.id DESC LIMIT ?"
        )
        return self._rows(sql, (*params, limit))

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
