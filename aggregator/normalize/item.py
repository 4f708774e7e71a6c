"""Normalize stage: ``ParsedEntry`` + ``FeedRecord`` → ``Item`` (pure: no clock, no I/O).

Links are made absolute and safe (:mod:`~aggregator.sanitize`) and keyed (:mod:`.urls`),
HTML is capped then sanitised, text extracted, language detected (:mod:`.langid`),
dates turned into ISO-8601 UTC with each feed's zone for naive dates, and a folded form of the
text (NFKC, case-folded, Traditional → Simplified) is computed for dedup and clustering only.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_tz
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aggregator.config import ParseConfig
from aggregator.models import Enclosure, FeedRecord, Item, ParsedEntry
from aggregator.normalize import punct_table
from aggregator.normalize.langid import detect_language, opencc_converter
from aggregator.normalize.urls import canonical_url
from aggregator.sanitize import clean_text, html_to_text, safe_url, sanitize_html

# --- dates -------------------------------------------------------------------------------------

#: Earliest plausible publication date. Feeds (RSS 0.9) date from 1999 and the web from ~1993;
#: anything earlier is a placeholder (1899-12-30 is Excel's day zero, 1970 is epoch 0: DATE-03).
MIN_PLAUSIBLE_DATE = datetime(1995, 1, 1, tzinfo=UTC)
#: How far after ``now`` a date may lie. Clock skew and zone mistakes give hours; two days
#: covers a wrong day-of-month in a time zone far east. Later dates (2999, DATE-03) are
#: scheduling placeholders that would pin an item to the top forever (miniflux#2971).
MAX_FUTURE_SKEW = timedelta(days=2)
#: Largest real UTC offset is +14:00 (Line Islands), smallest −12:00; "+2500" is garbage.
MAX_UTC_OFFSET = timedelta(hours=14)
#: Epoch seconds as text (``1707127200``): 9-10 digits cover 1973-2286; 12-13 digits are
#: milliseconds (JavaScript feeds). feedparser reads the seconds form as the year 1707 (DATE-03).
_EPOCH = re.compile(r"\d{9,10}(?:\.\d+)?|\d{12,13}")
#: "CST" in a feed whose zone is in Asia means China/Taiwan Standard Time (+08:00), not US
#: Central (−06:00) as feedparser reads it.
_CST = re.compile(r"\bCST\s*$")
CST_US_OFFSET = timedelta(hours=-6)
#: A zone after the time of day: Z, +08:00 / +0800 / +08, or a name (GMT, EST, CST…).
_ZONE_SUFFIX = re.compile(
    r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AP]M\s*)?"
    r"(?:Z|[+-](?P<h>\d{2}):?(?P<m>\d{2})?|(?![AP]M\b)[A-Z]{2,5}\b)\s*$",
    re.IGNORECASE,
)
#: Year-first dates: ISO with a space or T, 2025/11/06, 2025年11月06日 22时35分.
_YMD_DATE = re.compile(
    r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?"
    r"(?:\s*T?\s*(\d{1,2})\s*[:时時]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2}))?)?"
)
#: Wall-time formats tried when feedparser found nothing (all zone-less: read in the feed zone).
_NAIVE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")

#: Hosts whose naive dates are Beijing time: mainland outlets outside .cn (DESIGN.md "Naive dates").
MAINLAND_HOSTS = (
    "chinanews.com.cn", "chinanews.com", "people.com.cn", "xinhuanet.com", "news.cn",
    "huanqiu.com", "guancha.cn", "thepaper.cn", "caixin.com", "myzaker.com", "cctv.com",
    "chinadaily.com.cn", "sina.com.cn", "163.com", "qq.com", "ifeng.com", "sohu.com",
)  # fmt: skip
SINGAPORE_HOSTS = ("zaobao.com", "zaobao.com.sg", "zaobao.sg")
#: RSSHub route namespaces (first path segment) of the outlets in outlets.opml.
RSSHUB_ROUTE_ZONES = {
    "huanqiu": "Asia/Shanghai", "guancha": "Asia/Shanghai", "zaker": "Asia/Shanghai",
    "people": "Asia/Shanghai", "thepaper": "Asia/Shanghai", "caixin": "Asia/Shanghai",
    "xinhua": "Asia/Shanghai", "news": "Asia/Shanghai", "zaobao": "Asia/Singapore",
}  # fmt: skip

# --- text --------------------------------------------------------------------------------------

#: A derived title (entry without one) is cut at this many characters: longest headline
#: of the headline fixture is ~110 characters.
DERIVED_TITLE_CHARS = 120
#: Summary taken from the content lead when the entry has none (one paragraph).
SUMMARY_FROM_CONTENT_CHARS = 500
#: Characters of an item's text that enter ``match_text`` (folded; what near-duplicate
#: matching shingles). A wire story's first ~8,000 characters decide whether two copies are
#: the same; longer bodies only cost shingling time.
MATCH_TEXT_CHARS = 8000
#: Text sample given to language detection after the title.
LANG_SAMPLE_CHARS = 300
#: Longest GUID kept as a key; longer ones (LOAD tests: 100 KB) are hashed.
MAX_GUID_CHARS = 512

ID_POLICIES = ("guid", "link", "link_date", "title")
#: A decimal point / a thousands separator: the same matches as ``(?<=\d)\.(?=\d)`` and
#: ``(?<=\d),(?=\d{3}\b)``, written to start with the literal so that re scans for it in C
#: (15-25x faster on English text, where the lookbehind was tried at every position).
_DECIMAL_POINT = re.compile(r"\.(?=\d)(?<=\d\.)")
_THOUSANDS = re.compile(r",(?=\d{3}\b)(?<=\d,)")
_POINT_PLACEHOLDER = "\ue000"
#: Punctuation kept by :func:`fold_for_matching`: "%" carries meaning ("5%" ≠ "5").
_KEEP_PUNCT = "%"
#: Folded texts remembered by :func:`fold_for_matching`, and the longest text remembered.
#: build_item folds a document's entries before complete_item and the near-duplicate check
#: fold them again, so 256 entries (2 per item: title, text) cover a 128-entry document.
#: Texts longer than ``MATCH_TEXT_CHARS`` are never folded twice (the matching text is cut
#: first), so they are not kept: at most 256 × 8,000 characters in and out (~8 MB, CJK).
FOLD_CACHE_SIZE = 256
FOLD_CACHE_MAX_CHARS = MATCH_TEXT_CHARS


@lru_cache(maxsize=1)
def _punct_table() -> dict[int, str | None]:
    """Translate table: punctuation → space, format characters (ZWSP, BOM, soft hyphen) → gone.
    BMP only (punctuation outside it is rare); from spans shipped for this Unicode version
    (:mod:`.punct_table`), built once."""
    return punct_table.table(_KEEP_PUNCT)


def _char_class(codes: list[int]) -> str:
    """A regex character class matching exactly the code points ``codes`` (sorted)."""
    spans: list[list[int]] = []
    for cp in codes:
        if spans and spans[-1][1] == cp - 1:
            spans[-1][1] = cp
        else:
            spans.append([cp, cp])
    body = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in spans
    )
    return f"[{body}]"


@lru_cache(maxsize=1)
def _punct_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """:func:`_punct_table` as two patterns: the characters it deletes, the ones it spaces.
    The two sets are disjoint, so deleting then spacing is the table's one-pass translate."""
    table = _punct_table()
    dropped = _char_class(sorted(cp for cp, v in table.items() if v is None))
    spaced = _char_class(sorted(cp for cp, v in table.items() if v == " "))
    return re.compile(dropped), re.compile(spaced)


def fold_for_matching(text: str) -> str:
    """Text for matching only, never for display: NFKC (full-width → ASCII), case-folded,
    Traditional → Simplified (OpenCC t2s), punctuation → space (decimal points kept,
    thousands separators dropped), whitespace collapsed.

    A new item's title and text are each folded two or three times (content hash, GUID,
    matching text, near-duplicate check): texts up to :data:`FOLD_CACHE_MAX_CHARS` characters
    are remembered in a small LRU (:data:`FOLD_CACHE_SIZE` entries)."""
    if not text:
        return ""
    if len(text) <= FOLD_CACHE_MAX_CHARS:
        return _fold_cached(text)
    return _fold(text)


#: Characters Chinese text is full of whose NFKC form differs (full-width punctuation, "…",
#: the ideographic space), with that form: :func:`_nfkc` replaces them first.
_NFKC_COMMON = tuple((c, unicodedata.normalize("NFKC", c)) for c in "，：（）；？！％…℃～－\u3000")


def _nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, ~9x faster on Chinese text (which is never
    NFKC, for its full-width punctuation). Replacing a character by its NFKC form keeps the
    string's NFKC (compatibility equivalence is kept under concatenation), so once the
    common characters are replaced, a string that passes NFKC's quick check is the answer;
    anything else is normalised in full."""
    if unicodedata.is_normalized("NFKC", text):
        return text
    t = text
    for c, nfkc in _NFKC_COMMON:
        if c in t:
            t = t.replace(c, nfkc)
    return t if unicodedata.is_normalized("NFKC", t) else unicodedata.normalize("NFKC", text)


def _fold(text: str) -> str:
    t = _nfkc(text).casefold()
    if not t.isascii():  # no t2s dictionary key holds an ASCII character (test_normalize.py)
        t = opencc_converter("t2s").convert(t)
    # Each pattern needs its literal character; most text has no "," or "." to look at.
    if "," in t:
        t = _THOUSANDS.sub("", t)
    if "." in t:
        t = _DECIMAL_POINT.sub(_POINT_PLACEHOLDER, t)
    if t.isascii():  # str.translate has a fast path for ASCII text only
        t = t.translate(_punct_table())
    else:  # 4x faster than translate's dict lookup per character on Chinese text
        dropped, spaced = _punct_patterns()
        t = spaced.sub(" ", dropped.sub("", t))
    t = t.replace(_POINT_PLACEHOLDER, ".")
    # str.split() and re's \s both split on str.isspace() characters: the same text as
    # re.sub(r"\s+", " ", t).strip(), ~3x faster.
    return " ".join(t.split())


_fold_cached = lru_cache(maxsize=FOLD_CACHE_SIZE)(_fold)


def content_hash(title: str, text: str) -> str:
    """sha256 hex of the folded title and text: copies that differ only in case, width,
    punctuation, spacing or Traditional/Simplified characters get the same hash."""
    return _folded_hash(fold_for_matching(title), fold_for_matching(text))


def _folded_hash(folded_title: str, folded_text: str) -> str:
    """:func:`content_hash` of an already folded title and text."""
    folded = folded_title + "\n" + folded_text
    return hashlib.sha256(folded.encode("utf-8", "surrogatepass")).hexdigest()


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _as_utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _wall_in(dt: datetime, feed_tz: str) -> datetime:
    """Read the wall-clock time of ``dt`` (its own zone dropped) in ``feed_tz``."""
    return dt.replace(tzinfo=None).replace(tzinfo=_zone(feed_tz)).astimezone(UTC)


def _from_epoch(raw: str) -> datetime | None:
    value = float(raw)
    if len(raw.split(".")[0]) >= 12:
        value /= 1000
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_ymd(m: re.Match[str], feed_tz: str) -> datetime | None:
    y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
    try:
        return _wall_in(datetime(y, mo, d, h, mi, sec), feed_tz)
    except ValueError:  # 2024-02-30, 25:61
        return None


def _parse_raw(raw: str, feed_tz: str, *, zoned: bool) -> datetime | None:
    """Fallback when feedparser found no date: RFC 822 without zone, ISO with a space."""
    tup = parsedate_tz(raw)
    if tup is not None:
        try:
            wall = datetime(*tup[:6])
        except ValueError:
            return None
        if not zoned or tup[9] is None:  # parsedate_tz reports a missing zone as 0 (UTC)
            return _wall_in(wall, feed_tz)
        return (wall - timedelta(seconds=tup[9])).replace(tzinfo=UTC)
    for fmt in _NAIVE_FORMATS:
        try:
            return _wall_in(datetime.strptime(raw, fmt), feed_tz)
        except ValueError:
            continue
    return None


def _offset_ok(zone: re.Match[str] | None) -> bool:
    if zone is None or zone.group("h") is None:
        return True
    minutes = int(zone.group("m") or 0)
    return minutes < 60 and timedelta(hours=int(zone.group("h")), minutes=minutes) <= MAX_UTC_OFFSET


def iso_utc(dt: datetime) -> str:
    """``2026-11-05T14:35:00Z`` (seconds precision; naive means UTC)."""
    return _as_utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_utc(parsed: datetime | None, raw: str | None, feed_tz: str, now: datetime) -> str | None:
    """ISO-8601 UTC text for an entry date, or None when missing or implausible.

    ``parsed`` is feedparser's reading (UTC, naive dates taken as UTC), ``raw`` the text as
    published. A raw date without a zone is wall time in ``feed_tz`` (Chinese feeds write
    Beijing time). Epoch text, CJK dates and zone-less RFC 822 are parsed here because
    feedparser misreads or drops them. Dates before :data:`MIN_PLAUSIBLE_DATE`, more than
    :data:`MAX_FUTURE_SKEW` after ``now``, or with offsets beyond ±14 h give None (DATE-01..03).
    """
    text = clean_text(raw or "").strip()
    zone = _ZONE_SUFFIX.search(text) if text else None
    ymd = _YMD_DATE.search(text) if text and zone is None else None
    dt: datetime | None
    try:
        if text and _EPOCH.fullmatch(text):
            dt = _from_epoch(text)
        elif not _offset_ok(zone):
            return None
        elif ymd is not None:
            dt = _from_ymd(ymd, feed_tz)  # feedparser reads 2025年11月06日 22:35 as 1 November
        elif parsed is not None:
            if not text:
                dt = _as_utc(parsed)
            elif _CST.search(text) and feed_tz.startswith("Asia/"):
                dt = _wall_in(_as_utc(parsed) + CST_US_OFFSET, feed_tz)
            elif zone is not None:
                dt = _as_utc(parsed)
            else:
                dt = _wall_in(_as_utc(parsed), feed_tz)
        elif text:
            dt = _parse_raw(text, feed_tz, zoned=zone is not None)
        else:
            dt = None
    except OverflowError:  # year 1 moved across a zone (0001-01-01 in Asia/Tokyo: fuzzing)
        return None
    if dt is None or dt < MIN_PLAUSIBLE_DATE or dt > _as_utc(now) + MAX_FUTURE_SKEW:
        return None
    return iso_utc(dt)


def _host_matches(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def default_timezone_for(url: str, default: str, *, rsshub_base: str | None = None) -> str:
    """IANA zone for naive dates of the feed at ``url``: ``Asia/Shanghai`` for .cn hosts and
    mainland outlets, ``Asia/Singapore`` for Lianhe Zaobao, else ``default``. RSSHub routes
    (host containing "rsshub", or under ``rsshub_base``) are judged by their route name."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return default
    path = parts.path
    if rsshub_base and url.startswith(rsshub_base.rstrip("/") + "/"):
        path = url[len(rsshub_base.rstrip("/")) :]
    elif "rsshub" not in host:
        path = ""
    route = path.strip("/").split("/", 1)[0].lower()
    if route in RSSHUB_ROUTE_ZONES:
        return RSSHUB_ROUTE_ZONES[route]
    if _host_matches(host, SINGAPORE_HOSTS):
        return "Asia/Singapore"
    if host.endswith(".cn") or _host_matches(host, MAINLAND_HOSTS):
        return "Asia/Shanghai"
    return default


# --- entry → item ------------------------------------------------------------------------------


def _plain(html_or_text: str | None, cap: int) -> str:
    """Plain one-line text of a short field (title, author), cleaned and capped."""
    if not html_or_text:
        return ""
    # " ".join(split()): the same text as re.sub(r"\s+", " ", t).strip() (see _fold), ~3x faster
    return " ".join(html_to_text(html_or_text[: cap * 4]).split())[:cap]


def _derive_title(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    if len(first) <= DERIVED_TITLE_CHARS:
        return first
    cut = first[:DERIVED_TITLE_CHARS]
    if " " in cut[DERIVED_TITLE_CHARS // 2 :]:  # Latin text: end at a word boundary
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


def _sha_key(*parts: str) -> str:
    # surrogatepass: a lone surrogate from JSON ("\ud800") must not crash the feed update.
    data = "\n".join(parts).encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _choose_guid(
    entry: ParsedEntry,
    policy: str,
    link_key: str | None,
    folded_title: str,
    published: str | None,
    text_hash: str,
) -> str:
    """The per-feed key chosen by ``FeedRecord.id_policy``; each policy falls back to the next
    stable thing present so that the key is never empty."""
    raw_guid = clean_text(entry.guid or "").strip()
    if len(raw_guid) > MAX_GUID_CHARS:
        raw_guid = _sha_key(raw_guid)
    if policy == "link" and link_key:
        return link_key
    if policy == "link_date" and link_key:
        return f"{link_key}|{published or entry.published_raw or ''}"
    if policy == "title" and folded_title:
        return folded_title
    if raw_guid:
        return raw_guid
    if link_key:
        return link_key
    if folded_title or entry.published_raw:
        return _sha_key(folded_title, entry.published_raw or "")
    return "sha256:" + text_hash


def _enclosures(entry: ParsedEntry, base: str | None) -> tuple[Enclosure, ...]:
    out: list[Enclosure] = []
    for enc in entry.enclosures:
        url = safe_url(enc.url, base)
        if url is None or any(e.url == url for e in out):
            continue
        length = enc.length if enc.length is not None and enc.length >= 0 else None
        kind = clean_text(enc.type or "").strip()[:255] or None
        out.append(Enclosure(url=url, type=kind, length=length))
    return tuple(out)


def normalize_entry(
    entry: ParsedEntry,
    feed: FeedRecord,
    *,
    now: datetime,
    feed_lang: str | None,
    feed_tz: str,
    cfg: ParseConfig,
) -> Item | None:
    """Build the :class:`Item` for one entry, or None when it has no title, link or text."""
    item = build_item(entry, feed, now=now, feed_tz=feed_tz, cfg=cfg)
    return complete_item(item, entry.lang or feed_lang) if item is not None else None


def complete_item(item: Item, lang_hint: str | None) -> Item:
    """Fill the fields only new or revised items need: language and matching text.
    Language detection is the costliest step of normalising (langdetect ~7 ms an entry,
    bench/poll.py), so the pipeline runs it after the known-item check."""
    item.lang = detect_language(f"{item.title}\n{item.summary[:LANG_SAMPLE_CHARS]}", lang_hint)
    text = item.content_text or item.summary
    item.match_text = fold_for_matching(text[:MATCH_TEXT_CHARS])
    return item


def build_item(
    entry: ParsedEntry,
    feed: FeedRecord,
    *,
    now: datetime,
    feed_tz: str,
    cfg: ParseConfig,
) -> Item | None:
    """Everything identity and dedup need (URLs, text, dates, GUID, hash), without language
    and matching text (see :func:`complete_item`); None when the entry is empty."""
    base = feed.site_url or feed.url
    url = safe_url(entry.link, base) if entry.link else None
    link_key = canonical_url(url) if url else None

    # Cap before sanitising: nh3's time grows with input (sanitize.py, LOAD-06).
    raw_content = (entry.content_html or entry.summary_html or "")[: cfg.max_field_chars]
    content_html = sanitize_html(raw_content, url or base) if raw_content else ""
    content_text = html_to_text(content_html)[: cfg.max_field_chars]
    summary = html_to_text((entry.summary_html or "")[: cfg.max_field_chars])
    if not summary and content_text:
        summary = content_text[:SUMMARY_FROM_CONTENT_CHARS]
    summary = summary[: cfg.max_field_chars]
    text = content_text or summary

    title = _plain(entry.title, cfg.max_title_chars)
    if not title and text:
        title = _derive_title(text)[: cfg.max_title_chars]
    if not title and not text:
        # A link alone is not an item: a mismatched tag can turn <guid> into a bare link
        # (catalogue XML-08: never stored as an empty entry).
        return None

    published_at = to_utc(entry.published, entry.published_raw, feed_tz, now)
    if published_at is None:
        published_at = to_utc(entry.updated, entry.updated_raw, feed_tz, now)
    folded_title = fold_for_matching(title)
    text_hash = _folded_hash(folded_title, fold_for_matching(text))
    policy = feed.id_policy if feed.id_policy in ID_POLICIES else "guid"
    guid = _choose_guid(entry, policy, link_key, folded_title, published_at, text_hash)
    categories = tuple(dict.fromkeys(c for c in (_plain(c, 200) for c in entry.categories) if c))

    return Item(
        feed_id=feed.id,
        guid=guid,
        url=url,
        canonical_url=link_key,
        title=title,
        summary=summary,
        content_html=content_html,
        content_text=content_text,
        lang="und",
        published_at=published_at,
        fetched_at=iso_utc(now),
        content_hash=text_hash,
        author=_plain(entry.author, cfg.max_title_chars) or None,
        enclosures=_enclosures(entry, url or base),
        categories=categories,
    )
