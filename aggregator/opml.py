"""OPML 2.0 subscription lists: read ``feeds.opml`` into :class:`Subscription` records, write
them out, and edit a document in place (pure: bytes in, bytes out; the CLI does the file I/O).

Outlets without a feed of their own are reached through an RSSHub route. Such outlines carry
``bridge="rsshub"`` and ``bridgeRoute="/apnews/topics/ap-top-news"``; their ``xmlUrl`` is
rebuilt from ``[bridges] rsshub`` at import, so moving to a self-hosted bridge is one config
change (the store rewrites those feeds in place: ``pipeline/subscriptions.py``). The document
goes through the same entity guard as feeds (an OPML file from the web is untrusted input too).

``feeds.opml`` is the user's file: :class:`OpmlDocument` adds and removes outlines without
touching anything else (header, comments, attribute order, attributes we do not know such as
``outlet`` or ``country``), so ``feeds add`` followed by ``feeds remove`` gives the same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aggregator.errors import ConfigError
from aggregator.parse.document import ParseError, check_xml_safety, decode_document

#: Outline attributes with a field of their own in :class:`Subscription`; any other attribute
#: is carried in ``Subscription.extra`` so that a read → write round trip keeps it.
KNOWN_ATTRS = frozenset(
    {"type", "text", "title", "xmlUrl", "htmlUrl", "language", "timezone", "bridge", "bridged",
     "bridgeRoute", "outlet", "country"}
)  # fmt: skip
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


class OpmlError(ConfigError):
    """The document is not a usable OPML file (malformed, unsafe, or not OPML)."""


@dataclass(frozen=True)
class Subscription:
    url: str
    title: str | None = None
    site_url: str | None = None
    lang: str | None = None
    timezone: str | None = None
    #: ``rsshub`` when the feed comes through a bridge, else None.
    bridge: str | None = None
    bridge_route: str | None = None
    category: str | None = None
    #: The organisation behind the feed (``outlet`` attribute; AP for every AP feed) and its
    #: country (ISO 3166 alpha-2, ``country`` attribute); inferred from the site when absent.
    outlet: str | None = None
    country: str | None = None
    #: Other outline attributes, in document order (kept on round trips).
    extra: tuple[tuple[str, str], ...] = ()


def bridge_url(base: str, route: str) -> str:
    return base.rstrip("/") + "/" + route.lstrip("/")


def _route_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _checked_text(data: bytes) -> str:
    text, _ = decode_document(data, None)
    try:
        check_xml_safety(text)
    except ParseError as exc:
        raise OpmlError(f"not a usable OPML file: {exc}") from exc
    return text


def _subscription(attrs: dict[str, str], category: str | None, rsshub_base: str) -> Subscription:
    url = attrs["xmlUrl"]
    bridge = attrs.get("bridge") or attrs.get("bridged")
    route = attrs.get("bridgeRoute")
    if bridge == "rsshub":
        route = route or _route_of(url)
        url = bridge_url(rsshub_base, route)
    return Subscription(
        url=url,
        title=attrs.get("title") or attrs.get("text"),
        site_url=attrs.get("htmlUrl"),
        lang=attrs.get("language"),
        timezone=attrs.get("timezone"),
        bridge=bridge,
        bridge_route=route if bridge else None,
        category=category,
        outlet=attrs.get("outlet"),
        country=attrs.get("country"),
        extra=tuple((k, v) for k, v in attrs.items() if k not in KNOWN_ATTRS),
    )


def read_opml(data: bytes, *, rsshub_base: str) -> list[Subscription]:
    """Subscriptions in document order; nested outlines give their text as category."""
    text = _checked_text(data)
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as exc:
        raise OpmlError(f"not a usable OPML file: {exc}") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise OpmlError("not an OPML file: no <opml><body>")
    out: list[Subscription] = []

    def walk(node: ET.Element, category: str | None) -> None:
        for o in node.findall("outline"):
            if o.get("xmlUrl"):
                out.append(_subscription(dict(o.attrib), category, rsshub_base))
            else:
                walk(o, o.get("title") or o.get("text") or category)

    walk(body, None)
    return out


def outline_attrs(s: Subscription) -> dict[str, str]:
    """The attributes of ``s``'s outline, in the order the bundled file writes them."""
    attrs = {
        "text": s.title or s.url,
        "title": s.title or s.url,
        "type": "rss",
        "xmlUrl": s.url,
    }
    if s.site_url:
        attrs["htmlUrl"] = s.site_url
    if s.lang:
        attrs["language"] = s.lang
    if s.bridge:
        attrs["bridge"] = s.bridge
        if s.bridge_route:
            attrs["bridgeRoute"] = s.bridge_route
    if s.timezone:
        attrs["timezone"] = s.timezone
    if s.outlet:
        attrs["outlet"] = s.outlet
    if s.country:
        attrs["country"] = s.country
    attrs.update(s.extra)
    return attrs


def write_opml(subs: Iterable[Subscription], *, title: str = "aggregator subscriptions") -> bytes:
    """A new OPML document; subscriptions with a category go into one outline per category."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    groups: dict[str | None, ET.Element] = {}
    for s in subs:
        parent = body
        if s.category:
            if s.category not in groups:
                groups[s.category] = ET.SubElement(
                    body, "outline", text=s.category, title=s.category
                )
            parent = groups[s.category]
        ET.SubElement(parent, "outline", outline_attrs(s))
    ET.indent(root)
    xml = ET.tostring(root, encoding="unicode")
    return (XML_DECLARATION + xml + "\n").encode("utf-8")


class OpmlDocument:
    """An OPML file edited in place (lxml keeps comments, processing instructions and the
    whitespace between outlines; entities are neither loaded nor resolved)."""

    def __init__(self, data: bytes) -> None:
        from lxml import etree

        _checked_text(data)
        parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        try:
            self._root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            raise OpmlError(f"not a usable OPML file: {exc}") from exc
        body = self._root.find("body")
        if self._root.tag != "opml" or body is None:
            raise OpmlError("not an OPML file: no <opml><body>")
        self._body = body

    def to_bytes(self) -> bytes:
        from lxml import etree

        text: str = etree.tostring(self._root.getroottree(), encoding=str)
        return (XML_DECLARATION + text + "\n").encode("utf-8")

    def _feed_outlines(self) -> list[tuple[Any, str | None]]:
        out: list[tuple[Any, str | None]] = []

        def walk(node: Any, category: str | None) -> None:
            for o in node.findall("outline"):
                if o.get("xmlUrl"):
                    out.append((o, category))
                else:
                    walk(o, o.get("title") or o.get("text") or category)

        walk(self._body, None)
        return out

    def subscriptions(self, *, rsshub_base: str) -> list[Subscription]:
        return [_subscription(dict(o.attrib), cat, rsshub_base) for o, cat in self._feed_outlines()]

    def _category_outline(self, name: str) -> Any:
        for o in self._body.iter("outline"):
            if not o.get("xmlUrl") and name in (o.get("title"), o.get("text")):
                return o
        return _append(self._body, {"text": name, "title": name})

    def add(self, sub: Subscription) -> None:
        """Append ``sub``'s outline to its category (made if missing) or to the body."""
        parent = self._category_outline(sub.category) if sub.category else self._body
        _append(parent, outline_attrs(sub))

    def remove(self, url: str, *, rsshub_base: str) -> Subscription | None:
        """Remove the first outline whose feed URL (bridged: as rebuilt from ``rsshub_base``,
        or its route) is ``url``; returns what it held, or None if there is none."""
        for o, cat in self._feed_outlines():
            sub = _subscription(dict(o.attrib), cat, rsshub_base)
            if url in (sub.url, o.get("xmlUrl")) or (
                sub.bridge_route is not None and _route_of(url) == sub.bridge_route
            ):
                _detach(o)
                return sub
        return None


def _append(p: Any, attrs: dict[str, str]) -> Any:
    """A new child outline indented like its siblings (or one level deeper than ``parent``)."""
    from lxml import etree

    child = etree.Element("outline", attrs)
    kids = list(p)
    if kids:
        last = kids[-1]
        sep = kids[-2].tail if len(kids) >= 2 else p.text
        child.tail = last.tail
        last.tail = sep
    else:
        depth = sum(1 for _ in p.iterancestors())
        p.text = "\n" + "  " * (depth + 1)
        child.tail = "\n" + "  " * depth
    p.append(child)
    return child


def _detach(n: Any) -> None:
    """Remove an outline; the whitespace around it goes with it (the inverse of _append)."""
    parent = n.getparent()
    assert parent is not None
    prev = n.getprevious()
    if n.getnext() is None:
        if prev is not None:
            prev.tail = n.tail
        else:
            parent.text = None
    parent.remove(n)
