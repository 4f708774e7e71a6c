"""Sanitising (normalize, publish): untrusted HTML, text and URLs → safe ones (pure).

Feed content is hostile input (catalogue OUT-01..04, LOAD-06): feedparser's own sanitiser is not
trusted, so every piece of HTML we republish goes through :func:`sanitize_html` (nh3 = ammonia,
an allowlist sanitiser), every link through :func:`safe_url`, every string put in XML through
:func:`clean_text`. Inputs are capped in length and nesting depth *before* nh3, whose run time
grows quadratically with depth (100k nested ``<div>`` took 76 s unguarded).
"""

from __future__ import annotations

import contextvars
import functools
import html
import ipaddress
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

#: Longest HTML accepted by :func:`sanitize_html` / :func:`html_to_text`, in characters.
#: Above ``parse.max_field_chars`` (200k) so that normal content is never cut here; this is
#: the last line of defence for callers that skipped the parse cap (LOAD-06: 1.1 MB input).
MAX_HTML_CHARS = 512 * 1024
#: Deepest element nesting kept; deeper tags are dropped (their text is kept). Miniflux's
#: ``TestDeeplyNestedpage`` uses 512; nh3 cleans 512 nested divs in ~1 ms (5000: 60 ms).
MAX_NESTING_DEPTH = 512
#: Longest URL accepted by :func:`safe_url`, in characters (LOAD-09: 100 KB links exist).
#: 8 KiB is the request-line limit of common servers, so longer links cannot work anyway.
MAX_URL_CHARS = 8192

#: Distinct (url, base) pairs :func:`safe_url` remembers: pages and feeds repeat the same links
#: (members, sources, nav links) many times. Worst case 1024 × 2 × 8 KiB = 16 MiB.
URL_CACHE_SIZE = 1024

#: Schemes a republished link may use; ``mailto`` only inside content, never as an entry link.
CONTENT_URL_SCHEMES = frozenset({"http", "https", "mailto"})
WEB_SCHEMES = frozenset({"http", "https"})

#: Tags fit for news content. No script/style/iframe/object/embed/form/input/meta/base/link,
#: no svg/math (``xlink:href`` vectors), no video/audio (they fetch on load).
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "acronym", "article", "aside", "b", "bdi", "bdo", "blockquote", "br",
        "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn",
        "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hgroup", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre",
        "q", "rp", "rt", "rtc", "ruby", "s", "samp", "section", "small", "span", "strike",
        "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time",
        "tr", "tt", "u", "ul", "var", "wbr",
    }
)  # fmt: skip
#: Tags removed together with their content (text inside them is not article text).
DROP_CONTENT_TAGS = frozenset(
    {
        "script", "style", "iframe", "frame", "frameset", "noframes", "object", "embed", "applet",
        "noscript", "noembed", "template", "svg", "math", "textarea", "select", "button", "title",
        "head",
    }
)  # fmt: skip
#: Attributes kept per tag. No ``style`` (CSS ``url()``, ``expression()``, ``position:fixed``),
#: no ``class``/``id`` (they would bind to our page's CSS/anchors), no ``on*``, no ``target``.
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"lang", "dir", "title"},
    "a": {"href", "hreflang"},
    "abbr": {"title"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "time": {"datetime"},
}
#: Attributes holding a URL; nh3 checks schemes on href/src only, ``cite`` is ours to check.
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
#: Hosts that only serve tracking pixels / click counters (from Miniflux's blocklist).
TRACKER_HOSTS = frozenset(
    {
        "feeds.feedburner.com", "feedproxy.google.com", "feedsportal.com", "pi.feedsportal.com",
        "da.feedsportal.com", "pixel.wp.com", "stats.wordpress.com", "pixel.quantserve.com",
        "www.google-analytics.com", "googleads.g.doubleclick.net", "pixel.yabidos.com",
        "feeds.feedblitz.com", "rss.feedsportal.com",
    }
)  # fmt: skip
#: An image this small (px, both sides) is a tracking pixel.
TRACKER_MAX_SIZE_PX = 1

# Elements whose end tag is optional or that cannot nest in practice: not counted as depth,
# so a long list of unclosed <p>/<li> does not flatten the rest of an article.
_VOID_OR_OPTIONAL = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody",
        "tfoot", "option", "optgroup", "rb", "rt", "rtc", "rp", "colgroup", "caption", "html",
        "head", "body",
    }
)  # fmt: skip
_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^>]*>")
# nh3's serializer always double-quotes attribute values and escapes `"` inside them.
_IMG_RE = re.compile(r"<img\b(?:[^>\"]|\"[^\"]*\")*>")
_IMG_ATTR_RE = re.compile(r'\s([a-z]+)="([^"]*)"')

# XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
_XML_BAD_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# WHATWG URL parsing strips leading/trailing C0 controls and spaces, and removes tab/LF/CR
# anywhere; browsers therefore run `java\tscript:`. We strip the same (and other C0) first.
_URL_STRIP_RE = re.compile("[\x00-\x20\x7f]+")
_URL_CONTROL_RE = re.compile("[\x00-\x1f\x7f]+")
_URL_EDGE_CHARS = "".join(chr(c) for c in range(0x21))
# Already clean absolute http(s) URL: lower-case scheme, no space, control or backslash.
_PLAIN_WEB_URL_RE = re.compile(r"https?://[^\x00-\x20\x7f\\\ud800-\udfff\ufffe\uffff]+\Z")
_URL_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")


#: The characters of :data:`_XML_BAD_RE` an ASCII string can hold (C0 but tab, LF, CR).
_XML_BAD_ASCII = bytes(c for c in range(0x20) if c not in (0x09, 0x0A, 0x0D))


def clean_text(s: str) -> str:
    """Remove characters XML 1.0 forbids (C0 controls but tab/LF/CR, lone surrogates,
    U+FFFE/U+FFFF), so one bad entry never breaks a whole feed (OUT-04).

    The text of every item goes through here 8-10 times while it is normalised, and the
    pattern tests a character set at every character (~50 instructions each), so the
    common cases test bytes instead (``bytes.translate``, a table lookup per byte). ASCII
    text (``str.isascii`` is O(1)) can hold only the C0 ones: they are deleted so. Other
    text is clean when it encodes to UTF-8 (no lone surrogate), holds no U+FFFE/U+FFFF and
    its UTF-8 holds no C0 byte but tab/LF/CR (a multi-byte sequence has none); else the
    pattern runs. The same string either way."""
    if s.isascii():
        b = s.encode("ascii")
        kept = b.translate(None, _XML_BAD_ASCII)
        return s if len(kept) == len(b) else kept.decode("ascii")
    try:
        b = s.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return _XML_BAD_RE.sub("", s)
    if "\ufffe" in s or "\uffff" in s or len(b.translate(None, _XML_BAD_ASCII)) != len(b):
        return _XML_BAD_RE.sub("", s)
    return s


def _scheme(url: str) -> str | None:
    m = _URL_SCHEME_RE.match(url)
    return m.group(1).lower() if m else None


def safe_url(url: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URL (resolved against ``base``), or None.

    Rejects every other scheme (``javascript:``, ``data:``, ``vbscript:``, ``file:`` …) also when
    spelled with entities (``java&#x09;script:``), embedded tabs/newlines, leading control
    characters or mixed case — the spellings browsers still execute (OUT-01).
    """
    return _safe_url(url, base, WEB_SCHEMES)


@functools.lru_cache(maxsize=URL_CACHE_SIZE)
def _safe_url(url: str | None, base: str | None, schemes: frozenset[str]) -> str | None:
    if not url or len(url) > MAX_URL_CHARS:
        return None
    if _PLAIN_WEB_URL_RE.match(url):  # the common case: nothing to strip, decode or resolve
        return _checked_absolute(url, url[:5].lower().rstrip(":"), schemes)
    url = clean_text(url)
    if len(url) > MAX_URL_CHARS:
        return None
    # Browsers drop leading/trailing C0 controls and spaces and every tab/LF/CR before looking
    # at the scheme; we also drop other controls. Internal spaces are judged removed (stricter
    # than browsers) and kept percent-encoded.
    stripped = _URL_CONTROL_RE.sub("", url.strip(_URL_EDGE_CHARS)).replace(" ", "%20")
    if not stripped:
        return None
    # An entity-encoded scheme (`javascript&#58;`, `java&#x09;script:`) is what an HTML
    # attribute would decode to: judge that spelling too, but keep the literal URL (decoding
    # would turn a query like `?a=1&copy=2` into `©=2`).
    decoded = _URL_STRIP_RE.sub("", html.unescape(stripped.replace("%20", " ")))
    for candidate in (stripped, decoded):
        sch = _scheme(candidate)
        if sch is not None and sch not in schemes:
            return None
    if _scheme(stripped) is None:
        if not base:
            return None
        base_url = _safe_url(base, None, WEB_SCHEMES)
        if base_url is None:
            return None
        try:
            stripped = urljoin(base_url, stripped)
        except ValueError:
            return None
    sch = _scheme(stripped)
    if sch is None or sch not in schemes:
        return None
    return _checked_absolute(sch + stripped[len(sch) :], sch, schemes)


def _checked_absolute(url: str, sch: str, schemes: frozenset[str]) -> str | None:
    """``url`` (scheme ``sch``, lower case) if allowed and, for the web, it names a host."""
    if sch not in schemes:
        return None
    if sch == "mailto":
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a non-numeric port
    except ValueError:
        return None
    return url if host else None


def _is_private_host(host: str) -> bool:
    """True for loopback/private/link-local literal IPs and ``localhost`` names."""
    h = host.lower().rstrip(".")
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(h.strip("[]"))
    except ValueError:
        return False
    return not ip.is_global


def _limit_depth(src: str) -> str:
    """Drop tags nested deeper than :data:`MAX_NESTING_DEPTH` (text kept), in one linear scan.

    A tag ends at the first ``>`` (a quoted ``>`` in an attribute cuts it short: harmless,
    nh3 re-parses whatever this leaves)."""
    if src.count("<") <= MAX_NESTING_DEPTH:  # too few tags to nest that deep
        return src
    depth = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal depth
        tag = m.group(0)
        if m.group(2).lower() in _VOID_OR_OPTIONAL or tag.endswith("/>"):
            return tag
        if m.group(1):
            depth = max(depth - 1, 0)
            return tag if depth < MAX_NESTING_DEPTH else ""
        depth += 1
        return tag if depth <= MAX_NESTING_DEPTH else ""

    return _TAG_RE.sub(repl, src)


def _truncate(src: str) -> str:
    """Cut to :data:`MAX_HTML_CHARS`, without leaving half a tag at the end."""
    if len(src) <= MAX_HTML_CHARS:
        return src
    src = src[:MAX_HTML_CHARS]
    lt = src.rfind("<")
    return src[:lt] if lt > src.rfind(">") else src


def _cap(src: str) -> str:
    return _limit_depth(clean_text(_truncate(src)))


def _filter_attribute(base: str | None, tag: str, attr: str, value: str) -> str | None:
    """One attribute of content HTML: URLs made safe and absolute against ``base``."""
    if attr not in URL_ATTRIBUTES:
        return value
    if tag == "img" and attr == "src":
        url = safe_url(value, base)
        if url is None:
            return None
        host = urlsplit(url).hostname or ""
        # Content images aimed at our own network or at tracker hosts are dropped (OUT-02).
        if _is_private_host(host) or host.lower() in TRACKER_HOSTS:
            return None
        return url
    schemes = CONTENT_URL_SCHEMES if attr == "href" else WEB_SCHEMES
    return _safe_url(value, base, schemes)


#: Base URL of the :func:`sanitize_html` call running in this thread / task: the one shared
#: Cleaner's attribute filter reads it (nh3 calls the filter synchronously, in the caller).
_BASE_URL: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "sanitize_base_url", default=None
)


def _filter_current_base(tag: str, attr: str, value: str) -> str | None:
    return _filter_attribute(_BASE_URL.get(), tag, attr, value)


@functools.lru_cache(maxsize=1)
def _content_cleaner() -> Callable[[str], str]:
    """nh3 with the content policy, built once: building a Cleaner (option conversion) was
    ~35 µs of each ~50 µs ``nh3.clean`` call on an 8-paragraph article."""
    options: dict[str, Any] = {
        "tags": set(ALLOWED_TAGS),
        "clean_content_tags": set(DROP_CONTENT_TAGS),
        "attributes": {k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        "attribute_filter": _filter_current_base,
        "strip_comments": True,
        "link_rel": "noopener noreferrer",
        "url_schemes": set(CONTENT_URL_SCHEMES),
    }
    if hasattr(nh3, "Cleaner"):
        clean: Callable[[str], str] = nh3.Cleaner(**options).clean
        return clean
    return functools.partial(nh3.clean, **options)


def _drop_trackers(cleaned: str) -> str:
    """Remove images with no usable src and 1×1 tracking pixels from nh3's output."""

    def repl(m: re.Match[str]) -> str:
        attrs = dict(_IMG_ATTR_RE.findall(m.group(0)))
        if "src" not in attrs:
            return ""
        w, h = attrs.get("width", "").strip(), attrs.get("height", "").strip()
        if (
            w.isdigit()
            and h.isdigit()
            and int(w) <= TRACKER_MAX_SIZE_PX
            and int(h) <= TRACKER_MAX_SIZE_PX
        ):
            return ""
        return m.group(0)

    return _IMG_RE.sub(repl, cleaned)


def sanitize_html(html_text: str, base_url: str | None) -> str:
    """Allowlist-sanitise an HTML fragment for republishing; relative links/images are made
    absolute against ``base_url`` (dropped when there is none), links get
    ``rel="noopener noreferrer"``. Bounded time on any input (LOAD-06)."""
    if not html_text:
        return ""
    token = _BASE_URL.set(base_url)
    try:
        cleaned = _content_cleaner()(_cap(html_text))
    finally:
        _BASE_URL.reset(token)
    if "<img" in cleaned:
        cleaned = _drop_trackers(cleaned)
    return clean_text(cleaned).strip()


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl",
        "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
# nh3 output with no attributes allowed: every `<` left is a tag (text `<` is escaped).
_ANY_TAG_RE = re.compile(r"<[^>]*>")


def _collapse_spaces(s: str) -> str:
    """``re.sub(r"\\s+", " ", s)`` without a regex (str.split's whitespace is ``\\s``): 4x faster
    on article text, where most matches are single spaces."""
    words = s.split()
    if not words:
        return " " if s else ""
    out = " ".join(words)
    if s[0].isspace():
        out = " " + out
    if s[-1].isspace():
        out += " "
    return out


@functools.lru_cache(maxsize=1)
def _block_cleaner() -> Callable[[str], str]:
    """nh3 keeping block tags only, no attributes, built once (a Cleaner saves the ~15 µs
    per call that ``nh3.clean`` spends converting its options)."""
    options: dict[str, Any] = {
        "tags": set(_BLOCK_TAGS),
        "clean_content_tags": set(DROP_CONTENT_TAGS),
        "attributes": {},
        "link_rel": None,
        "strip_comments": True,
    }
    if hasattr(nh3, "Cleaner"):
        clean: Callable[[str], str] = nh3.Cleaner(**options).clean
        return clean
    return functools.partial(nh3.clean, **options)


def html_to_text(html_text: str) -> str:
    """Plain text of an HTML fragment: block elements become line breaks, entities are
    decoded, runs of spaces collapse to one, blank lines are dropped. Not markup: escape it
    before putting it in HTML."""
    if not html_text:
        return ""
    if "<" not in html_text and "&" not in html_text:
        text = html_text
    else:
        # nh3 (Rust) parses like a browser and keeps only block tags, with no attributes;
        # source line breaks are spaces, then each block tag becomes a line break.
        kept = _block_cleaner()(_cap(html_text))
        text = html.unescape(_ANY_TAG_RE.sub("\n", _collapse_spaces(kept)))
    # Per line: spaces collapsed and stripped (a line holds no "\n", so split() does both).
    lines = (" ".join(line.split()) for line in clean_text(text).split("\n"))
    return "\n".join(line for line in lines if line)
