"""OPML 2.0 subscription lists: read ``feeds.opml`` into :class:`Subscription` records and
write them back (pure; the CLI does the file I/O).

Outlets without a feed of their own are reached through an RSSHub route. Such outlines carry
``bridge="rsshub"`` and ``bridgeRoute="/apnews/topics/ap-top-news"``; their ``xmlUrl`` is
rebuilt from ``[bridges] rsshub`` at import, so moving to a self-hosted bridge is one config
change. The document goes through the same entity guard as feeds (an OPML file from the web
is untrusted input too).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from aggregator.parse.document import ParseError, check_xml_safety, decode_document


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


def bridge_url(base: str, route: str) -> str:
    return base.rstrip("/") + "/" + route.lstrip("/")


def read_opml(data: bytes, *, rsshub_base: str) -> list[Subscription]:
    """Subscriptions in document order; nested outlines give their text as category."""
    text, _ = decode_document(data, None)
    try:
        check_xml_safety(text)
        root = ET.fromstring(text.encode("utf-8"))
    except (ParseError, ET.ParseError) as exc:
        raise ValueError(f"not a usable OPML file: {exc}") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise ValueError("not an OPML file: no <opml><body>")
    out: list[Subscription] = []

    def walk(node: ET.Element, category: str | None) -> None:
        for o in node.findall("outline"):
            url = o.get("xmlUrl")
            bridge = o.get("bridge") or o.get("bridged")
            route = o.get("bridgeRoute")
            if url and bridge == "rsshub":
                if not route:
                    from urllib.parse import urlsplit

                    parts = urlsplit(url)
                    route = parts.path + (f"?{parts.query}" if parts.query else "")
                url = bridge_url(rsshub_base, route)
            if url:
                out.append(
                    Subscription(
                        url=url,
                        title=o.get("title") or o.get("text"),
                        site_url=o.get("htmlUrl"),
                        lang=o.get("language"),
                        timezone=o.get("timezone"),
                        bridge=bridge,
                        bridge_route=route if bridge else None,
                        category=category,
                        outlet=o.get("outlet"),
                        country=o.get("country"),
                    )
                )
            else:
                walk(o, o.get("title") or o.get("text") or category)

    walk(body, None)
    return out


def write_opml(subs: Iterable[Subscription], *, title: str = "aggregator subscriptions") -> bytes:
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
        attrs = {
            "type": "rss",
            "text": s.title or s.url,
            "title": s.title or s.url,
            "xmlUrl": s.url,
        }
        if s.site_url:
            attrs["htmlUrl"] = s.site_url
        if s.lang:
            attrs["language"] = s.lang
        if s.timezone:
            attrs["timezone"] = s.timezone
        if s.outlet:
            attrs["outlet"] = s.outlet
        if s.country:
            attrs["country"] = s.country
        if s.bridge:
            attrs["bridge"] = s.bridge
            if s.bridge_route:
                attrs["bridgeRoute"] = s.bridge_route
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    xml = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + xml + "\n").encode("utf-8")
