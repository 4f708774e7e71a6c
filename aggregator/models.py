"""Typed records passed between pipeline stages (pure data, no I/O).

Flow: ``FeedRecord`` (store) → ``FetchResult`` (fetch) → ``ParsedFeed``/``ParsedEntry`` (parse)
→ ``Item`` (normalize) → ``Decision`` rows (dedupe, cluster) → ``Event`` (cluster, publish).
Raw dicts never cross module boundaries; feedparser's dicts stay inside ``parse``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Credentials:
    """HTTP Basic credentials of one feed, for ``origin`` (``scheme://host:port``) only.
    Never in a log, an output or the database (see :mod:`aggregator.store.credentials`)."""

    username: str
    password: str = field(repr=False)
    origin: str = ""

    def __repr__(self) -> str:
        return f"Credentials(username=<redacted>, password=<redacted>, origin={self.origin!r})"


@dataclass(frozen=True)
class FeedRecord:
    """A subscription as stored in the ``feeds`` table (the subset stages need)."""

    id: int
    url: str
    title: str | None = None
    site_url: str | None = None
    lang: str | None = None
    #: IANA zone that naive dates in this feed are written in (e.g. ``Asia/Shanghai``).
    timezone: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_body_hash: str | None = None
    next_check_at: str | None = None
    last_fetched_at: str | None = None
    last_status: int | None = None
    error_count: int = 0
    #: Start of the current failure streak (None while the feed works).
    first_error_at: str | None = None
    last_error: str | None = None
    disabled: bool = False
    #: GUID policy chosen for this feed: ``guid`` (trust it), ``link``, ``link_date``, ``title``.
    id_policy: str = "guid"
    #: Interval chosen at the last poll, seconds.
    interval_s: int | None = None
    #: Target of the last permanent redirect, and how many polls in a row saw it.
    redirect_url: str | None = None
    redirect_count: int = 0
    #: Space-separated entry-segment fingerprints of the last parsed document.
    entry_fingerprints: str | None = None
    #: Basic-auth credentials (kept outside the database), used by fetch only.
    credentials: Credentials | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class FetchResult:
    """Outcome of one HTTP fetch. ``body`` is the decoded (un-gzipped) payload, capped in size."""

    feed_url: str
    final_url: str
    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    etag: str | None = None
    last_modified: str | None = None
    elapsed_ms: float = 0.0
    error: str | None = None
    #: True for a 304 Not Modified answer.
    not_modified: bool = False
    #: Set when every hop of the redirect chain was permanent (301/308): the new URL to store.
    permanent_url: str | None = None
    #: Seconds the server asked us to wait (Retry-After on 429/503), if any.
    retry_after_s: float | None = None
    #: Parsed Cache-Control max-age / Expires lifetime in seconds, if any.
    cache_lifetime_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Enclosure:
    url: str
    type: str | None = None
    length: int | None = None


@dataclass(frozen=True)
class ParsedEntry:
    """One feed entry as feedparser saw it, typed. Text fields are as published (HTML kept)."""

    guid: str | None
    link: str | None
    title: str | None
    #: Summary/description, may contain HTML.
    summary_html: str | None
    #: Full content (``content:encoded`` / Atom content), may contain HTML.
    content_html: str | None
    author: str | None = None
    #: Raw date strings as they appeared, and feedparser's UTC reading of them.
    published_raw: str | None = None
    published: datetime | None = None
    updated_raw: str | None = None
    updated: datetime | None = None
    enclosures: tuple[Enclosure, ...] = ()
    categories: tuple[str, ...] = ()
    #: ``xml:lang`` / entry language when the feed declares one.
    lang: str | None = None
    #: Atom ``<source>`` / RSS ``<source>`` title when the entry is itself syndicated.
    source_title: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed document: channel metadata, polling hints and entries."""

    title: str | None
    site_url: str | None
    lang: str | None
    entries: tuple[ParsedEntry, ...]
    #: feedparser's format string (``rss20``, ``atom10``, ``json11`` …); empty when not a feed.
    version: str = ""
    #: Non-fatal problems (feedparser's bozo exception, a charset override), as text.
    warning: str | None = None
    #: The XML was not well-formed (feedparser fell back to its loose parser): entries may
    #: be cut short, so they must not overwrite stored ones.
    malformed: bool = False
    #: Polling hints from the document itself.
    ttl_minutes: int | None = None
    sy_update_period: str | None = None
    sy_update_frequency: int | None = None
    skip_hours: tuple[int, ...] = ()
    skip_days: tuple[str, ...] = ()


@dataclass
class Item:
    """A normalised entry ready for dedup, clustering and storage."""

    feed_id: int
    guid: str
    url: str | None
    canonical_url: str | None
    title: str
    summary: str
    content_html: str
    content_text: str
    lang: str
    published_at: str | None
    fetched_at: str
    content_hash: str
    author: str | None = None
    #: Text used for matching only: NFKC, case-folded, Traditional folded to Simplified.
    match_text: str = ""
    enclosures: tuple[Enclosure, ...] = ()
    categories: tuple[str, ...] = ()
    id: int | None = None
    duplicate_of: int | None = None
    event_id: int | None = None


@dataclass(frozen=True)
class Decision:
    """One dedup or clustering decision, stored in ``decisions`` so every merge is explainable."""

    item_id: int
    #: ``dedupe`` or ``cluster``.
    stage: str
    #: e.g. ``guid``, ``canonical_url``, ``content_hash``, ``near_text``, ``containment``,
    #: ``new_event``, ``join_event``, ``unmerged``.
    rule: str
    target_item_id: int | None = None
    target_event_id: int | None = None
    score: float | None = None
    features: Mapping[str, Any] = field(default_factory=dict)
    at: str = ""


@dataclass(frozen=True)
class EventMember:
    item_id: int
    feed_id: int
    source: str
    title: str
    url: str | None
    lang: str
    published_at: str | None
    fetched_at: str
    #: The outlet behind the member's feed (``outlets.name``; the feed title when unknown).
    outlet: str = ""
    country: str | None = None
    #: Plain-text lead (summary, else the start of the text), for the event's summary.
    lead: str = ""
    duplicate_of: int | None = None
    #: When the item was last revised in place (``items.updated_at`` of a revision > 1).
    revised_at: str | None = None


@dataclass(frozen=True)
class OutletRef:
    """An outlet as listed on an event: each once, with its country and languages."""

    name: str
    country: str | None
    languages: tuple[str, ...]


@dataclass(frozen=True)
class EventView:
    """What a reader sees of an event beyond its members (Reader view contract, DESIGN.md):
    headline and summary per language (``en``, ``zh``; None when there is none), which of
    them came from a translator, the outlets, and the story's dates."""

    titles: Mapping[str, str | None]
    summaries: Mapping[str, str | None]
    machine_translated: tuple[str, ...]
    outlets: tuple[OutletRef, ...]
    published_at: str
    updated_at: str


@dataclass(frozen=True)
class Event:
    """A same-story group of unique items, as published (one entry per event)."""

    id: int
    title: str
    first_seen_at: str
    updated_at: str
    members: tuple[EventMember, ...]
    summary: str = ""
    #: Headline in another language than ``title`` (e.g. the Chinese one beside the English).
    alt_title: str | None = None
    view: EventView | None = None
    #: The event's link when its members are not loaded (the digest reads stored views).
    link: str | None = None

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted({m.lang for m in self.members}))

    @property
    def sources(self) -> tuple[str, ...]:
        """The outlets among the members, each once (the feed's title when unknown)."""
        return tuple(sorted({m.outlet or m.source for m in self.members}))
