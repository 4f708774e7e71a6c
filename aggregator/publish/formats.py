"""Publish stage, formats: ``FeedEntry`` lists → Atom 1.0, RSS 2.0, JSON Feed 1.1 bytes (pure).

Atom and RSS are built by feedgen on lxml (no string templates), JSON Feed by ``json.dumps``
(its ``indent=1`` text, written by :mod:`.jsontext`).
Titles are text in every format; RSS ``description`` carries the HTML body (no plain text
there: readers render it as HTML).

What feedgen cannot say is added to its lxml tree before serialising (validator warnings on
main a2054d1): ``xml:lang`` on every Atom entry, ``id`` and ``updated`` in every
``atom:source``, and ``dc:creator`` on every RSS item (RSS ``<author>`` must be an e-mail
address, which we never have); the channel ``<language>`` comes from ``FeedMeta.lang``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator
from lxml import etree

from aggregator.publish.entries import FeedEntry, feed_updated, rfc3339, text
from aggregator.publish.jsontext import dumps_indent1

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


def _generator(meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime, ext: str) -> Any:
    fg = FeedGenerator()
    fg.id(meta.feed_id)
    fg.title(text(meta.title))
    fg.subtitle(text(meta.description))  # also RSS <description>
    fg.author({"name": text(meta.author) or GENERATOR_NAME})
    fg.generator(GENERATOR_NAME)  # no URI: the project has no public home
    if meta.lang:
        fg.language(meta.lang)
    # feedgen takes RSS <link> from the *last* link() call: self first, alternate last.
    fg.link(href=meta.url(ext), rel="self")
    fg.link(href=meta.base_url, rel="alternate")
    fg.updated(feed_updated(entries, now))
    if ext == "rss":
        fg.load_extension("dc")
    for e in entries:
        fe = fg.add_entry(order="append")
        fe.guid(e.id, permalink=False)  # sets atom:id as well
        fe.title(e.title)
        fe.updated(e.updated)
        if e.published:
            fe.published(e.published)
        if e.link:
            fe.link(href=e.link, rel="alternate")
        for name in e.authors:
            fe.author({"name": name})
        if e.source_title and e.source_url:
            fe.source(url=e.source_url, title=e.source_title)
        if ext == "atom":
            fe.content(e.content_html or "<p></p>", type="html")
            if e.summary:
                fe.summary(e.summary, type="text")
        else:
            # An entry without a body gets its title as the description, escaped: RSS
            # readers render description as HTML (a raw "<script>" title was one: test_fuzz).
            fe.description(e.content_html or f"<p>{html.escape(text(e.title))}</p>")
            fe.dc.dc_creator(", ".join(e.authors) or text(meta.author) or GENERATOR_NAME)
    return fg


_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_A = "{http://www.w3.org/2005/Atom}"


def _finish_atom(root: Any, entries: Sequence[FeedEntry]) -> bytes:
    """Per entry ``xml:lang`` and ``atom:source`` ``id``/``updated`` (module docstring)."""
    for el, e in zip(root.iter(f"{_A}entry"), entries, strict=True):
        if e.lang:
            el.set(_XML_LANG, e.lang)
        src = el.find(f"{_A}source")
        if src is not None:
            if e.source_id:
                etree.SubElement(src, f"{_A}id").text = e.source_id
            etree.SubElement(src, f"{_A}updated").text = rfc3339(e.source_updated or e.updated)
    out: bytes = etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
    return out


def render_atom(meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime) -> bytes:
    """Atom 1.0 (RFC 4287) document."""
    # feedgen's text is parsed back at once and not kept: one serialised copy at a time.
    root = etree.fromstring(
        _generator(meta, entries, now, "atom").atom_str(pretty=False, encoding="UTF-8"),
        etree.XMLParser(remove_blank_text=True, resolve_entities=False),
    )
    return _finish_atom(root, entries)


def render_rss(meta: FeedMeta, entries: Sequence[FeedEntry], now: datetime) -> bytes:
    """RSS 2.0 document (guid = our tag: id, isPermaLink="false")."""
    out: bytes = _generator(meta, entries, now, "rss").rss_str(pretty=True, encoding="UTF-8")
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
    # Encoded before the newline is added: two copies of the text at most, not three.
    return dumps_indent1(doc).encode("utf-8") + b"\n"
