"""Publish stage, formats: ``FeedEntry`` lists → Atom 1.0, RSS 2.0, JSON Feed 1.1 bytes (pure).

Atom and RSS are lxml trees (no string templates), element for element the ones feedgen
builds (the project wrote them through feedgen until session 7; the bytes are the same, see
``tests/publish/test_formats_feedgen.py``), JSON Feed is ``json.dumps``'s ``indent=1`` text
(written by :mod:`.jsontext`).
Titles are text in every format; RSS ``description`` carries the HTML body (no plain text
there: readers render it as HTML).

Beyond what feedgen says (validator warnings on main a2054d1): ``xml:lang`` on every Atom
entry, ``id`` and ``updated`` in every ``atom:source``, and ``dc:creator`` on every RSS item
(RSS ``<author>`` must be an e-mail address, which we never have); the channel
``<language>`` comes from ``FeedMeta.lang``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from aggregator.publish.entries import FeedEntry, feed_updated, rfc3339, text
from aggregator.publish.jsontext import dumps_indent1_utf8

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
#: JSON Feed extension key for our own members (spec: extensions start with ``_``).
JSON_EXTENSION_KEY = "_aggregator"
GENERATOR_NAME = "aggregator"


@dataclass(frozen=True)
class FeedMeta:
    """Channel-level fields of one published feed (``name`` is the file stem, e.g. ``events``)."""

    name: str
    feed_id: str
    title: str
    description: str
    base_url: str
    #: Feed-level atom:author (Atom requires one on the feed or on every entry).
    author: str
    lang: str | None = None

    def url(self, ext: str) -> str:
        return urljoin(self.base_url, f"{self.name}.{ext}")


_ATOM_NS = "http://www.w3.org/2005/Atom"
_A = f"{{{_ATOM_NS}}}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
#: The namespaces of an RSS document, in feedgen's order (``dc`` from its extension first).
_RSS_NSMAP = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "atom": _ATOM_NS,
    "content": "http://purl.org/rss/1.0/modules/content/",
}
#: feedgen's default ``<docs>`` of an RSS channel.
_RSS_DOCS = "http://www.rssboard.org/rss-specification"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _sub(parent: Any, tag: str, value: str | None = None, **attrib: str) -> Any:
    el = etree.SubElement(parent, tag, **attrib)
    if value is not None:
        el.text = value
    return el


def rfc2822(dt: datetime) -> str:
    """``Mon, 07 Dec 2026 04:06:39 +0000``: ``strftime('%a, %d %b %Y %H:%M:%S %z')`` in the C
    locale (as feedgen writes it), whatever the process locale."""
    return f"{_DAYS[dt.weekday()]}, {dt.strftime('%d')} {_MONTHS[dt.month - 1]} " + dt.strftime(
        "%Y %H:%M:%S %z"
    )


def _atom_entry(feed: Any, e: FeedEntry) -> None:
    """One ``<entry>`` in feedgen's element order, plus ``xml:lang`` and the ``atom:source``
    ``id``/``updated`` (module docstring)."""
    if not (e.id and e.title):
        raise ValueError("Required fields not set")  # as feedgen
    el = _sub(feed, f"{_A}entry")
    if e.lang:
        el.set(_XML_LANG, e.lang)
    _sub(el, f"{_A}id", e.id)
    _sub(el, f"{_A}title", e.title)
    _sub(el, f"{_A}updated", e.updated.isoformat())
    for name in e.authors:
        if name:
            _sub(_sub(el, f"{_A}author"), f"{_A}name", name)
    _sub(el, f"{_A}content", e.content_html or "<p></p>").set("type", "html")
    if e.link:
        # No rel: feedgen's entry loop reads rel from the new element, so never writes one
        # (alternate is the default, RFC 4287 4.2.7.2).
        _sub(el, f"{_A}link", href=e.link)
    if e.summary:
        _sub(el, f"{_A}summary", e.summary).set("type", "text")
    if e.published:
        _sub(el, f"{_A}published", e.published.isoformat())
    if e.source_title and e.source_url:
        src = _sub(el, f"{_A}source")
        _sub(src, f"{_A}title", e.source_title)
        _sub(src, f"{_A}link", href=e.source_url)
        if e.source_id:
            _sub(src, f"{_A}id", e.source_id)
        _sub(src, f"{_A}updated", rfc3339(e.source_updated or e.updated))


def render_atom(meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime) -> bytes:
    """Atom 1.0 (RFC 4287) document. Built on lxml directly, element for element the tree
    that feedgen built and this module then completed (same bytes, one build and one
    serialisation instead of feedgen's objects, its text and a second parse)."""
    if not (meta.feed_id and text(meta.title)):
        raise ValueError("Required fields not set")  # as feedgen
    feed = etree.Element(f"{_A}feed", nsmap={None: _ATOM_NS})
    if meta.lang:
        feed.set(_XML_LANG, meta.lang)
    _sub(feed, f"{_A}id", meta.feed_id)
    _sub(feed, f"{_A}title", text(meta.title))
    _sub(feed, f"{_A}updated", feed_updated(entries, now).isoformat())
    _sub(_sub(feed, f"{_A}author"), f"{_A}name", text(meta.author) or GENERATOR_NAME)
    _sub(feed, f"{_A}link", href=meta.url("atom")).set("rel", "self")
    _sub(feed, f"{_A}link", href=meta.base_url).set("rel", "alternate")
    _sub(feed, f"{_A}generator", GENERATOR_NAME)  # no URI: the project has no public home
    if subtitle := text(meta.description):
        _sub(feed, f"{_A}subtitle", subtitle)
    for e in entries:
        _atom_entry(feed, e)
    out: bytes = etree.tostring(feed, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    return out


def _rss_item(channel: Any, e: FeedEntry, creator: str) -> None:
    """One ``<item>`` in feedgen's element order (RSS ``<author>`` needs an e-mail address,
    which we never have: ``dc:creator`` instead)."""
    el = _sub(channel, "item")
    if e.title:
        _sub(el, "title", e.title)
    if e.link:
        _sub(el, "link", e.link)
    # An entry without a body gets its title as the description, escaped: RSS readers
    # render description as HTML (a raw "<script>" title was one: test_fuzz).
    _sub(el, "description", e.content_html or f"<p>{html.escape(text(e.title))}</p>")
    _sub(el, "guid", e.id).set("isPermaLink", "false")
    if e.published:
        _sub(el, "pubDate", rfc2822(e.published))
    if e.source_title and e.source_url:
        _sub(el, "source", e.source_title, url=e.source_url)
    _sub(el, _DC_CREATOR, ", ".join(e.authors) or creator)


def render_rss(meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime) -> bytes:
    """RSS 2.0 document (guid = our tag: id, isPermaLink="false"), the tree feedgen built,
    built directly (see :func:`render_atom`)."""
    if not (text(meta.title) and meta.base_url and text(meta.description)):
        raise ValueError("Required fields not set")  # as feedgen
    rss = etree.Element("rss", version="2.0", nsmap=_RSS_NSMAP)
    channel = _sub(rss, "channel")
    _sub(channel, "title", text(meta.title))
    # feedgen takes RSS <link> from its last link: the alternate (the site).
    _sub(channel, "link", meta.base_url)
    _sub(channel, "description", text(meta.description))
    _sub(channel, f"{_A}link", href=meta.url("rss"), rel="self")
    _sub(channel, "docs", _RSS_DOCS)
    _sub(channel, "generator", GENERATOR_NAME)
    if meta.lang:
        _sub(channel, "language", meta.lang)
    _sub(channel, "lastBuildDate", rfc2822(feed_updated(entries, now)))
    creator = text(meta.author) or GENERATOR_NAME
    for e in entries:
        _rss_item(channel, e, creator)
    out: bytes = etree.tostring(
        etree.ElementTree(rss), pretty_print=True, xml_declaration=True, encoding="UTF-8"
    )
    return out


def _json_item(e: FeedEntry) -> dict[str, Any]:
    item: dict[str, Any] = {"id": e.id, "title": e.title}
    if e.link:
        item["url"] = e.link
    item["content_html"] = e.content_html or "<p></p>"
    if e.summary:
        item["summary"] = e.summary
    if e.published:
        item["date_published"] = rfc3339(e.published)
    item["date_modified"] = rfc3339(e.updated)
    if e.authors:
        item["authors"] = [{"name": a} for a in e.authors]
    if e.lang:
        item["language"] = e.lang
    item[JSON_EXTENSION_KEY] = dict(e.extension)
    return item


def render_json(meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime) -> bytes:
    """JSON Feed 1.1 document; our members under ``_aggregator`` in each item."""
    doc: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": text(meta.title),
        "home_page_url": meta.base_url,
        "feed_url": meta.url("json"),
        "description": text(meta.description),
        "authors": [{"name": text(meta.author) or GENERATOR_NAME}],
    }
    if meta.lang:
        doc["language"] = meta.lang
    doc[JSON_EXTENSION_KEY] = {
        "about": meta.base_url,
        "id": meta.feed_id,
        "updated": rfc3339(feed_updated(entries, now)),
    }
    doc["items"] = [_json_item(e) for e in entries]
    # ensure_ascii=False keeps Chinese readable; every string went through clean_text, so no
    # lone surrogate can make the UTF-8 encoding fail.
    # Encoded piece by piece, the newline with them: one copy of the text and its pieces.
    return dumps_indent1_utf8(doc, "\n")
