"""Store upkeep on a real SQLite file: retention keeps what events still show, VACUUM INTO
backups under a concurrent writer (DB-07), WAL checkpoints once readers leave (DB-03), and
the /metrics text format."""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from aggregator.config import Config
from aggregator.serve.metrics import prometheus_metrics
from aggregator.store.core import Store, utc_iso
from aggregator.store.upkeep import (
    apply_retention,
    backup,
    checkpoint,
    wal_size,
)

#: Rows the concurrent writer commits in the backup test (each its own transaction).
WRITER_ROWS = 400
#: Rows written while a reader pins the WAL in the checkpoint test; ~1 KiB each.
PINNED_ROWS = 300


def add_item(
    store: Store,
    feed_id: int,
    guid: str,
    at: datetime,
    *,
    event_id: int | None = None,
    duplicate_of: int | None = None,
    text: str = "",
) -> int:
    t = utc_iso(at)
    cur = store.conn.execute(
        "INSERT INTO items (feed_id, guid, title, content_text, published_at, fetched_at,"
        " updated_at, content_hash, event_id, duplicate_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (feed_id, guid, f"title {guid}", text, t, t, t, f"h-{guid}", event_id, duplicate_of),
    )
    return int(cur.lastrowid or 0)


def add_event(store: Store, updated: datetime, rep: int | None = None) -> int:
    cur = store.conn.execute(
        "INSERT INTO events (title, first_seen_at, updated_at, representative_item_id)"
        " VALUES ('e', ?, ?, ?)",
        (utc_iso(updated), utc_iso(updated), rep),
    )
    return int(cur.lastrowid or 0)


def ids(store: Store, table: str) -> set[int]:
    return {r[0] for r in store.conn.execute(f"SELECT id FROM {table}")}


# -- retention ---------------------------------------------------------------------------
def test_retention_keeps_what_events_still_show(store: Store, now: datetime) -> None:
    old, recent = now - timedelta(days=200), now - timedelta(days=1)
    cutoff = now - timedelta(days=90)
    with store.transaction():
        f1 = store.add_feed("http://a.example/feed", now=old)
        f2 = store.add_feed("http://b.example/feed", now=old)
        # An old item in an event a new member joined yesterday: still shown, kept.
        live_event = add_event(store, recent)
        old_in_live = add_item(store, f1, "old-in-live", old, event_id=live_event)
        new_in_live = add_item(store, f2, "new-in-live", recent, event_id=live_event)
        # An old item in an old event: both go.
        dead_event = add_event(store, old)
        old_in_dead = add_item(store, f1, "old-in-dead", old, event_id=dead_event)
        # An old original in an old event whose duplicate arrived yesterday: the duplicate
        # points at it (provenance), so the original, the duplicate and the event stay.
        dup_event = add_event(store, old)
        orig = add_item(store, f1, "orig", old, event_id=dup_event)
        dup = add_item(store, f2, "dup", recent, event_id=dup_event, duplicate_of=orig)
        # Old duplicate of an old original, old event: all go.
        gone_event = add_event(store, old)
        gone_orig = add_item(store, f1, "gone-orig", old, event_id=gone_event)
        gone_dup = add_item(store, f2, "gone-dup", old, event_id=gone_event, duplicate_of=gone_orig)
        # Not clustered yet, old: goes; not clustered, recent: stays.
        unclustered_old = add_item(store, f1, "uc-old", old)
        unclustered_new = add_item(store, f1, "uc-new", recent)
        store.conn.execute(
            "INSERT INTO fetches (feed_id, started_at) VALUES (?, ?), (?, ?)",
            (f1, utc_iso(old), f1, utc_iso(recent)),
        )
    deleted = apply_retention(store, cutoff)
    assert ids(store, "items") == {old_in_live, new_in_live, orig, dup, unclustered_new}
    assert {old_in_dead, gone_orig, gone_dup, unclustered_old}.isdisjoint(ids(store, "items"))
    assert ids(store, "events") == {live_event, dup_event}
    assert deleted == {"items": 4, "events": 2, "fetches": 1}
    # full-text index follows (delete trigger), and the store is consistent
    fts = store.conn.execute("SELECT COUNT(*) FROM items_fts").fetchone()[0]
    assert fts == 5
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    # idempotent
    assert apply_retention(store, cutoff) == {"items": 0, "events": 0, "fetches": 0}


# -- backup (DB-07) -----------------------------------------------------------------------
def test_backup_while_writing_has_every_committed_row(cfg: Config, tmp_path: Path) -> None:
    main = Store.open(cfg.store_path, cfg.store)
    with main.transaction():
        fid = main.add_feed("http://w.example/feed", now=datetime(2026, 11, 20))
    committed: list[int] = []
    started = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        w = Store.open(cfg.store_path, cfg.store)
        try:
            for i in range(WRITER_ROWS):
                with w.transaction():
                    item = add_item(
                        w, fid, f"g{i}", datetime(2026, 11, 20), text="x" * 500 + str(i)
                    )
                committed.append(item)
                if i == WRITER_ROWS // 4:
                    started.set()
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            started.set()
            w.close()

    t = threading.Thread(target=writer)
    t.start()
    assert started.wait(30)
    before = list(committed)  # committed before the backup began
    dest = backup(main, tmp_path / "backups" / "copy.db")
    t.join(60)
    assert not t.is_alive() and not errors, errors
    with pytest.raises(FileExistsError):
        backup(main, dest)
    main.close()

    copy = sqlite3.connect(dest)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    have = [r[0] for r in copy.execute("SELECT id FROM items ORDER BY id")]
    assert set(before) <= set(have)
    # a snapshot: a prefix of the writer's commits, nothing half-written
    assert have == sorted(committed)[: len(have)]
    n_fts = copy.execute("SELECT COUNT(*) FROM items_fts").fetchone()[0]
    assert n_fts == len(have)
    copy.close()


def test_plain_copy_of_the_main_file_misses_the_wal(cfg: Config, tmp_path: Path) -> None:
    """Why backup uses VACUUM INTO: committed rows still in the WAL are not in the main
    file, so copying only ``aggregator.db`` loses them (DB-07)."""
    s = Store.open(cfg.store_path, cfg.store)
    s.conn.execute("PRAGMA wal_autocheckpoint = 0")
    with s.transaction():
        fid = s.add_feed("http://c.example/feed", now=datetime(2026, 11, 20))
        for i in range(50):
            add_item(s, fid, f"c{i}", datetime(2026, 11, 20))
    shutil.copyfile(cfg.store_path, tmp_path / "plain.db")
    good = backup(s, tmp_path / "good.db")
    s.close()
    plain = sqlite3.connect(tmp_path / "plain.db")
    try:
        n_plain = plain.execute("SELECT COUNT(*) FROM sqlite_master WHERE name = 'items'")
        plain_items = (
            plain.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            if n_plain.fetchone()[0]
            else 0
        )
    except sqlite3.DatabaseError:
        plain_items = 0
    plain.close()
    assert plain_items < 50
    assert sqlite3.connect(good).execute("SELECT COUNT(*) FROM items").fetchone()[0] == 50


# -- checkpoint (DB-03) -------------------------------------------------------------------
def test_checkpoint_truncates_wal_once_the_reader_leaves(cfg: Config, now: datetime) -> None:
    s = Store.open(cfg.store_path, cfg.store)
    with s.transaction():
        fid = s.add_feed("http://r.example/feed", now=now)
        add_item(s, fid, "first", now)
    reader = sqlite3.connect(cfg.store_path)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM items").fetchone()  # pins this snapshot
    for i in range(PINNED_ROWS):
        with s.transaction():
            add_item(s, fid, f"p{i}", now, text="y" * 1000)
    busy, frames, done = checkpoint(s)
    assert frames > 0 and done < frames  # the reader holds frames back
    assert wal_size(s) > 0
    reader.execute("COMMIT")
    reader.close()
    busy, frames, done = checkpoint(s)
    assert (busy, frames, done) == (0, 0, 0)  # TRUNCATE ran: empty log
    assert wal_size(s) == 0
    assert s.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == PINNED_ROWS + 1
    s.close()


# -- metrics ------------------------------------------------------------------------------
_SAMPLE = re.compile(
    r"^[a-zA-Z_:][a-zA-Z0-9_:]*"
    r'(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})?'
    r" -?(\d+(\.\d+)?([eE][+-]?\d+)?|NaN|[+-]Inf)$"
)


def test_metrics_text_format_parses(store: Store, now: datetime) -> None:
    with store.transaction():
        fid = store.add_feed("http://m.example/feed", now=now)
        a = add_item(store, fid, "m1", now)
        add_item(store, fid, "m2", now, duplicate_of=a)
    text = prometheus_metrics(
        store,
        now,
        fetch_status={"200": 3, "304": 2, "error": 1},
        ticks=4,
        tick_seconds_total=1.25,
        last_tick_s=0.5,
    )
    assert text.endswith("\n")
    typed: dict[str, str] = {}
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _h, _t, name, kind = line.split(" ")
            typed[name] = kind
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP "), line
            continue
        assert _SAMPLE.match(line), f"not exposition format: {line!r}"
        key, value = line.rsplit(" ", 1)
        samples[key] = float(value)
    for key in samples:
        base = key.split("{", 1)[0]
        family = re.sub(r"_(sum|count)$", "", base)
        assert base in typed or family in typed, f"{key} has no # TYPE"
    assert samples["aggregator_items"] == 2
    assert samples["aggregator_duplicates"] == 1
    assert samples['aggregator_fetches_total{status="200"}'] == 3
    assert samples["aggregator_poll_seconds_count"] == 4
    assert samples['aggregator_feeds{state="due"}'] == 1


def test_near_duplicate_bands_pruned_to_the_window(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from aggregator.dedupe import textsim
    from aggregator.store.band_index import NearDupIndex
    from aggregator.store.core import Store
    from aggregator.store.upkeep import prune_near_duplicates

    store = Store.open(tmp_path / "n.db")
    try:
        index = NearDupIndex(store.conn)
        sig = textsim.sketch(textsim.shingle("one two three four five six seven eight"))
        with store.transaction():
            index.add(1, sig, "2026-01-01T00:00:00Z")
            index.add(2, sig, "2026-11-20T00:00:00Z")
        assert prune_near_duplicates(store, datetime(2026, 11, 1, tzinfo=UTC)) > 0
        assert index.candidates(sig) == [2]
    finally:
        store.close()
