"""Parse stage, fast path: well-formed RSS 2.0 bytes → :class:`ParsedFeed` through lxml (pure).

Returns exactly what :func:`.document.parse_feed` returns for the documents it accepts
(tests/parse/test_fastparse.py checks that field by field over the whole shared feed corpus), or
None for anything it does not handle exactly: Atom, RSS 0.9x/1.0, a DOCTYPE, ``xml:base`` /
``xml:lang``, an element that feedparser maps onto one of our fields in a way not copied here
(``itunes:summary``, ``media:title``, ``dc:subject`` …), markup nested in a text element, or XML
that is not well-formed (feedparser's loose parser then decides). The caller falls back to
``parse_feed`` on None.

Same input handling as ``parse_feed``: :func:`aggregator.parse.document.decode_document`, the
:func:`.document.check_xml_safety` guard, then lxml with entity resolution and network
access off. What stays feedparser's is the per-field post-processing, called through
feedparser's own helpers so the output is the same string: URI joining, the relative-URI
rewrite of HTML fields (it re-serialises the markup), the "UTF-8 read as Latin-1" repair,
the cp1252 fix-up and date parsing. Where the time goes: feedparser runs a Python callback per
SAX event and builds dictionaries for every element; lxml builds the tree in C.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Mapping
from html.entities import name2codepoint
from typing import Any

from lxml import etree

from aggregator.models import Enclosure, ParsedEntry, ParsedFeed
from aggregator.parse.document import (
    MAX_GUID_CHARS,
    ParseLimits,
    PreparedDocument,
    _dt,
    _int,
    _s,
    default_limits,
    parse_prepared,
    prepare_document,
    skip_hints,
    xml_utf8,
)

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
ATOM_NS = "http://www.w3.org/2005/Atom"
SY_NS = "http://purl.org/rss/1.0/modules/syndication/"

#: Namespaces whose elements feedparser stores under keys we never read (``slash_comments``,
#: ``wfw_commentrss``, ``feedburner_origlink``, ``georss_point``…). Media RSS is allowed only
#: for its childless ``content``/``thumbnail`` elements (``media:title``/``description`` map
#: onto title/summary).
INERT_NS = frozenset(
    {
        "http://purl.org/rss/1.0/modules/slash/",
        "http://wellformedweb.org/CommentAPI/",
        "http://wellformedweb.org/commentAPI/",
        "http://rssnamespace.org/feedburner/ext/1.0",
        "http://www.georss.org/georss",
        "com-wordpress:feed-additions:1",
    }
)
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
#: iTunes item elements that land under keys we never read (``itunes:author``, ``summary`` and
#: ``keywords`` map onto author, summary and tags, so they are not listed).
ITUNES_INERT = frozenset({
    "subtitle", "duration", "explicit", "image", "episode", "season", "episodeType", "block",
})
MEDIA_NS = frozenset({"http://search.yahoo.com/mrss/", "http://search.yahoo.com/mrss"})
MEDIA_INERT = frozenset({"content", "thumbnail"})

#: RSS 2.0 ``<item>`` children handled here (un-namespaced).
ITEM_TAGS = frozenset({
    "title", "link", "description", "guid", "pubDate", "category", "enclosure", "comments",
    "author", "source",
})
#: ``<channel>`` children: the ones we read, plus ones feedparser keeps under keys we never read.
CHANNEL_READ = frozenset({"title", "link", "language", "ttl", "item"})
CHANNEL_INERT = frozenset({
    "description", "copyright", "managingEditor", "webMaster", "pubDate", "lastBuildDate",
    "category", "generator", "docs", "cloud", "image", "rating", "skipHours", "skipDays",
    "textInput", "author",
})
#: ``atom:link`` relations that feedparser does not turn into the feed's ``link``.
INERT_ATOM_LINK_RELS = frozenset({"self", "hub", "next", "previous", "first", "last"})

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    recover=False,
    remove_comments=False,
    load_dtd=False,
)


class _Unusual(Exception):
    """Something outside what the fast path copies exactly: use feedparser."""


def _fp() -> tuple[Any, Any, Any, Any, Any]:
    """feedparser's own helpers (imported lazily: feedparser costs ~60 ms to import)."""
    from feedparser.datetimes import _parse_date
    from feedparser.html import _cp1252
    from feedparser.mixin import _FeedParserMixin
    from feedparser.urls import _urljoin, resolve_relative_uris

    return _parse_date, _cp1252, _FeedParserMixin.looks_like_html, _urljoin, resolve_relative_uris


class _Fields:
    """Per-document state of feedparser's ``pop()`` post-processing, for one base URI."""

    def __init__(self, base: str) -> None:
        (self.parse_date, self.cp1252, self.looks_like_html, self.urljoin, self.resolve_html) = (
            _fp()
        )
        self.base = base

    def finish(
        self, element: str, raw: str, ctype: str = "text/html", *, relative_uri: bool = False
    ) -> str:
        """feedparser's ``_FeedParserMixin.pop`` for a childless element of an RSS document."""
        out = raw.strip()
        if relative_uri and out:
            out = self.urljoin(self.base, out)
        if ctype == "text/plain" and self.looks_like_html(out):
            ctype = "text/html"
        if (
            ctype == "text/html"
            and element in _CAN_CONTAIN_RELATIVE_URIS
            and ("<" in out or "&" in out)
            and not self.inert(out)
        ):
            # feedparser's rewrite re-serialises markup (sgmllib); text without "<" or "&" comes
            # back unchanged (checked on 20,000 random strings), and so does text whose only
            # markup is bare tags of _INERT_TAGS and references it writes back as they are
            # (test_fastparse.py fuzzes both): all skip it.
            out = self.resolve_html(out, self.base, "utf-8", ctype)
        if out.isascii():  # both repairs below leave ASCII as it is: skip them (issue 16)
            return out
        # UTF-8 that was read as Latin-1 somewhere upstream (feedparser repairs it too)
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            out = out.encode("iso-8859-1").decode("utf-8")
        # feedparser's cp1252 table maps only U+0080..U+009F: translating text without one
        # (nearly all) returns it unchanged, at ~1 µs per 100 characters (16% of the fast path).
        return str(out.translate(self.cp1252)) if _C1_CONTROLS.search(out) else out

    def inert(self, out: str) -> bool:
        """True when feedparser's markup rewrite gives ``out`` back as it is: its markup is
        bare :data:`_INERT_TAGS` and references ``_BaseHTMLProcessor`` writes back unchanged
        (an HTML 4 name or ``apos``; a number outside its cp1252 table, in lower-case hex, or
        decimal but not ``&#39;``/``&#34;``, which its ``feed`` turns into quotes). The
        escaped quotes of news HTML sent ~40 % of the peer workload's bodies to sgmllib."""
        if _INERT_MARKUP.fullmatch(out) is None:
            return False
        for name, num in _REF.findall(out) if "&" in out else ():
            code = (int(num[1:], 16) if num[0] == "x" else int(num)) if num else 0
            if (name and name not in _ENTITY_NAMES) or num in ("39", "34") or code in self.cp1252:
                return False
        return True


#: Elements that feedparser's markup rewrite (sgmllib, ``_BaseHTMLProcessor``) writes back
#: exactly as ``<tag>`` / ``</tag>`` when they carry no attribute: not void (``<br>`` comes
#: back as ``<br />``), no URI, no literal content (script, style). Text whose only markup is
#: these tags and references (``_Fields.inert``) comes back unchanged (tests/parse/
#: test_fastparse.py checks it on random strings), so the rewrite (sgmllib) is skipped.
_INERT_TAGS = (
    "p", "b", "i", "em", "strong", "u", "s", "small", "sub", "sup", "blockquote", "ul", "ol",
    "li", "h1", "h2", "h3", "h4", "h5", "h6", "div", "span", "figcaption", "code", "pre",
    "cite", "q", "dl", "dt", "dd",
)
#: Possessive quantifiers: a failing match must not backtrack through the ways of splitting a
#: text run (exponential with a plain ``(?:[^<&]+|…)*``).
_INERT_MARKUP = re.compile(
    r"(?:[^<&]++|</?(?:" + "|".join(_INERT_TAGS) + r")>|&(?:[A-Za-z][A-Za-z0-9]*+|#x[0-9a-f]++"
    r"|#[0-9]++);)*+"
)
#: One reference of text that :data:`_INERT_MARKUP` accepted: a name, or a number.
_REF = re.compile(r"&(?:([A-Za-z][A-Za-z0-9]*)|#(x[0-9a-f]+|[0-9]+));")
#: The names ``_BaseHTMLProcessor.handle_entityref`` writes back as ``&name;``.
_ENTITY_NAMES = frozenset(name2codepoint) | {"apos"}

#: The code points feedparser's ``_cp1252`` table maps (checked in tests/parse/test_fastparse.py).
_C1_CONTROLS = re.compile("[\x80-\x9f]")

_CAN_CONTAIN_RELATIVE_URIS = frozenset(
    {
        "content",
        "copyright",
        "description",
        "info",
        "rights",
        "subtitle",
        "summary",
        "tagline",
        "title",
    }
)


def _text(el: Any) -> str:
    if len(el):  # markup or a comment inside a text element: feedparser re-serialises it
        raise _Unusual(f"child element in <{el.tag}>")
    return str(el.text or "")


def _local(el: Any) -> tuple[str | None, str]:
    tag = el.tag
    if not isinstance(tag, str):  # comment or processing instruction
        return None, ""
    if tag[0] == "{":
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def parse_rss_fast(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    cfg: ParseLimits | None = None,
) -> ParsedFeed | None:
    """The :class:`ParsedFeed` that ``parse_feed`` would return, or None ("use feedparser").
    Raises :class:`ParseError` exactly where ``parse_feed`` would refuse before parsing."""
    return fast_from_prepared(prepare_document(body, headers), url=url, cfg=cfg)


def fast_from_prepared(
    doc: PreparedDocument, *, url: str, cfg: ParseLimits | None = None
) -> ParsedFeed | None:
    """:func:`parse_rss_fast` on an already prepared document."""
    cfg = cfg or default_limits()
    if doc.is_json:
        return None
    text, hdrs, override = doc.text, doc.headers, doc.charset_note
    head = text[:4096]
    if "<!DOCTYPE" in head or "<!doctype" in head or "<rss" not in head:
        return None
    if "xml:base" in text or "xml:lang" in text or 'purl.org/rss/1.0/"' in text:
        return None
    text, data = xml_utf8(text)
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None
    try:
        parsed = _build(root, text, url, hdrs, cfg)
    except _Unusual:
        return None
    # A well-formed document is never bozo here, so the only warning is parse_feed's note on
    # a declared charset that did not decode the document; malformed stays False.
    return dataclasses.replace(parsed, warning=override) if override else parsed


def _build(root: Any, text: str, url: str, hdrs: dict[str, str], cfg: ParseLimits) -> ParsedFeed:
    from feedparser.urls import make_safe_absolute_uri

    if root.tag != "rss" or not str(root.get("version", "")).startswith("2."):
        raise _Unusual("not RSS 2.x")
    channels = [c for c in root if isinstance(c.tag, str)]
    if len(channels) != 1 or channels[0].tag != "channel":
        raise _Unusual("not one channel")
    channel = channels[0]
    # The same base URI feedparser computes from the Content-Location parse_feed hands it.
    fields = _Fields(str(make_safe_absolute_uri("", url) or make_safe_absolute_uri(url) or ""))
    title: str | None = None
    site: str | None = None
    feed_lang: str | None = None
    ttl: str | None = None
    sy: dict[str, str] = {}
    entries: list[ParsedEntry] = []
    for el in channel:
        ns, local = _local(el)
        if ns is None:
            continue
        if ns == "":
            if local == "item":
                entries.append(_item(el, fields))
            elif local == "title":
                if title is None:  # feedparser keeps the first channel title
                    title = fields.finish("title", _text(el), "text/plain")
            elif local == "link":
                if el.attrib:  # <link href=…>: feedparser's Atom-style handling
                    raise _Unusual("link attributes")
                v = fields.finish("link", _text(el), relative_uri=True)
                site = re.sub("&([A-Za-z0-9_]+);", r"&\g<1>", v)
            elif local == "language":
                feed_lang = fields.finish("language", _text(el))
            elif local == "ttl":
                ttl = fields.finish("ttl", _text(el))
            elif local not in CHANNEL_INERT:
                raise _Unusual(f"channel <{local}>")
        elif ns == ATOM_NS and local == "link":
            if el.get("rel") not in INERT_ATOM_LINK_RELS:
                raise _Unusual("atom:link that may set the feed link")
        elif ns == SY_NS:
            sy[local.lower()] = fields.finish("sy_" + local.lower(), _text(el))
        elif (ns == DC_NS and local in ("title", "language")) or ns in (CONTENT_NS, ATOM_NS):
            # dc:title / dc:language set the feed's title and language in feedparser
            raise _Unusual(f"channel {{{ns}}}{local}")
        # other namespaces at channel level: feedparser files them under keys we never read
    # feedparser reads <item> at any depth; we only took the channel's own.
    if sum(1 for _ in root.iter("item", "{*}item")) != len(entries):
        raise _Unusual("item outside the channel")
    hours, days = skip_hints(text)
    return ParsedFeed(
        title=_s(title),
        site_url=_s(site),
        lang=_s(feed_lang) or _s(hdrs.get("content-language")),
        entries=tuple(entries[: cfg.max_entries_per_feed]),
        version="rss20",
        warning=None,
        ttl_minutes=_int(ttl),
        sy_update_period=_s(sy.get("updateperiod")),
        sy_update_frequency=_int(sy.get("updatefrequency")),
        skip_hours=hours,
        skip_days=days,
    )


@dataclasses.dataclass
class _ItemAcc:
    """What one ``<item>``'s children said, as feedparser would keep it."""

    title: str | None = None
    title_seen: bool = False
    link: str | None = None
    guid: str | None = None
    guid_link: str | None = None
    summary: str | None = None
    content: str | None = None
    author: str | None = None
    published: str | None = None
    updated: str | None = None
    source: str | None = None
    enclosures: list[Enclosure] = dataclasses.field(default_factory=list)
    tags: list[tuple[str | None, str | None]] = dataclasses.field(default_factory=list)
    seen_desc: bool = False
    seen_content: bool = False


def _item(item: Any, f: _Fields) -> ParsedEntry:
    acc = _ItemAcc()
    for el in item:
        ns, local = _local(el)
        if ns is None:
            continue
        if ns == "":
            _plain_child(el, local, f, acc)
        else:
            _namespaced_child(el, ns, local, f, acc)
    return _entry(acc, f)


def _plain_child(el: Any, local: str, f: _Fields, acc: _ItemAcc) -> None:
    """An un-namespaced RSS 2.0 child of ``<item>``; anything unusual goes to feedparser."""
    if local not in ITEM_TAGS:
        raise _Unusual(f"item <{local}>")
    if local == "title":
        v = f.finish("title", _text(el), "text/plain")
        if not acc.title_seen:  # feedparser keeps the first non-empty title
            acc.title = v
            acc.title_seen = bool(v)
    elif local == "link":
        if el.attrib:  # <link href=…> / <link uri=…>: feedparser's Atom-style handling
            raise _Unusual("link attributes")
        v = f.finish("link", _text(el), relative_uri=True)
        v = v.replace("&amp;", "&")
        acc.link = re.sub("&([A-Za-z0-9_]+);", r"&\g<1>", v)
    elif local == "guid":
        _guid(el, f, acc)
    elif local == "description":
        if acc.seen_desc or el.get("type") is not None:
            raise _Unusual("second or typed description")
        acc.seen_desc = True
        acc.summary = f.finish("description", _text(el))
    elif local == "pubDate":
        acc.published = f.finish("published", _text(el))
    elif local == "author":
        acc.author = f.finish("author", _text(el))
    elif local == "category":
        term = f.finish("category", _text(el))
        scheme = el.get("domain")
        if term or scheme:
            acc.tags.append((term or None, scheme))
    elif local == "enclosure":
        _enclosure(el, acc)
    elif local == "source":
        if el.get("url") is None:
            raise _Unusual("source without url")
        acc.source = _s(f.finish("source", _text(el)))
    # comments: feedparser keeps it under a key we never read


def _guid(el: Any, f: _Fields, acc: _ItemAcc) -> None:
    if el.attrib:
        permalink = el.get("isPermaLink", el.get("ispermalink", "true")) == "true"
        if any(k.lower() != "ispermalink" for k in el.attrib):
            raise _Unusual("guid attributes")
    else:
        permalink = True
    acc.guid = f.finish("id", _text(el), relative_uri=permalink)
    if permalink and acc.guid_link is None and acc.link is None:
        acc.guid_link = acc.guid


def _enclosure(el: Any, acc: _ItemAcc) -> None:
    if len(el):
        raise _Unusual("enclosure children")
    href = el.get("url", el.get("uri", el.get("href")))
    if href and _s(href):
        etype = el.get("type")
        acc.enclosures.append(
            Enclosure(str(_s(href)), _s(etype.lower() if etype else None), _int(el.get("length")))
        )


def _namespaced_child(el: Any, ns: str, local: str, f: _Fields, acc: _ItemAcc) -> None:
    """content:encoded, dc:creator, dc:date; inert media/iTunes/other namespaces pass."""
    if ns == CONTENT_NS and local == "encoded":
        if acc.seen_content:
            raise _Unusual("second content:encoded")
        acc.seen_content = True
        acc.content = f.finish("content", _text(el))
    elif ns == DC_NS and local == "creator":
        acc.author = f.finish("author", _text(el))
    elif ns == DC_NS and local == "date":
        acc.updated = f.finish("updated", _text(el))
    elif not (
        ns in INERT_NS
        or (ns in MEDIA_NS and local in MEDIA_INERT and not len(el))
        or (ns == ITUNES_NS and local in ITUNES_INERT)
    ):
        raise _Unusual(f"item {{{ns}}}{local}")


def _categories(tags: list[tuple[str | None, str | None]]) -> list[str]:
    categories: list[str] = []
    seen_plain: set[str] = set()
    for tag_term, scheme in tags:
        if tag_term is None:
            continue
        if scheme is None:  # feedparser's _add_tag drops an identical (term, None, None) tag
            if tag_term in seen_plain:
                continue
            seen_plain.add(tag_term)
        kept = _s(tag_term)
        if kept:
            categories.append(kept)
    return categories


def _entry(acc: _ItemAcc, f: _Fields) -> ParsedEntry:
    link = acc.link if acc.link is not None else acc.guid_link
    summary = acc.summary
    if summary is None and acc.content is not None:
        summary = acc.content  # feedparser copies an HTML/text body to the summary
    pub_parsed = f.parse_date(acc.published) if acc.published is not None else None
    upd_parsed = f.parse_date(acc.updated) if acc.updated is not None else None
    g = _s(acc.guid)
    return ParsedEntry(
        guid=g[:MAX_GUID_CHARS] if g else None,
        link=_s(link),
        title=_s(acc.title),
        summary_html=_s(summary),
        content_html=_s(acc.content),
        author=_s(acc.author),
        published_raw=_s(acc.published),
        published=_dt(pub_parsed),
        updated_raw=_s(acc.updated),
        updated=_dt(upd_parsed),
        enclosures=tuple(acc.enclosures),
        categories=tuple(_categories(acc.tags)),
        # Always None here: feedparser restores its language after </language> (langstack),
        # so only xml:lang (refused above) or a Content-Language header would set it.
        lang=None,
        source_title=acc.source,
    )


def parse_feed_fast(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    cfg: ParseLimits | None = None,
) -> ParsedFeed:
    """The fast path where it applies, else :func:`aggregator.parse.document.parse_feed`."""
    # Decoded and vetted once; a fallback to feedparser reuses it.
    doc = prepare_document(body, headers)
    parsed = fast_from_prepared(doc, url=url, cfg=cfg)
    return parsed if parsed is not None else parse_prepared(doc, url=url, cfg=cfg)
