"""Publish stage: events and items → Atom 1.0, RSS 2.0, JSON Feed 1.1 and index.html (pure
renderers) plus one atomic write of the output folder (disk I/O, in :mod:`.write`).

Output contract (DESIGN.md): ``events.{atom,rss,json}`` carry one entry per event with a stable
``tag:`` id whose ``updated`` moves when a member joins, and a body listing every member;
``items.{atom,rss,json}`` carry deduplicated items with ``atom:source`` provenance. Titles are
text in every format, every string is cleaned of XML-illegal characters, every link passes
:func:`aggregator.sanitize.safe_url`.

Also ``topics/<slug>.{atom,rss,json}`` (the events of each ``[[topics]]`` entry, with the
same entry ids as ``events.*``) and ``digest.{atom,rss,json}`` (one entry per day).

Modules: :mod:`.entries` (records → format-neutral entries), :mod:`.formats` (Atom/RSS/JSON),
:mod:`.page` (HTML), :mod:`.view` (headline/summary per language, story dates),
:mod:`.topics` (topic matching), :mod:`.digest` (daily digest), :mod:`.write` (atomic files).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from aggregator.config import PublishConfig
from aggregator.models import Event
from aggregator.publish.digest import digest_entries
from aggregator.publish.entries import (
    FeedEntry,
    PublishedItem,
    event_entry,
    item_entry,
    newest_first,
    tag_uri,
)
from aggregator.publish.formats import FeedMeta, render_atom, render_json, render_rss
from aggregator.publish.page import render_page
from aggregator.publish.write import write_outputs

__all__ = [
    "OUTPUT_FILES",
    "FeedEntry",
    "PublishedItem",
    "TopicEvents",
    "extra_route",
    "render_all",
    "render_digest_feeds",
    "render_event_feeds",
    "render_index_html",
    "render_item_feeds",
    "render_topic_feeds",
    "write_outputs",
]

#: Every file the publish stage writes (same paths over HTTP).
OUTPUT_FILES = (
    "events.atom",
    "events.rss",
    "events.json",
    "items.atom",
    "items.rss",
    "items.json",
    "index.html",
    "digest.atom",
    "digest.rss",
    "digest.json",
)
#: ``(slug, title, events)`` of one topic, as the publish job hands it over.
TopicEvents = tuple[str, str, Sequence[Event]]
_MEDIA = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
_EXTRA_PATH = re.compile(r"/(digest|topics/[a-z0-9][a-z0-9_-]{0,63})\.(atom|rss|json)")


def extra_route(path: str) -> tuple[str, str] | None:
    """File and media type for ``/digest.*`` and ``/topics/<slug>.*`` (the server's fixed
    routes cover the rest); None for anything else."""
    m = _EXTRA_PATH.fullmatch(path)
    return (f"{m.group(1)}.{m.group(2)}", _MEDIA[m.group(2)]) if m else None


def _render(meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime) -> dict[str, bytes]:
    return {
        f"{meta.name}.atom": render_atom(meta, entries, now),
        f"{meta.name}.rss": render_rss(meta, entries, now),
        f"{meta.name}.json": render_json(meta, entries, now),
    }


def render_event_feeds(
    events: Sequence[Event], cfg: PublishConfig, now: datetime
) -> dict[str, bytes]:
    """``events.atom``, ``events.rss``, ``events.json``: one entry per event, newest update
    first, at most ``cfg.max_entries``."""
    meta = FeedMeta(
        name="events",
        feed_id=tag_uri(cfg, "feed", "events"),
        title=f"{cfg.title}: events",
        description="One entry per news event, listing every report of it by language.",
        base_url=cfg.base_url,
        author=cfg.title,
        lang=cfg.preferred_language,
    )
    entries = newest_first((event_entry(e, cfg, now) for e in events), cfg.max_entries)
    return _render(meta, entries, now)


def render_item_feeds(
    items: Sequence[PublishedItem], cfg: PublishConfig, now: datetime
) -> dict[str, bytes]:
    """``items.atom``, ``items.rss``, ``items.json``: one entry per deduplicated item with
    its source, newest first, at most ``cfg.max_entries``."""
    meta = FeedMeta(
        name="items",
        feed_id=tag_uri(cfg, "feed", "items"),
        title=f"{cfg.title}: items",
        description="Deduplicated news items, each with the feed it came from.",
        base_url=cfg.base_url,
        author=cfg.title,
        lang=cfg.preferred_language,
    )
    entries = newest_first((item_entry(i, cfg, now) for i in items), cfg.max_entries)
    return _render(meta, entries, now)


def render_topic_feeds(
    topics: Sequence[TopicEvents], cfg: PublishConfig, now: datetime
) -> dict[str, bytes]:
    """``topics/<slug>.atom``, ``.rss``, ``.json`` per topic: its events, with the same entry
    ids as ``events.*``."""
    files: dict[str, bytes] = {}
    for slug, title, events in topics:
        meta = FeedMeta(
            name=f"topics/{slug}",
            feed_id=tag_uri(cfg, "feed", f"topics/{slug}"),
            title=f"{cfg.title}: {title or slug}",
            description=f"Events about {title or slug}, in every language.",
            base_url=cfg.base_url,
            author=cfg.title,
            lang=cfg.preferred_language,
        )
        entries = newest_first((event_entry(e, cfg, now) for e in events), cfg.max_entries)
        files.update(_render(meta, entries, now))
    return files


def render_digest_feeds(
    events: Sequence[Event], cfg: PublishConfig, now: datetime
) -> dict[str, bytes]:
    """``digest.atom``, ``.rss``, ``.json``: one entry per day (:mod:`.digest`)."""
    meta = FeedMeta(
        name="digest",
        feed_id=tag_uri(cfg, "feed", "digest"),
        title=f"{cfg.title}: daily digest",
        description=f"One entry per day ({cfg.digest_timezone}) listing its events by outlets.",
        base_url=cfg.base_url,
        author=cfg.title,
        lang=cfg.preferred_language,
    )
    return _render(meta, digest_entries(events, cfg, now), now)


def render_index_html(
    events: Sequence[Event],
    items: Sequence[PublishedItem],
    cfg: PublishConfig,
    now: datetime,
    topics: Sequence[TopicEvents] = (),
) -> bytes:
    """``index.html``: events first (both headlines, outlets), a section per topic, then the
    latest items."""
    return render_page(events, items, cfg, now, topics)


def render_all(
    events: Sequence[Event],
    items: Sequence[PublishedItem],
    cfg: PublishConfig,
    now: datetime,
    topics: Sequence[TopicEvents] = (),
    digest_events: Sequence[Event] | None = None,
) -> dict[str, bytes]:
    """Every file of :data:`OUTPUT_FILES` (the digest from ``digest_events``, default
    ``events``), ready for :func:`write_outputs`."""
    files = render_event_feeds(events, cfg, now)
    files.update(render_digest_feeds(events if digest_events is None else digest_events, cfg, now))
    files.update(render_item_feeds(items, cfg, now))
    files["index.html"] = render_index_html(events, items, cfg, now, topics)
    return files
