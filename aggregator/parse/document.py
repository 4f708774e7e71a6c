"""Parse stage: response bytes + headers → :class:`ParsedFeed` (pure; CPU only).

The only module that calls feedparser, and only on ``io.BytesIO`` (a ``str`` or ``bytes``
argument is treated as a path or URL: reliability catalogue NET-05). Before feedparser sees
a document we (1) decode it ourselves — BOM, then HTTP charset, then the XML declaration,
then UTF-8, then GB18030 — because declared GB2312 feeds routinely contain GBK/GB18030
characters (ENC-01) and Latin-1 declarations often hide UTF-8 (ENC-02); (2) refuse any
document with ``<!ENTITY`` or an internal DTD subset (XML-01..05: feedparser expands a
quadratic blow-up without limit and falls back to a loose parser that ignores expat's guard);
(3) pin the expat SAX driver (libxml2's driver resolves external entities: XML-01/02).
JSON Feed 1.0/1.1 is read here directly (feedparser 6 does not support it).
"""

from __future__ import annotations

import codecs
import io
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

from aggregator.errors import ParseError as ParseError  # re-exported: callers import it from here
from aggregator.models import Enclosure, ParsedEntry, ParsedFeed

EXPECTED_SAX_DRIVER = "xml.sax.expatreader"


class ParseLimits(Protocol):
    """What parsing reads of ``[parse]``: ``config.ParseConfig`` has it, and so has
    :class:`Limits`, which the parse worker builds from the pool's tuple so that it never
    imports the config module (~25 ms of CPU per worker start)."""

    @property
    def max_entries_per_feed(self) -> int: ...

    @property
    def timeout_s(self) -> float: ...


class Limits(NamedTuple):
    """The ``[parse]`` values a worker gets with each document (the pool's tuple)."""

    max_entries_per_feed: int
    max_field_chars: int
    max_title_chars: int
    timeout_s: float


def default_limits() -> ParseLimits:
    """``[parse]``'s defaults (a call without ``cfg``)."""
    from aggregator.config import ParseConfig

    return ParseConfig()


def feedparser_module() -> Any:
    """feedparser, the way every parse here uses it: expat pinned as its SAX driver (an empty
    preference list makes ``xml.sax.make_parser()`` use the stdlib default,
    :data:`EXPECTED_SAX_DRIVER`, never drv_libxml2: XXE, reliability catalogue XML-01/02).
    Imported on first use: a process that parses nothing (a ``poll`` of 304s, which imports
    this module for :func:`decode_document` and :class:`ParseError`) skips its ~15 ms."""
    import feedparser.api

    feedparser.api.PREFERRED_XML_PARSERS = []
    return feedparser

#: Bytes of the document inspected for an XML declaration and the DTD.
PROLOG_SCAN_BYTES = 4096

#: Longest GUID kept; a 100 KB GUID (catalogue LOAD-09) must not bloat the unique index.
MAX_GUID_CHARS = 2000

#: Bytes given to the charset detector for undeclared, non-UTF-8 documents.
SNIFF_BYTES = 64 * 1024

#: Charset names mapped to the decoder that actually reads what such feeds contain.
#: GB2312/GBK are subsets of GB18030 (ENC-01); Big5 feeds use HKSCS extensions; the WHATWG
#: encoding standard maps Latin-1/ASCII labels to windows-1252.
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "shift_jis": "cp932",
    "sjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
}
_SINGLE_BYTE_LATIN = {"cp1252", "iso-8859-15", "cp1251", "koi8-r", "iso-8859-2"}

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.I)
_XML_DECL_TEXT = re.compile(r"^(\s*<\?xml[^>]*?encoding\s*=\s*)([\"'])[A-Za-z0-9._:-]+\2", re.I)
_ENTITY_DECL = re.compile(r"<!ENTITY", re.I)
_INTERNAL_SUBSET = re.compile(r"<!DOCTYPE[^>\[]*\[", re.I)
_SKIP_HOURS = re.compile(r"<skipHours>(.*?)</skipHours>", re.I | re.S)
_SKIP_DAYS = re.compile(r"<skipDays>(.*?)</skipDays>", re.I | re.S)
_HOUR = re.compile(r"<hour>\s*(\d{1,2})\s*</hour>", re.I)
_DAY = re.compile(r"<day>\s*([A-Za-z]+)\s*</day>", re.I)
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: The C0 characters of :data:`_INVALID_XML_CHARS`, as bytes (UTF-8 holds them only as such).
_INVALID_C0_BYTES = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))


def xml_utf8(text: str) -> tuple[str, bytes]:
    """A document as both parsers get it: without the characters XML 1.0 forbids
    (:data:`_INVALID_XML_CHARS`), its declaration saying utf-8 — as text and as UTF-8. The
    pattern tests a character set at every character (~70 instructions each); a document
    without any (nearly every one) is recognised by the UTF-8 made anyway (no C0 byte but
    tab/LF/CR, ``bytes.translate``: a multi-byte sequence has none; no U+FFFE/U+FFFF). The
    declaration's rewrite neither adds nor removes such a character, so the order of the two
    steps only matters when one is there, and then it is the pattern's as before."""
    if "\ufffe" not in text and "\uffff" not in text:
        out = _XML_DECL_TEXT.sub(r"\1\2utf-8\2", text, count=1)
        try:
            data = out.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: raised below, as before
            pass
        else:
            if len(data.translate(None, _INVALID_C0_BYTES)) == len(data):
                return out, data
    out = _XML_DECL_TEXT.sub(r"\1\2utf-8\2", _INVALID_XML_CHARS.sub("", text), count=1)
    return out, out.encode("utf-8")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    n = name.strip().lower()
    n = CHARSET_ALIASES.get(n, n)
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def decode_document(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a feed to text; returns ``(text, encoding_used)``. Never raises: the last resort
    is UTF-8 with replacement characters."""
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(enc, "replace"), enc
    # BOM-less UTF-16/32: '<' encoded with zero bytes around it.
    for sig, enc in (
        (b"<\0\0\0", "utf-32-le"),
        (b"\0\0\0<", "utf-32-be"),
        (b"<\0?\0", "utf-16-le"),
        (b"\0<\0?", "utf-16-be"),
    ):
        if body.startswith(sig):
            return body.decode(enc, "replace"), enc
    candidates: list[str] = []
    m = _CHARSET_PARAM.search(content_type or "")
    http_cs = _codec(m.group(1)) if m else None
    m2 = _XML_DECL.match(body[:PROLOG_SCAN_BYTES])
    decl_cs = _codec(m2.group(1).decode("ascii", "replace")) if m2 else None
    declared = [
        c
        for c in (http_cs, decl_cs)
        # We got here without a BOM or zero bytes, so the prolog is ASCII-compatible: a
        # UTF-16/32 label on it is wrong (rssant utf-8.not-utf-16.xml).
        if c and not c.startswith(("utf-16", "utf-32"))
    ]
    if not declared and not _valid_utf8(body):
        # Nothing declared and not UTF-8: sniff (Big5, EUC-JP, Shift-JIS, KOI8-R…).
        # GB18030 would "decode" almost any byte pairs, so it cannot be the blind fallback.
        sniffed = _sniff(body)
        if sniffed:
            declared.append(sniffed)
    for c in (*declared, "utf-8", "gb18030", "cp1252"):
        if c and c not in candidates:
            candidates.append(c)
    # A single-byte Latin declaration over bytes that are valid, non-ASCII UTF-8 is almost
    # always a mislabelled UTF-8 feed (ENC-02): valid multi-byte UTF-8 is rarely accidental.
    if candidates[0] in _SINGLE_BYTE_LATIN and not body.isascii():
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    for c in candidates:
        try:
            return body.decode(c), c
        except UnicodeDecodeError:
            continue
    return body.decode("utf-8", "replace"), "utf-8"


def _valid_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _sniff(body: bytes) -> str | None:
    """Detect the charset of an undeclared, non-UTF-8 document (charset-normalizer on the
    first ``SNIFF_BYTES``)."""
    import charset_normalizer

    best = charset_normalizer.from_bytes(body[:SNIFF_BYTES]).best()
    return _codec(best.encoding) if best is not None else None


def _charset_override(body: bytes, content_type: str | None, used: str) -> str | None:
    """A note when the declared charset (HTTP, else XML declaration) is not the one that
    decoded the document (catalogue ENC-02), else None."""
    m = _CHARSET_PARAM.search(content_type or "")
    declared = m.group(1) if m else None
    if declared is None:
        m2 = _XML_DECL.match(body[:PROLOG_SCAN_BYTES])
        declared = m2.group(1).decode("ascii", "replace") if m2 else None
    codec = _codec(declared)
    if declared is None or codec is None or codec == used:
        return None
    if codec.startswith(("utf-16", "utf-32")) and used.startswith(("utf-16", "utf-32")):
        return None  # a BOM decided the byte order
    return f"declared charset {declared} overridden: decoded as {used}"


def skip_hints(text: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """RSS ``skipHours``/``skipDays`` read from the document text (feedparser keeps only the
    last ``<hour>``), as sorted hours 0–23 and capitalised day names."""
    hours: tuple[int, ...] = ()
    days: tuple[str, ...] = ()
    if m := _SKIP_HOURS.search(text):
        hours = tuple(sorted({int(h) % 24 for h in _HOUR.findall(m.group(1))}))
    if m := _SKIP_DAYS.search(text):
        days = tuple(sorted({d.capitalize() for d in _DAY.findall(m.group(1))}))
    return hours, days


def check_xml_safety(text: str) -> None:
    """Refuse entity declarations and internal DTD subsets (XML-01..05). External DTD
    references alone (old RSS 0.91 feeds) are allowed: expat is told not to fetch them."""
    if _ENTITY_DECL.search(text) or _INTERNAL_SUBSET.search(text):
        raise ParseError("DTD entities not allowed (possible entity expansion or XXE attack)")


def _is_json(text: str, content_type: str | None) -> bool:
    ct = (content_type or "").lower()
    return "json" in ct or text.lstrip()[:1] == "{"


def _dt(st: Any) -> datetime | None:
    if not st:
        return None
    try:
        y, mo, d, h, mi, sec = (int(x) for x in st[:6])
        return datetime(y, mo, d, h, mi, sec, tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _s(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def _int(v: Any) -> int | None:
    try:
        return int(str(v).strip())
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class PreparedDocument:
    """A fetched document decoded and vetted once, for whichever parser reads it."""

    #: Decoded text; for XML it has passed :func:`check_xml_safety`.
    text: str
    #: Response headers, names lower-cased.
    headers: dict[str, str]
    #: Note on a declared charset that did not decode the document (ENC-02), else None.
    charset_note: str | None
    is_json: bool


def prepare_document(body: bytes, headers: Mapping[str, str] | None) -> PreparedDocument:
    """Decode ``body`` and refuse unsafe XML (raises :class:`ParseError`)."""
    hdrs = {k.lower(): v for k, v in (headers or {}).items()}
    content_type = hdrs.get("content-type")
    if not body or not body.strip():
        raise ParseError("empty document")
    text, enc = decode_document(body, content_type)
    is_json = _is_json(text, content_type)
    if not is_json:
        check_xml_safety(text)
    return PreparedDocument(text, hdrs, _charset_override(body, content_type, enc), is_json)


def parse_feed(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    cfg: ParseLimits | None = None,
) -> ParsedFeed:
    """Parse one fetched document. Raises :class:`ParseError` for documents that are not
    feeds, are unsafe, or break feedparser; a merely ill-formed feed parses best-effort and
    carries ``warning``."""
    return parse_prepared(prepare_document(body, headers), url=url, cfg=cfg)


def parse_prepared(
    doc: PreparedDocument, *, url: str, cfg: ParseLimits | None = None
) -> ParsedFeed:
    """:func:`parse_feed` on an already prepared document (feedparser, or our JSON Feed
    reader)."""
    cfg = cfg or default_limits()
    headers = doc.headers
    override = doc.charset_note
    if doc.is_json:
        return _parse_json_feed(doc.text, url, cfg)
    text = doc.text
    # Hand feedparser clean UTF-8 whose declaration says so; strip characters XML forbids
    # (XML-07) so one stray control byte does not push the document to the loose parser.
    text, data = xml_utf8(text)
    fp_headers = {"content-type": "application/xml; charset=utf-8", "content-location": url}
    started = time.monotonic()
    try:
        d = feedparser_module().parse(
            io.BytesIO(data), response_headers=fp_headers, sanitize_html=False
        )
    except Exception as exc:  # feedparser raises on some bad character references (XML-06)
        raise ParseError(f"parser failed: {type(exc).__name__}: {exc}"[:500]) from exc
    if time.monotonic() - started > cfg.timeout_s:
        raise ParseError(f"parse exceeded the {cfg.timeout_s:g} s budget")
    version = d.get("version") or ""
    entries_raw = d.get("entries") or []
    warning = None
    if d.get("bozo"):
        bozo = d.get("bozo_exception")
        warning = f"{type(bozo).__name__}: {bozo}"[:500] if bozo else "ill-formed document"
    if override:
        warning = f"{override}; {warning}" if warning else override
    if not version and not entries_raw:
        head = text.lstrip()[:200].lower()
        if head.startswith("<!doctype html") or "<html" in head:
            raise ParseError("not a feed: the server sent an HTML page")
        raise ParseError(f"not a feed{': ' + warning if warning else ''}")
    feed = d.get("feed", {})
    entries = tuple(_entry(e, cfg) for e in entries_raw[: cfg.max_entries_per_feed])
    hours, days = skip_hints(text)
    return ParsedFeed(
        title=_s(feed.get("title")),
        site_url=_s(feed.get("link")),
        lang=_s(feed.get("language")) or _s(headers.get("content-language")),
        entries=entries,
        version=version,
        warning=warning,
        malformed=bool(d.get("bozo")),
        ttl_minutes=_int(feed.get("ttl")),
        sy_update_period=_s(feed.get("sy_updateperiod")),
        sy_update_frequency=_int(feed.get("sy_updatefrequency")),
        skip_hours=hours,
        skip_days=days,
    )


def _entry(e: Any, cfg: ParseLimits) -> ParsedEntry:
    content = None
    if e.get("content"):
        # Prefer an HTML body over a plain-text one when a feed gives both.
        parts = sorted(e["content"], key=lambda c: "html" not in (c.get("type") or ""))
        content = _s(parts[0].get("value"))
    enclosures = []
    for enc in e.get("enclosures") or []:
        href = _s(enc.get("href"))
        if href:
            enclosures.append(Enclosure(href, _s(enc.get("type")), _int(enc.get("length"))))
    source = e.get("source") or {}
    guid = _s(e.get("id"))
    return ParsedEntry(
        guid=guid[:MAX_GUID_CHARS] if guid else None,
        link=_s(e.get("link")),
        title=_s(e.get("title")),
        summary_html=_s(e.get("summary")),
        content_html=content,
        author=_s(e.get("author")),
        published_raw=_s(e.get("published") or e.get("created")),
        published=_dt(e.get("published_parsed") or e.get("created_parsed")),
        # dict.get: FeedParserDict.get("updated") silently falls back to "published".
        updated_raw=_s(dict.get(e, "updated")),
        updated=_dt(dict.get(e, "updated_parsed")),
        enclosures=tuple(enclosures),
        categories=tuple(t for t in (_s(x.get("term")) for x in e.get("tags") or []) if t),
        lang=_s((e.get("title_detail") or {}).get("language")),
        source_title=_s(source.get("title")) if hasattr(source, "get") else None,
    )


def _json_date(v: Any) -> datetime | None:
    if not isinstance(v, str):
        return None
    try:
        dt = datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


def _parse_json_feed(text: str, url: str, cfg: ParseLimits) -> ParsedFeed:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"not a feed: invalid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise ParseError("not a feed: JSON without a JSON Feed version")
    raw_items = doc.get("items")
    items: list[Any] = raw_items if isinstance(raw_items, list) else []
    entries = []
    for it in items[: cfg.max_entries_per_feed]:
        if not isinstance(it, dict):
            continue
        author = it.get("author") or (it.get("authors") or [None])[0]
        encl = []
        for a in it.get("attachments") or []:
            if isinstance(a, dict) and _s(a.get("url")):
                encl.append(
                    Enclosure(str(a["url"]), _s(a.get("mime_type")), _int(a.get("size_in_bytes")))
                )
        entries.append(
            ParsedEntry(
                guid=_s(it.get("id")),
                link=_s(it.get("url")) or _s(it.get("external_url")),
                title=_s(it.get("title")),
                summary_html=_s(it.get("summary")),
                content_html=_s(it.get("content_html")) or _s(it.get("content_text")),
                author=_s(author.get("name")) if isinstance(author, dict) else None,
                published_raw=_s(it.get("date_published")),
                published=_json_date(it.get("date_published")),
                updated_raw=_s(it.get("date_modified")),
                updated=_json_date(it.get("date_modified")),
                enclosures=tuple(encl),
                categories=tuple(str(t) for t in it.get("tags") or [] if isinstance(t, str)),
                lang=_s(it.get("language")),
            )
        )
    ver = str(doc["version"]).rsplit("/", 1)[-1]
    return ParsedFeed(
        title=_s(doc.get("title")),
        site_url=_s(doc.get("home_page_url")),
        lang=_s(doc.get("language")),
        entries=tuple(entries),
        version=f"json{ver.replace('.', '')}",
    )
