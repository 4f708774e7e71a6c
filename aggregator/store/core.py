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
import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aggregator.config import StoreConfig
from aggregator.errors import StoreError as StoreError
from aggregator.models import Decision, Item
from aggregator.store.credentials import CredentialFile, credentials_path
from aggregator.store.feeds import FeedTable
from aggregator.store.feeds import feed_record as feed_record
from aggregator.store.limits import chunks
from aggregator.store.migrations import MIGRATIONS, split_sql
from aggregator.store.outlets import (
    backfill_outlets,
    event_outlets,
    feeds_without_outlet,
    outlets_json,
)
from aggregator.store.planner_stats import optimize
from aggregator.store.records import ExistingItem as ExistingItem
from aggregator.store.records import parse_iso as parse_iso
from aggregator.store.records import utc_iso as utc_iso
from aggregator.store.search_index import (
    BATCHES,
    SearchBatch,
    attach_batch,
    ensure_search_index,
)
from aggregator.store.sqldb import Database
from aggregator.store.status import (
    WriteFailure,
    open_error,
    read_only_error,
    writable,
    write_failure_kind,
)

log = logging.getLogger(__name__)

#: SQLite's page cache of a one-shot pass (``poll``), MiB: it reads most pages once, and the
#: 8 MiB of a daemon's connection held ~6 MB more at the pass's peak (peer pass 1, 4,000
#: items: ``bench/pass_memory.py``, 134.0 → 127.4 MB).
ONE_SHOT_CACHE_MIB = 2


class Store(FeedTable):
    """The one writer. Construct with :meth:`open`; use :meth:`transaction` for writes."""

    def __init__(self, db: Database, path: Path, cfg: StoreConfig) -> None:
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
        #: Indexes the items a write transaction adds, at its end (set by :meth:`open` once
        #: the search index and its insert trigger are in place).
        self.search_batch: SearchBatch | None = None

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
            db = Database(conn)
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
                if BATCHES:
                    attach_batch(conn)
                    store.search_batch = SearchBatch(conn)
            return store
        except sqlite3.DatabaseError as exc:
            raise open_error(path, exc, StoreError) from exc

    def close(self) -> None:
        self.commit_group()
        with contextlib.suppress(sqlite3.Error):
            optimize(self.conn)  # PRAGMA optimize, its event-index statistics kept true
        self.conn.close()

    def limit_page_cache(self, mib: int) -> None:
        """SQLite's page cache at most ``mib`` MiB from now on (``[store] cache_mb`` stays
        the bound of a long-lived connection): a one-shot pass reads most pages once."""
        self.conn.execute(f"PRAGMA cache_size = -{min(int(self.cfg.cache_mb), mib) * 1024}")

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
                self._batch_begin()
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
                    self._batch_end()
                    self.conn.execute("COMMIT")
                self._committed()
            else:
                self.db.rolled_back()  # SQLite rolled the group back on its own
                if self.search_batch is not None:
                    self.search_batch.abandon()

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
                self._batch_begin()
                yield
                self._batch_end()
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                self.db.rolled_back()
                if self.search_batch is not None:
                    self.search_batch.abandon()
                raise
            else:
                self.conn.execute("COMMIT")
        self._committed()

    def _batch_begin(self) -> None:
        if self.search_batch is not None:
            self.search_batch.begin()

    def _batch_end(self) -> None:
        self.db.flush_held()  # right before COMMIT: held rows (band_index) join the commit
        if self.search_batch is not None:
            self.search_batch.end()

    # -- items ------------------------------------------------------------------------------
    def existing_by_guid(self, feed_id: int, guids: Sequence[str]) -> dict[str, ExistingItem]:
        out: dict[str, ExistingItem] = {}
        for chunk in chunks(guids):
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

    def find_by_canonical_urls(self, urls: Sequence[str]) -> dict[str, ExistingItem]:
        """:meth:`find_by_canonical_url` of many URLs in one query per 500: the item with the
        lowest id for each URL that has one."""
        return self._first_by("canonical_url", urls)

    def find_by_content_hashes(self, hashes: Sequence[str]) -> dict[str, ExistingItem]:
        """:meth:`find_by_content_hash` of many hashes in one query per 500."""
        return self._first_by("content_hash", hashes)

    def _first_by(self, column: str, keys: Sequence[str]) -> dict[str, ExistingItem]:
        out: dict[str, ExistingItem] = {}
        for chunk in chunks(dict.fromkeys(keys)):
            q = ",".join("?" * len(chunk))
            # No ORDER BY (it would sort in a temporary B-tree): the lowest id is kept here.
            for r in self.conn.execute(
                f"SELECT id, feed_id, guid, content_hash, duplicate_of, event_id, {column}"
                f" FROM items WHERE {column} IN ({q})",
                chunk,
            ):
                found = out.get(r[6])
                if found is None or r[0] < found.id:
                    out[r[6]] = ExistingItem(*r[:6])
        return out

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
                _json_list([e.__dict__ for e in item.enclosures]),
                _json_list(list(item.categories)),
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
        # Its text changed: the clusterer's stored term counts and keys describe the old one.
        self.conn.execute("DELETE FROM item_terms WHERE item_id = ?", (item_id,))
        self.conn.execute("DELETE FROM item_evidence WHERE item_id = ?", (item_id,))

    def set_item_event(self, item_id: int, event_id: int | None) -> None:
        self.conn.execute("UPDATE items SET event_id = ? WHERE id = ?", (event_id, item_id))

    def set_duplicate_of(self, item_id: int, original_id: int | None) -> None:
        self.conn.execute("UPDATE items SET duplicate_of = ? WHERE id = ?", (original_id, item_id))

    def add_decision(self, d: Decision) -> None:
        self.conn.execute(_ADD_DECISION, _decision_row(d))

    def add_decisions(self, ds: Sequence[Decision]) -> None:
        """:meth:`add_decision` of each, in order: one statement (the same rows and ids)."""
        self.conn.executemany(_ADD_DECISION, map(_decision_row, ds))

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
            (
                len(members),
                langs,
                outlets_json(outlets),
                len(outlets),
                updated_at,
                title,
                alt_title,
                event_id,
            ),
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


_ADD_DECISION = (
    "INSERT INTO decisions (item_id, stage, rule, target_item_id, target_event_id,"
    " score, features, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
#: ``json.dumps(f, ensure_ascii=False, default=str)`` with its encoder built once (the same
#: text; ``dumps`` builds a new encoder per call when given options).
_features_json = json.JSONEncoder(ensure_ascii=False, default=str).encode


#: ``json.dumps(value, ensure_ascii=False)`` is this encoder's ``encode`` (the same text).
_UNESCAPED = json.JSONEncoder(ensure_ascii=False)


def _json_list(values: list[Any]) -> str:
    """``json.dumps(values, ensure_ascii=False)``: an item's enclosures or categories, most
    often none (two per stored item, each a new encoder in ``json.dumps``)."""
    return _UNESCAPED.encode(values) if values else "[]"


def _decision_row(d: Decision) -> tuple[Any, ...]:
    f = d.features
    return (
        d.item_id,
        d.stage,
        d.rule,
        d.target_item_id,
        d.target_event_id,
        d.score,
        _features_json(f if type(f) is dict else dict(f)),
        d.at,
    )
