"""Store stage, reader view: the queries behind what a reader sees (I/O: disk).

Events with their members (outlet, lead, times), the published view of each event
(``event_views``: story dates, headline and summary per language), stored item vectors for
headline centrality, machine translations (``translations``), topic matches
(``topic_matches``) and the days of the digest. The publish and translate jobs in
:mod:`aggregator.pipeline` call these; nothing here decides anything.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from aggregator.models import EventMember
from aggregator.store.core import Store
from aggregator.store.limits import chunks
from aggregator.store.outlets import OUTLET_NAME_SQL

#: Characters of an item's lead read for the event summary.
LEAD_CHARS = 800


@dataclass(frozen=True)
class EventRow:
    id: int
    title: str
    alt_title: str | None
    first_seen_at: str
    updated_at: str
    outlet_count: int
    summary: str


@dataclass(frozen=True)
class StoredView:
    event_id: int
    signature: str
    published_at: str
    updated_at: str
    event_updated_at: str | None
    #: Digest of what the texts below were computed from (``event_views.members_key``).
    members_key: str | None = None
    titles: Mapping[str, str | None] = field(default_factory=dict)
    summaries: Mapping[str, str | None] = field(default_factory=dict)
    machine_translated: tuple[str, ...] = ()


@dataclass(frozen=True)
class ViewRow:
    """One ``event_views`` row as written by the publish job."""

    event_id: int
    signature: str
    published_at: str
    updated_at: str
    titles: Mapping[str, str | None]
    summaries: Mapping[str, str | None]
    machine_translated: Sequence[str]
    outlets: Sequence[Mapping[str, Any]]
    item_count: int
    event_updated_at: str
    #: See :attr:`StoredView.members_key`; None: never reused.
    members_key: str | None = None


def recent_events(store: Store, *, limit: int, since: str | None = None) -> list[EventRow]:
    """The most recently changed events (``events.updated_at``), newest first."""
    where, params = ("WHERE e.updated_at >= ?", [since]) if since else ("", [])
    rows = store.conn.execute(
        "SELECT e.id, e.title, e.alt_title, e.first_seen_at, e.updated_at, e.outlet_count,"
        " COALESCE(r.summary, '') FROM events e LEFT JOIN items r"
        f" ON r.id = e.representative_item_id {where} ORDER BY e.updated_at DESC, e.id DESC"
        " LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [EventRow(*r) for r in rows]


def stale_events(store: Store, *, limit: int) -> list[EventRow]:
    """Events without a view, or changed since theirs was computed, newest first."""
    rows = store.conn.execute(
        "SELECT e.id, e.title, e.alt_title, e.first_seen_at, e.updated_at, e.outlet_count,"
        " COALESCE(r.summary, '') FROM events e LEFT JOIN event_views v ON v.event_id = e.id"
        " LEFT JOIN items r ON r.id = e.representative_item_id"
        " WHERE v.event_id IS NULL OR v.event_updated_at IS NOT e.updated_at"
        " ORDER BY e.updated_at DESC, e.id DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [EventRow(*r) for r in rows]


def events_by_id(store: Store, ids: Sequence[int]) -> list[EventRow]:
    out: list[EventRow] = []
    for chunk in chunks(ids):
        out += [
            EventRow(*r)
            for r in store.conn.execute(
                "SELECT e.id, e.title, e.alt_title, e.first_seen_at, e.updated_at,"
                " e.outlet_count, COALESCE(r.summary, '') FROM events e LEFT JOIN items r"
                f" ON r.id = e.representative_item_id WHERE e.id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
        ]
    return out


_MEMBER_SQL = (
    "SELECT i.id, i.feed_id, i.title, i.url, i.lang, i.published_at, i.fetched_at, i.event_id,"
    f" i.duplicate_of, COALESCE(f.title, f.url), f.url, {OUTLET_NAME_SQL}, o.country,"
    f" substr(CASE WHEN i.summary <> '' THEN i.summary ELSE i.content_text END, 1, {LEAD_CHARS}),"
    " CASE WHEN i.revision > 1 THEN i.updated_at END"
    " FROM items i JOIN feeds f ON f.id = i.feed_id LEFT JOIN outlets o ON o.id = f.outlet_id"
    " WHERE i.event_id IN ({q}) ORDER BY i.id"
)


def event_members(store: Store, event_ids: Sequence[int]) -> dict[int, list[EventMember]]:
    """Every member of each event (duplicates included), by item id."""
    members: dict[int, list[EventMember]] = defaultdict(list)
    for chunk in chunks(event_ids):
        for r in store.conn.execute(_MEMBER_SQL.format(q=",".join("?" * len(chunk))), chunk):
            members[r[7]].append(
                EventMember(
                    item_id=r[0],
                    feed_id=r[1],
                    source=str(r[9] or "?"),
                    title=r[2],
                    url=r[3],
                    lang=r[4],
                    published_at=r[5],
                    fetched_at=r[6],
                    outlet=r[11] or str(r[9]),
                    country=r[12],
                    lead=r[13] or "",
                    duplicate_of=r[8],
                    revised_at=r[14],
                )
            )
    return members


def outlet_languages(store: Store) -> dict[str, tuple[str, ...]]:
    return {
        str(r[0]): tuple(x for x in (r[1] or "").split(",") if x)
        for r in store.conn.execute("SELECT name, languages FROM outlets")
    }


def item_vectors(store: Store, item_ids: Iterable[int]) -> dict[int, tuple[str, np.ndarray]]:
    """Stored embeddings of the given items: id → (model, float32 vector)."""
    ids = list(item_ids)
    out: dict[int, tuple[str, np.ndarray]] = {}
    for chunk in chunks(ids):
        for item_id, model, blob in store.conn.execute(
            "SELECT item_id, model, vector FROM item_vectors"
            f" WHERE item_id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            out[int(item_id)] = (str(model), np.frombuffer(blob, dtype=np.float32))
    return out


def stored_views(store: Store, event_ids: Sequence[int]) -> dict[int, StoredView]:
    out: dict[int, StoredView] = {}
    for chunk in chunks(event_ids):
        for r in store.conn.execute(
            "SELECT event_id, signature, published_at, updated_at, event_updated_at,"
            " members_key, title_en, title_zh, summary_en, summary_zh, machine_translated"
            " FROM event_views"
            f" WHERE event_id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            out[int(r[0])] = StoredView(
                int(r[0]), r[1], r[2], r[3], r[4], members_key=r[5],
                titles={"en": r[6], "zh": r[7]},
                summaries={"en": r[8], "zh": r[9]},
                machine_translated=tuple(json.loads(r[10] or "[]")),
            )
    return out


def save_views(store: Store, views: Iterable[ViewRow]) -> None:
    """Write (replace) the published view of each event, in one transaction (one statement
    run over all of them)."""
    with store.transaction():
        store.conn.executemany(
            "INSERT OR REPLACE INTO event_views (event_id, signature, published_at,"
            " updated_at, title_en, title_zh, summary_en, summary_zh, machine_translated,"
            " outlets, outlet_count, item_count, event_updated_at, members_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    v.event_id,
                    v.signature,
                    v.published_at,
                    v.updated_at,
                    v.titles.get("en"),
                    v.titles.get("zh"),
                    v.summaries.get("en"),
                    v.summaries.get("zh"),
                    json.dumps(list(v.machine_translated)),
                    json.dumps(list(v.outlets), ensure_ascii=False),
                    len(v.outlets),
                    v.item_count,
                    v.event_updated_at,
                    v.members_key,
                )
                for v in views
            ],
        )


# -- machine translations ---------------------------------------------------------------------
def cached_translations(
    conn: sqlite3.Connection, keys: Iterable[tuple[str, str, str]], backend: str
) -> dict[tuple[str, str, str], str]:
    """``(text_hash, source, target)`` → translated text, for the keys that are cached."""
    out: dict[tuple[str, str, str], str] = {}
    for h, src, tgt in set(keys):
        r = conn.execute(
            "SELECT translated FROM translations WHERE text_hash = ? AND source = ? AND"
            " target = ? AND backend = ?",
            (h, src, tgt, backend),
        ).fetchone()
        if r:
            out[(h, src, tgt)] = str(r[0])
    return out


def put_translation(
    store: Store, key: tuple[str, str, str], backend: str, translated: str, at: str
) -> None:
    with store.transaction():
        store.conn.execute(
            "INSERT OR REPLACE INTO translations (text_hash, source, target, backend, translated,"
            " at) VALUES (?, ?, ?, ?, ?, ?)",
            (*key, backend, translated, at),
        )


def views_missing_language(
    store: Store, limit: int
) -> list[tuple[int, dict[str, str | None], list[str]]]:
    """Recent views with a headline in one language only, or with machine text: event id,
    texts by column (``title_en``, ``summary_zh``, …) and its ``machine_translated`` keys,
    newest first."""
    cols = ("title_en", "title_zh", "summary_en", "summary_zh")
    rows = store.conn.execute(
        f"SELECT event_id, {', '.join(cols)}, machine_translated FROM event_views"
        " WHERE (title_en IS NULL) <> (title_zh IS NULL) OR machine_translated <> '[]'"
        " ORDER BY updated_at DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        (int(r[0]), dict(zip(cols, r[1:5], strict=True)), list(json.loads(r[5] or "[]")))
        for r in rows
    ]


# -- topics --------------------------------------------------------------------------------------
def drop_topics_except(store: Store, slugs: Iterable[str]) -> None:
    keep = list(slugs)
    with store.transaction():
        store.conn.execute(
            f"DELETE FROM topic_matches WHERE topic NOT IN ({','.join('?' * len(keep))})", keep
        )


def topic_counts(store: Store) -> dict[str, tuple[int, str | None]]:
    """topic slug → (events matched, latest event view update)."""
    return {
        str(r[0]): (int(r[1]), r[2])
        for r in store.conn.execute(
            "SELECT m.topic, COUNT(*), MAX(v.updated_at) FROM topic_matches m"
            " LEFT JOIN event_views v ON v.event_id = m.event_id GROUP BY m.topic"
        )
    }


def topic_event_ids(store: Store, topic: str, limit: int = 1_000_000) -> list[int]:
    """Events of the topic, the most recently updated (published view) first."""
    return [
        int(r[0])
        for r in store.conn.execute(
            "SELECT m.event_id FROM topic_matches m LEFT JOIN event_views v"
            " ON v.event_id = m.event_id WHERE m.topic = ?"
            " ORDER BY v.updated_at DESC, m.event_id DESC LIMIT ?",
            (topic, limit),
        )
    ]


@dataclass(frozen=True)
class StoredEventView:
    """An event as its stored view says (for outputs that need no members: the digest)."""

    event_id: int
    title: str
    first_seen_at: str
    published_at: str
    updated_at: str
    titles: Mapping[str, str | None]
    summaries: Mapping[str, str | None]
    machine_translated: tuple[str, ...]
    outlets: tuple[Mapping[str, Any], ...]
    link: str | None


def stored_event_views(store: Store, ids: Sequence[int]) -> list[StoredEventView]:
    out: list[StoredEventView] = []
    for chunk in chunks(ids):
        for r in store.conn.execute(
            "SELECT v.event_id, e.title, e.first_seen_at, v.published_at, v.updated_at,"
            " v.title_en, v.title_zh, v.summary_en, v.summary_zh, v.machine_translated,"
            " v.outlets, (SELECT i.url FROM items i WHERE i.event_id = v.event_id"
            "  AND i.url IS NOT NULL ORDER BY COALESCE(i.published_at, i.fetched_at), i.id"
            "  LIMIT 1) FROM event_views v JOIN events e ON e.id = v.event_id"
            f" WHERE v.event_id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            out.append(
                StoredEventView(
                    event_id=r[0], title=r[1], first_seen_at=r[2], published_at=r[3],
                    updated_at=r[4], titles={"en": r[5], "zh": r[6]},
                    summaries={"en": r[7], "zh": r[8]},
                    machine_translated=_json_tuple(r[9]),
                    outlets=tuple(json.loads(r[10] or "[]")), link=r[11],
                )
            )
    return out


def update_topic_matches(
    store: Store,
    topic: str,
    considered: Sequence[int],
    matches: Mapping[int, tuple[int, str]],
    at: str,
) -> None:
    """Matches of ``topic`` among the ``considered`` events become exactly ``matches``;
    stored matches of other events stay."""
    with store.transaction():
        for chunk in chunks(considered):
            store.conn.execute(
                f"DELETE FROM topic_matches WHERE topic = ? AND event_id IN"
                f" ({','.join('?' * len(chunk))})",
                (topic, *chunk),
            )
        store.conn.executemany(
            "INSERT OR REPLACE INTO topic_matches (topic, event_id, item_id, keyword, at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(topic, eid, iid, kw, at) for eid, (iid, kw) in matches.items()],
        )


def view_ids_published_since(store: Store, since: str, limit: int) -> list[int]:
    """Events whose story began at or after ``since`` (by their stored view)."""
    return [
        int(r[0])
        for r in store.conn.execute(
            "SELECT event_id FROM event_views WHERE published_at >= ?"
            " ORDER BY published_at DESC LIMIT ?",
            (since, limit),
        )
    ]


def recent_originals(store: Store, limit: int) -> list[dict[str, Any]]:
    """Unique items, newest first, with their feed's title, URL and site."""
    return store.rows(
        "SELECT i.*, f.title AS feed_title, f.url AS feed_url, f.site_url AS feed_site"
        " FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.duplicate_of IS NULL"
        " ORDER BY COALESCE(i.published_at, i.fetched_at) DESC, i.id DESC LIMIT ?",
        (limit,),
    )


def duplicates_with_feeds(store: Store, original_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The duplicates of these items: ``duplicate_of``, ``url``, and their feed's title/URL."""
    out: list[dict[str, Any]] = []
    for chunk in chunks(original_ids):
        marks = ",".join("?" * len(chunk))
        out += store.rows(
            "SELECT i.duplicate_of, i.url, f.title AS feed_title, f.url AS feed_url FROM items i"
            f" JOIN feeds f ON f.id = i.feed_id WHERE i.duplicate_of IN ({marks})",
            chunk,
        )
    return out


def _json_tuple(raw: str | None) -> tuple[Any, ...]:
    """A stored JSON list as a tuple; the common empty list without decoding it."""
    return () if not raw or raw == "[]" else tuple(json.loads(raw))
