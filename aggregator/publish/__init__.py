"""Publish stage: events and items → Atom 1.0, RSS 2.0, JSON Feed 1.1 and index.html (pure
renderers) plus one atomic write of the output folder (disk I/O, in :mod:`.write`).

Output contract (DESIGN.md): ``events.{atom,rss,json}`` carry one entry per event with a stable
``tag:`` id whose ``updated`` moves when a member joins, and a body listing every member;
``items.{atom,rss,json}`` carry deduplicated items with ``atom:source`` provenance. Titles are
text in every format, every string is cleaned of XML-illegal characters, every link passes
:func:`aggregator.sanitize.safe_url`.

Modules: :mod:`.entries` (records → format-neutral entries), :mod:`.formats` (Atom/RSS/JSON),
:mod:`.page` (HTML), :mod:`.write` (atomic files).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aggregator.config import PublishConfig
from aggregator.models import Event
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
    "render_all",
    "render_event_feeds",
    "render_index_html",
    "render_item_feeds",
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
)


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
    )
    entries = newest_first((item_entry(i, cfg, now) for i in items), cfg.max_entries)
    return _render(meta, entries, now)


def render_index_html(
    events: Sequence[Event], items: Sequence[PublishedItem], cfg: PublishConfig, now: datetime
) -> bytes:
    """``index.html``: events first (members grouped by language), then the latest items."""
    return render_page(events, items, cfg, now)


def render_all(
    events: Sequence[Event], items: Sequence[PublishedItem], cfg: PublishConfig, now: datetime
) -> dict[str, bytes]:
    """Every file of :data:`OUTPUT_FILES`, ready for :func:`write_outputs`."""
    files = render_event_feeds(events, cfg, now)
    files.update(render_item_feeds(items, cfg, now))
    files["index.html"] = render_index_html(events, items, cfg, now)
    return files
