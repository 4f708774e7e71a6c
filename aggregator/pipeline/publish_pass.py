"""Publish job: store rows → :class:`Event` / :class:`PublishedItem` read models → rendered
files → the output folder (I/O: reads the store, writes files atomically).

Events list every member, duplicates included (a duplicate is one more outlet carrying the
story); the item feed lists originals only, each with its duplicates' sources.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from aggregator.config import Config
from aggregator.models import Event, EventMember
from aggregator.publish import PublishedItem, render_all, write_outputs
from aggregator.publish.notice import with_status_notice
from aggregator.store.core import Store, utc_iso


def _source(row: dict[str, Any]) -> str:
    return str(row.get("feed_title") or urlsplit(row.get("feed_url") or "").hostname or "?")


_MEMBER_SQL = (
    "SELECT i.id, i.feed_id, i.title, i.url, i.lang, i.published_at, i.fetched_at, i.event_id,"
    " i.duplicate_of, f.title AS feed_title, f.url AS feed_url FROM items i"
    " JOIN feeds f ON f.id = i.feed_id WHERE i.event_id IN ({q}) ORDER BY i.id"
)


def load_events(store: Store, *, limit: int, since: datetime | None = None) -> list[Event]:
    """The most recently updated events with their members, newest first."""
    where, params = "", []
    if since is not None:
        where, params = " WHERE e.updated_at >= ?", [utc_iso(since)]
    rows = store.rows(
        "SELECT e.*, r.summary AS rep_summary FROM events e LEFT JOIN items r"
        f" ON r.id = e.representative_item_id{where} ORDER BY e.updated_at DESC, e.id DESC"
        " LIMIT ?",
        (*params, limit),
    )
    if not rows:
        return []
    members: dict[int, list[EventMember]] = defaultdict(list)
    ids = [r["id"] for r in rows]
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for m in store.rows(_MEMBER_SQL.format(q=",".join("?" * len(chunk))), chunk):
            members[m["event_id"]].append(
                EventMember(
                    item_id=m["id"],
                    feed_id=m["feed_id"],
                    source=_source(m),
                    title=m["title"],
                    url=m["url"],
                    lang=m["lang"],
                    published_at=m["published_at"],
                    fetched_at=m["fetched_at"],
                )
            )
    return [
        Event(
            id=r["id"],
            title=r["title"],
            first_seen_at=r["first_seen_at"],
            updated_at=r["updated_at"],
            members=tuple(members.get(r["id"], ())),
            summary=(r["rep_summary"] or "")[:600],
            alt_title=r["alt_title"],
        )
        for r in rows
    ]


def load_items(store: Store, *, limit: int) -> list[PublishedItem]:
    """Unique items, newest first, each with the sources of its duplicates."""
    rows = store.rows(
        "SELECT i.*, f.title AS feed_title, f.url AS feed_url, f.site_url AS feed_site"
        " FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.duplicate_of IS NULL"
        " ORDER BY COALESCE(i.published_at, i.fetched_at) DESC, i.id DESC LIMIT ?",
        (limit,),
    )
    dups: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    ids = [r["id"] for r in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for d in store.rows(
            "SELECT i.duplicate_of, i.url, f.title AS feed_title, f.url AS feed_url FROM items i"
            f" JOIN feeds f ON f.id = i.feed_id WHERE i.duplicate_of IN ({marks})",
            chunk,
        ):
            dups[d["duplicate_of"]].append((_source(d), d["url"]))
    return [
        PublishedItem(
            id=r["id"],
            title=r["title"],
            url=r["url"],
            summary=r["summary"],
            content_html=r["content_html"],
            lang=r["lang"],
            published_at=r["published_at"],
            fetched_at=r["fetched_at"],
            source_title=_source(r),
            source_url=r["feed_site"] or r["feed_url"],
            author=r["author"],
            duplicates=tuple(dups.get(r["id"], ())),
            event_id=r["event_id"],
        )
        for r in rows
    ]


def publish_outputs(cfg: Config, store: Store, now: datetime) -> list[str]:
    """Render every output from the store and replace the files atomically."""
    events = load_events(store, limit=cfg.publish.max_entries)
    items = load_items(store, limit=cfg.publish.max_entries)
    files = render_all(events, items, cfg.publish, now)
    if not events:
        files["index.html"] = with_status_notice(files["index.html"], status_lines(cfg, store))
    write_outputs(cfg.publish_dir, files)
    return sorted(files)


def status_lines(cfg: Config, store: Store) -> list[str]:
    """Why the page is empty, from the subscribed, enabled feeds' last results."""
    from aggregator.pipeline.diagnose import FeedState, nothing_arrived_notice
    from aggregator.store.subscriptions import subscribed_feeds

    states = [
        FeedState(
            title=f.title or f.url,
            error=f.last_error,
            fetched=f.last_fetched_at is not None,
            succeeded=f.last_success_at is not None,
            bridged=f.bridged,
        )
        for f in subscribed_feeds(store, include_unsubscribed=False)
        if not f.disabled
    ]
    return nothing_arrived_notice(states, rsshub_base=cfg.bridges.rsshub)


def event_json(e: Event) -> dict[str, Any]:
    return {
        "id": e.id,
        "title": e.title,
        "alt_title": e.alt_title,
        "first_seen_at": e.first_seen_at,
        "updated_at": e.updated_at,
        "languages": list(e.languages),
        "sources": list(e.sources),
        "members": [m.__dict__ for m in e.members],
    }


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)
