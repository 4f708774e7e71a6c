"""Store stage, clustering side: the SQL the event builder needs (I/O: disk).

Named functions over a :class:`~aggregator.store.core.Store` that return typed records: the
oldest pending item, the members of events near a point in the items' own time (published,
else fetched — never the wall clock), item vectors, and the recluster reset. Kept out of
``store/core.py`` so that module stays under 500 lines.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from aggregator.store.core import Store, utc_iso
from aggregator.store.limits import chunks
from aggregator.store.outlets import OUTLET_NAME_SQL, outlets_json

#: An item's own time: published, else first fetched (ISO-8601 UTC text sorts as time).
ITEM_TIME = "COALESCE(published_at, fetched_at)"
#: Characters of summary / text read as an item's lead.
LEAD_CHARS = 400


@dataclass(frozen=True)
class WindowMember:
    """One original item of an event that is still in (or near) the window."""

    item_id: int
    event_id: int
    title: str
    summary: str
    content_text: str
    lang: str
    published_at: str | None
    fetched_at: str
    #: Stored vector (float32 bytes) and the embedder that made it; None when not stored.
    vector: bytes | None
    model: str | None
    #: Stored lexical term counts (JSON), None when not stored yet.
    terms: str | None = None
    #: Stored entity keys (headline keys, lead-only keys) made by the extractor asked for;
    #: None when not stored, or stored by another extractor.
    keys: tuple[tuple[str, ...], tuple[str, ...]] | None = None


def oldest_pending_at(store: Store) -> str | None:
    """Item time of the oldest original item not yet in an event (None when none waits)."""
    rows = store.rows(
        f"SELECT MIN({ITEM_TIME}) AS t FROM items WHERE event_id IS NULL AND duplicate_of IS NULL"
    )
    t = rows[0]["t"] if rows else None
    return str(t) if t is not None else None


def window_members(
    store: Store,
    since: str,
    extractor: str = "",
    model: str | None = None,
    *,
    terms_text: bool = True,
    vector_blobs: bool = True,
) -> list[WindowMember]:
    """Original members of every event that has a member whose own time is ≥ ``since``,
    oldest first (the order the clusterer met them in a live run); with the entity keys
    that ``extractor`` stored for them. With ``model`` (the embedder's name) the lead text
    (summary, content) is read only for a member whose terms, keys or vector of that model
    are not stored, the only ones that need it; the records are built straight from the
    cursor (a window load held every row twice, row dicts and records, with both leads),
    then put in order. Without ``terms_text`` (``vector_blobs``) stored counts come as "" (a
    vector as b""; None if not stored): read by item id (``stored_terms``, ``window_reads``)."""
    terms = "t.terms" if terms_text else "CASE WHEN t.terms IS NOT NULL THEN '' END"
    vector = "v.vector" if vector_blobs else "CASE WHEN v.item_id IS NOT NULL THEN x'' END"
    need = (
        "CASE WHEN ? IS NULL OR t.terms IS NULL OR k.keys IS NULL OR v.item_id IS NULL"
        " OR v.model IS NOT ? THEN substr(i.{col}, 1, ?) END"
    )
    cur = store.conn.execute(
        "SELECT i.id, i.event_id, i.title,"
        f" {need.format(col='summary')}, {need.format(col='content_text')},"
        " i.lang, i.published_at, i.fetched_at,"
        f" {vector}, v.model, {terms}, k.keys FROM items i"
        " LEFT JOIN item_vectors v ON v.item_id = i.id"
        " LEFT JOIN item_terms t ON t.item_id = i.id"
        " LEFT JOIN item_evidence k ON k.item_id = i.id AND k.extractor = ?"
        " WHERE i.duplicate_of IS NULL AND i.event_id IN ("
        "   SELECT event_id FROM items WHERE event_id IS NOT NULL"
        "   AND (published_at >= ? OR (published_at IS NULL AND fetched_at >= ?)))",
        (model, model, LEAD_CHARS, model, model, LEAD_CHARS, extractor, since, since),
    )
    intern = sys.intern
    members = [
        WindowMember(
            item_id=r[0],
            event_id=r[1],
            title=r[2] or "",
            summary=r[3] or "",
            content_text=r[4] or "",
            lang=intern(r[5] or "und"),
            published_at=r[6],
            fetched_at=r[7],
            vector=r[8],
            model=intern(r[9]) if r[9] is not None else None,
            terms=r[10],
            keys=_decode_keys(r[11]),
        )
        for r in cur
    ]
    # Sorted here, not by an ORDER BY: SQLite's sorter copied every row with its vector and
    # term counts (~4 KB a member) through a temporary B-tree, ~25% of the query's CPU.
    members.sort(key=_window_order)
    return members


def stored_terms(store: Store, item_ids: Sequence[int]) -> dict[int, str]:
    """Item id → its stored term counts (JSON, as :func:`save_terms` wrote), for those stored."""
    out: dict[int, str] = {}
    for chunk in chunks(item_ids):
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT item_id, terms FROM item_terms WHERE item_id IN ({marks})"
        out.update(store.conn.execute(sql, chunk).fetchall())
    return out


def _window_order(m: WindowMember) -> tuple[bool, str, int]:
    """``ORDER BY COALESCE(published_at, fetched_at), id`` (a NULL time first, as SQLite
    sorts it; text compares as SQLite's BINARY collation does on UTF-8)."""
    t = m.published_at if m.published_at is not None else m.fetched_at
    return (t is not None, t or "", m.item_id)


def _decode_keys(raw: str | None) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    if raw is None:
        return None
    title, text = json.loads(raw)
    intern = sys.intern  # the same few thousand keys recur across the window
    return tuple(map(intern, title)), tuple(map(intern, text))


_SAVE_VECTOR = "INSERT OR REPLACE INTO item_vectors (item_id, model, vector) VALUES (?, ?, ?)"
_SAVE_TERMS = "INSERT OR REPLACE INTO item_terms (item_id, terms) VALUES (?, ?)"
_SAVE_KEYS = "INSERT OR REPLACE INTO item_evidence (item_id, extractor, keys) VALUES (?, ?, ?)"


#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` is this encoder's
#: ``encode`` (the same text): made once, not per call (three per clustered item).
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _json(value: Any) -> str:
    return _COMPACT.encode(value)


def _vector_blob(vec: npt.NDArray[np.float32]) -> bytes:
    return np.asarray(vec, dtype=np.float32).tobytes()


def _keys_json(title_keys: Iterable[str], text_keys: Iterable[str]) -> str:
    return _json([sorted(title_keys), sorted(text_keys)])


def save_keys(
    store: Store, item_id: int, extractor: str, title_keys: Iterable[str], text_keys: Iterable[str]
) -> None:
    """Keep an item's entity keys (made by ``extractor``) so loading the window does not run
    the extractor again."""
    store.conn.execute(_SAVE_KEYS, (item_id, extractor, _keys_json(title_keys, text_keys)))


def save_terms(store: Store, item_id: int, terms: Mapping[str, int]) -> None:
    """Keep an item's lexical term counts so loading the window does not recompute them."""
    store.conn.execute(_SAVE_TERMS, (item_id, _json(terms)))


def save_members(
    store: Store,
    model: str,
    extractor: str,
    members: Iterable[
        tuple[int, npt.NDArray[np.float32], Mapping[str, int] | None, Iterable[str], Iterable[str]]
    ],
) -> None:
    """:func:`save_vector`, :func:`save_terms` (when not None) and :func:`save_keys` of
    many items ``(item_id, vector, terms, title_keys, text_keys)``: one statement per table
    (a batch of clustered items), the same rows."""
    vectors, terms, keys = [], [], []
    for item_id, vec, counts, title_keys, text_keys in members:
        vectors.append((item_id, model, _vector_blob(vec)))
        if counts is not None:
            terms.append((item_id, _json(counts)))
        keys.append((item_id, extractor, _keys_json(title_keys, text_keys)))
    store.conn.executemany(_SAVE_VECTOR, vectors)
    store.conn.executemany(_SAVE_TERMS, terms)
    store.conn.executemany(_SAVE_KEYS, keys)


#: ``store_settings`` key naming the version of ``lexical.terms`` behind ``item_terms``.
TERMS_SETTING = "lexical_terms"


def ensure_terms_version(store: Store, version: str) -> int:
    """Drop every stored term count when they were made by another version of
    ``lexical.terms`` (they are recomputed, and saved again, when the window loads); records
    ``version``. Returns the rows dropped."""
    row = store.conn.execute(
        "SELECT value FROM store_settings WHERE key = ?", (TERMS_SETTING,)
    ).fetchone()
    if row is not None and str(row[0]) == version:
        return 0
    with store.transaction():
        dropped = store.conn.execute("DELETE FROM item_terms").rowcount
        store.conn.execute(
            "INSERT INTO store_settings (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (TERMS_SETTING, version),
        )
    return int(dropped)


def save_vector(store: Store, item_id: int, model: str, vec: npt.NDArray[np.float32]) -> None:
    """Keep an item's embedding so a restart does not re-embed the window."""
    store.conn.execute(_SAVE_VECTOR, (item_id, model, _vector_blob(vec)))


def reset_events_since(store: Store, since: str, at: str) -> None:
    """Take every item whose own time is ≥ ``since`` (and its duplicates) out of its event;
    events left empty are deleted, the others refreshed at ``at``. Call in a transaction."""
    touched = {
        r["event_id"]
        for r in store.rows(
            f"SELECT DISTINCT event_id FROM items WHERE event_id IS NOT NULL AND {ITEM_TIME} >= ?",
            (since,),
        )
    }
    store.conn.execute(
        f"UPDATE items SET event_id = NULL WHERE {ITEM_TIME} >= ?"
        f" OR duplicate_of IN (SELECT id FROM items WHERE {ITEM_TIME} >= ?)",
        (since, since),
    )
    for eid in touched:
        left = store.rows("SELECT COUNT(*) AS n FROM items WHERE event_id = ?", (eid,))[0]["n"]
        if left:
            store.refresh_event(eid, updated_at=at)
        else:
            store.conn.execute("DELETE FROM events WHERE id = ?", (eid,))


def load_doc_freq(store: Store) -> tuple[int, list[tuple[str, int]]]:
    """``(documents counted, [(term, df)…])`` of the lexical evidence (see migration 7).
    The rows come as sqlite3 builds them (no Python loop over ~20k terms: ~5 ms a load)."""
    conn = store.conn
    got = conn.execute("SELECT CAST(df AS INTEGER) FROM lexical_df WHERE term = ''").fetchone()
    rows: list[tuple[str, int]] = conn.execute(
        "SELECT CAST(term AS TEXT), CAST(df AS INTEGER) FROM lexical_df WHERE term != ''"
    ).fetchall()
    return (int(got[0]) if got else 0), rows


def save_doc_freq(store: Store, n_docs: int, changed: list[tuple[str, int]]) -> None:
    """Write the changed document frequencies (df 0: the term was forgotten)."""
    conn = store.conn
    rows = [td for td in changed if td[1] > 0]
    rows.insert(0, ("", n_docs))
    # REPLACE, not an upsert: the same rows for ~13 % less CPU (a pass-1 cluster stage writes
    # ~230k of them); nothing references this table and it has no trigger.
    conn.executemany("INSERT OR REPLACE INTO lexical_df (term, df) VALUES (?, ?)", rows)
    gone = [(t,) for t, d in changed if d <= 0]
    if gone:
        conn.executemany("DELETE FROM lexical_df WHERE term = ?", gone)


@dataclass(frozen=True)
class MergedEvent:
    """What :func:`merge_events` moved, enough for ``unmerge`` to restore the dropped event."""

    kept: int
    dropped: int
    moved_items: list[int]
    title: str
    alt_title: str | None
    first_seen_at: str


def merge_refused(store: Store, a: int, b: int) -> bool:
    """A user split these two events apart before (an ``unmerges`` row of a member of one
    names the other)."""
    rows = store.rows(
        "SELECT 1 FROM unmerges u JOIN items i ON i.id = u.item_id WHERE u.stage = 'cluster'"
        " AND ((i.event_id = ? AND u.target_event_id = ?) OR (i.event_id = ? AND"
        " u.target_event_id = ?)) LIMIT 1",
        (a, b, b, a),
    )
    return bool(rows)


def merge_events(store: Store, keep: int, drop: int) -> MergedEvent:
    """Move every item of event ``drop`` (duplicates too) into ``keep`` and delete ``drop``
    (its feed entries go with it); ``keep`` takes the earlier first-seen time. Call in a
    transaction, then refresh ``keep``."""
    ev = store.rows("SELECT title, alt_title, first_seen_at FROM events WHERE id = ?", (drop,))[0]
    moved = [r["id"] for r in store.rows("SELECT id FROM items WHERE event_id = ?", (drop,))]
    store.conn.execute("UPDATE items SET event_id = ? WHERE event_id = ?", (keep, drop))
    store.conn.execute(
        "UPDATE events SET first_seen_at = MIN(first_seen_at, ?) WHERE id = ?",
        (ev["first_seen_at"], keep),
    )
    store.conn.execute("DELETE FROM events WHERE id = ?", (drop,))
    return MergedEvent(keep, drop, moved, ev["title"], ev["alt_title"], ev["first_seen_at"])


def restore_event(store: Store, m: MergedEvent, at: str) -> list[int]:
    """Undo :func:`merge_events`: recreate the dropped event under its old id (its ``tag:``
    URI comes back) and move back the moved items that are still in the kept event. Returns
    the items moved back. Call in a transaction, then refresh both events."""
    store.conn.execute(
        "INSERT INTO events (id, title, alt_title, first_seen_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (m.dropped, m.title, m.alt_title, m.first_seen_at, at),
    )
    back = [
        r["id"]
        for r in store.rows("SELECT id, event_id FROM items WHERE event_id = ?", (m.kept,))
        if r["id"] in set(m.moved_items)
    ]
    store.conn.executemany(
        "UPDATE items SET event_id = ? WHERE id = ?", [(m.dropped, i) for i in back]
    )
    return back


def last_merge(store: Store, item_id: int) -> MergedEvent | None:
    """The most recent event merge that moved ``item_id`` or that it caused, if the item is
    still in the event that merge kept."""
    rows = store.rows(
        "SELECT d.features FROM decisions d JOIN items i ON i.id = d.item_id"
        " WHERE d.stage = 'cluster' AND d.rule IN ('merge_events', 'merged_into')"
        " AND d.item_id = ? AND i.event_id = json_extract(d.features, '$.kept_event_id')"
        " ORDER BY d.id DESC LIMIT 1",
        (item_id,),
    )
    if not rows:
        return None
    f = json.loads(rows[0]["features"])
    return MergedEvent(
        int(f["kept_event_id"]),
        int(f["merged_event_id"]),
        [int(i) for i in f["moved_items"]],
        str(f["dropped_event"]["title"]),
        f["dropped_event"]["alt_title"],
        str(f["dropped_event"]["first_seen_at"]),
    )


def record_unmerge(store: Store, item_id: int, target_event_id: int, at: str) -> None:
    """Remember that a user took ``item_id`` out of ``target_event_id`` (never again)."""
    store.conn.execute(
        "INSERT INTO unmerges (item_id, target_event_id, stage, at) VALUES (?, ?, 'cluster', ?)",
        (item_id, target_event_id, at),
    )


def pending_page(store: Store, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` original items not yet in an event, oldest first by their own time:
    ``id, title, summary, content_text`` (first LEAD_CHARS only, so the sort carries short
    strings), ``lang, published_at, fetched_at``."""
    return store.rows(
        f"SELECT id, title, substr(summary, 1, {LEAD_CHARS}) AS summary,"
        f" substr(content_text, 1, {LEAD_CHARS}) AS content_text, lang, published_at,"
        f" fetched_at FROM items WHERE event_id IS NULL AND duplicate_of IS NULL"
        f" ORDER BY {ITEM_TIME}, id LIMIT ?",
        (limit,),
    )


def still_pending(store: Store, ids: list[int]) -> set[int]:
    """Which of ``ids`` are still originals without an event."""
    if not ids:
        return set()
    return {
        int(r["id"])
        for r in store.rows(
            "SELECT id FROM items WHERE event_id IS NULL AND duplicate_of IS NULL"
            f" AND id IN ({','.join('?' * len(ids))})",
            ids,
        )
    }


def pending_up_to(store: Store, limit: int) -> int:
    """Items with no event yet, counted up to ``limit`` (at most that many index rows read)."""
    row = store.conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM items WHERE event_id IS NULL LIMIT ?)", (limit,)
    ).fetchone()
    return int(row[0])


def pending_count(store: Store) -> int:
    return int(
        store.rows(
            "SELECT COUNT(*) AS n FROM items WHERE event_id IS NULL AND duplicate_of IS NULL"
        )[0]["n"]
    )


def detached_duplicates(store: Store) -> list[tuple[int, int]]:
    """``(duplicate id, its original's event id)`` for duplicates not yet in that event."""
    return [
        (int(r["id"]), int(r["event_id"]))
        for r in store.rows(
            "SELECT d.id, o.event_id FROM items d JOIN items o ON o.id = d.duplicate_of"
            " WHERE d.event_id IS NULL AND o.event_id IS NOT NULL"
        )
    ]


def originals_since(store: Store, since: datetime) -> int:
    """Unique items whose own time (published, else fetched) is at or after ``since``."""
    r = store.conn.execute(
        "SELECT COUNT(*) FROM items WHERE duplicate_of IS NULL AND"
        " COALESCE(published_at, fetched_at) >= ?",
        (utc_iso(since),),
    ).fetchone()
    return int(r[0])


#: Ids per ``IN (…)`` list (well under SQLite's bound on host parameters).
_IN_IDS = 500


def set_item_events(store: Store, pairs: Sequence[tuple[int, int]]) -> None:
    """``Store.set_item_event`` of each ``(event id, item id)``, in order: one statement."""
    store.conn.executemany("UPDATE items SET event_id = ? WHERE id = ?", pairs)


def unmerged_events(store: Store, item_ids: Sequence[int]) -> set[tuple[int, int]]:
    """``(item id, event id)`` of every unmerge of these items from an event: what
    ``Store.is_unmerged(item, target_event_id=event)`` answers, for many items in one query."""
    out: set[tuple[int, int]] = set()
    for i in range(0, len(item_ids), _IN_IDS):
        chunk = item_ids[i : i + _IN_IDS]
        out.update(
            (int(r[0]), int(r[1]))
            for r in store.conn.execute(
                "SELECT item_id, target_event_id FROM unmerges WHERE target_event_id IS NOT"
                f" NULL AND item_id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        )
    return out


def refresh_events(
    store: Store, updates: Sequence[tuple[int, str | None, str | None]], updated_at: str
) -> None:
    """``Store.refresh_event(event, updated_at=…, title=…, alt_title=…)`` of each
    ``(event id, title, alt title)``: their members read in one query, one update statement;
    the same rows (counts and languages of originals, outlets of all members)."""
    if not updates:
        return
    ids = [u[0] for u in updates]
    langs: dict[int, list[str]] = {e: [] for e in ids}
    names: dict[int, set[str]] = {e: set() for e in ids}
    for i in range(0, len(ids), _IN_IDS):
        chunk = ids[i : i + _IN_IDS]
        for eid, lang, original, has_feed, name in store.conn.execute(
            "SELECT i.event_id, i.lang, i.duplicate_of IS NULL, f.id IS NOT NULL,"
            f" {OUTLET_NAME_SQL} FROM items i LEFT JOIN feeds f ON f.id = i.feed_id"
            " LEFT JOIN outlets o ON o.id = f.outlet_id"
            f" WHERE i.event_id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            if original:
                langs[eid].append(lang)
            if has_feed:  # event_outlets joins feeds
                names[eid].add(str(name))
    rows = []
    for eid, title, alt in updates:
        outlets = sorted(names[eid])
        members = langs[eid]
        langs_text = ",".join(sorted(set(members)))
        rows.append(
            (len(members), langs_text, outlets_json(outlets), len(outlets), updated_at, title,
             alt, eid)
        )  # fmt: skip
    store.conn.executemany(
        "UPDATE events SET item_count = ?, languages = ?, sources = ?, outlet_count = ?,"
        " updated_at = ?, title = COALESCE(?, title), alt_title = COALESCE(?, alt_title)"
        " WHERE id = ?",
        rows,
    )
