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
from collections.abc import Iterator, Sequence
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
from aggregator.publish.write import StagedOutputs, write_outputs

__all__ = [
    "OUTPUT_FILES",
    "FeedEntry",
    "PublishedItem",
    "StagedOutputs",
    "TopicEvents",
    "extra_route",
    "render_all",
    "render_digest_feeds",
    "render_event_feeds",
    "render_index_html",
    "render_item_feeds",
    "render_stream",
    "render_topic_feeds",
    "stream_topic_feeds",
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


def _formats(
    meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime
) -> Iterator[tuple[str, bytes]]:
    """The family's three files, each rendered when asked for (see :func:`render_stream`)."""
    yield f"{meta.name}.atom", render_atom(meta, entries, now)
    yield f"{meta.name}.rss", render_rss(meta, entries, now)
    yield f"{meta.name}.json", render_json(meta, entries, now)


def _render(meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime) -> dict[str, bytes]:
    return dict(_formats(meta, entries, now))


def _meta(cfg: PublishConfig, name: str, title: str, description: str) -> FeedMeta:
    return FeedMeta(
        name=name,
        feed_id=tag_uri(cfg, "feed", name),
        title=title,
        description=description,
        base_url=cfg.base_url,
        author=cfg.title,
        lang=cfg.preferred_language,
    )


def _event_family(
    events: Sequence[Event], cfg: PublishConfig, now: datetime
) -> tuple[FeedMeta, list[FeedEntry]]:
    meta = _meta(
        cfg,
        "events",
        f"{cfg.title}: events",
        "One entry per news event, listing every report of it by language.",
    )
    return meta, newest_first((event_entry(e, cfg, now) for e in events), cfg.max_entries)


def _item_family(
    items: Sequence[PublishedItem], cfg: PublishConfig, now: datetime
) -> tuple[FeedMeta, list[FeedEntry]]:
    meta = _meta(
        cfg,
        "items",
        f"{cfg.title}: items",
        "Deduplicated news items, each with the feed it came from.",
    )
    return meta, newest_first((item_entry(i, cfg, now) for i in items), cfg.max_entries)


def _topic_family(
    topic: TopicEvents, cfg: PublishConfig, now: datetime
) -> tuple[FeedMeta, list[FeedEntry]]:
    slug, title, events = topic
    meta = _meta(
        cfg,
        f"topics/{slug}",
        f"{cfg.title}: {title or slug}",
        f"Events about {title or slug}, in every language.",
    )
    return meta, newest_first((event_entry(e, cfg, now) for e in events), cfg.max_entries)


def _digest_family(
    events: Sequence[Event], cfg: PublishConfig, now: datetime
) -> tuple[FeedMeta, list[FeedEntry]]:
    meta = _meta(
        cfg,
        "digest",
        f"{cfg.title}: daily digest",
        f"One entry per day ({cfg.digest_timezone}) listing its events by outlets.",
    )
    return meta, list(digest_entries(events, cfg, now))


def render_event_feeds(
    events: Sequence[Event], cfg: PublishConfig, now: datetime
) -> dict[str, bytes]:
    """``events.atom``, ``events.rss``, ``events.json``: one entry per event, newest update
    first, at most ``cfg.max_entries``."""
    return _render(*_event_family(events, cfg, now), now)


def render_item_feeds(
    items: Sequence[PublishedItem], cfg: PublishConfig, now: datetime
) -> dict[str, bytes]:
    """``items.atom``, ``items.rss``, ``items.json``: one entry per deduplicated item with
    its source, newest first, at most ``cfg.max_entries``."""
    return _render(*_item_family(items, cfg, now), now)


def render_topic_feeds(
    topics: Sequence[TopicEvents], cfg: PublishConfig, now: datetime
) -> dict[str, bytes]:
    """``topics/<slug>.atom``, ``.rss``, ``.json`` per topic: its events, with the same entry
    ids as ``events.*``."""
    return dict(stream_topic_feeds(topics, cfg, now))


def stream_topic_feeds(
    topics: Sequence[TopicEvents], cfg: PublishConfig, now: datetime
) -> Iterator[tuple[str, bytes]]:
    """:func:`render_topic_feeds`, one file at a time."""
    for topic in topics:
        yield from _formats(*_topic_family(topic, cfg, now), now)


def render_digest_feeds(
    events: Sequence[Event], cfg: PublishConfig, now: datetime
) -> dict[str, bytes]:
    """``digest.atom``, ``.rss``, ``.json``: one entry per day (:mod:`.digest`)."""
    return _render(*_digest_family(events, cfg, now), now)


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
    return dict(render_stream(events, items, cfg, now, topics, digest_events))


def render_stream(
    events: Sequence[Event],
    items: Sequence[PublishedItem],
    cfg: PublishConfig,
    now: datetime,
    topics: Sequence[TopicEvents] = (),
    digest_events: Sequence[Event] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """:func:`render_all`'s files, in its order, each rendered only when the previous one
    has been taken: a caller that writes each one out (:class:`.write.StagedOutputs`) holds
    one rendered file at a time, not all of them (issue 15 item 8)."""
    yield from _formats(*_event_family(events, cfg, now), now)
    digest = events if digest_events is None else digest_events
    yield from _formats(*_digest_family(digest, cfg, now), now)
    yield from _formats(*_item_family(items, cfg, now), now)
    yield "index.html", render_index_html(events, items, cfg, now, topics)
