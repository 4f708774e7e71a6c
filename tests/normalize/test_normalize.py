"""Tests for aggregator.normalize.item: folding, hashing, dates (catalogue DATE-01..03), zones and
``normalize_entry`` on hand-built and real (/work/shared/feeds) entries. Fixed ``now``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest

from aggregator.config import ParseConfig
from aggregator.models import Enclosure, FeedRecord, ParsedEntry
from aggregator.normalize.item import (
    content_hash,
    default_timezone_for,
    fold_for_matching,
    normalize_entry,
    to_utc,
)

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
FEEDS = Path("/work/shared/feeds")
CFG = ParseConfig()


def feedparser_reading(raw: str) -> datetime | None:
    """What feedparser makes of a pubDate: the ``parsed`` argument the parse stage passes."""
    doc = f"<rss><channel><item><title>x</title><pubDate>{raw}</pubDate></item></channel></rss>"
    t = feedparser.parse(doc.encode()).entries[0].get("published_parsed")
    return datetime(*t[:6], tzinfo=UTC) if t else None


def utc(raw: str | None, tz: str = "UTC") -> str | None:
    return to_utc(feedparser_reading(raw) if raw else None, raw, tz, NOW)


# --- fold_for_matching / content_hash ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("微軟同意收購 GitHub，用戶湧向 GitLab", "微软同意收购 github 用户涌向 gitlab"),
        ("ＡＢＣ　１２３", "abc 123"),  # full-width letters, digits and space
        ("“Quoted” — and  spaced\n\tout!", "quoted and spaced out"),
        ("GDP grew 3.5% to 1,000 billion", "gdp grew 3.5% to 1000 billion"),
        ("zero\u200bwidth\u00adsoft", "zerowidthsoft"),
        ("Straße", "strasse"),
        ("", ""),
    ],
)
def test_fold_for_matching(text: str, expected: str) -> None:
    assert fold_for_matching(text) == expected


def test_content_hash_matches_trivially_reformatted_copies() -> None:
    a = content_hash("美国宣布新关税", "美国周三宣布，对进口钢铁加征关税。")
    b = content_hash("美國宣佈新關稅", "美國週三宣佈， 對進口鋼鐵加徵關稅.")
    c = content_hash("  美国宣布新关税 ", "美国周三宣布,对进口钢铁加征关税")
    assert a == b == c
    assert a != content_hash("美国宣布新关税", "美国周四宣布，对进口铝加征关税。")
    assert len(a) == 64 and int(a, 16) >= 0


# --- to_utc: DATE-01..03 and naive Beijing time ---------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "garbage", "05/02/2024", "Mon, 32 Jan 2024 25:61"])
def test_date_01_bad_input_gives_none(raw: str | None) -> None:
    assert utc(raw) is None


@pytest.mark.parametrize("raw", ["lun., 05 févr. 2024", "Mo, 05 Feb 2024"])
def test_date_02_localized_names_never_crash(raw: str) -> None:
    assert utc(raw) is None  # feedparser returns None; we have no localized parser


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2999-01-01T00:00:00Z", None),  # future placeholder
        ("Mon, 05 Feb 1899 10:00:00 GMT", None),  # before 1995
        ("Mon, 05 Feb 2024 10:00:00 +2500", None),  # no such offset
        ("1707127200", "2024-02-05T10:00:00Z"),  # epoch text; feedparser says year 1707
        ("1707127200000", "2024-02-05T10:00:00Z"),  # epoch milliseconds
        ("2026-11-24T00:59:59Z", "2026-11-24T00:59:59Z"),  # within 2 days of now
        ("2026-11-24T01:00:01Z", None),  # just past the skew allowance
        ("1994-12-31T23:59:59Z", None),
    ],
)
def test_date_03_implausible_dates(raw: str, expected: str | None) -> None:
    assert utc(raw) == expected


def test_date_03_epoch_text_without_feedparser() -> None:
    assert to_utc(None, "1707127200", "UTC", NOW) == "2024-02-05T10:00:00Z"


@pytest.mark.parametrize(
    ("raw", "tz", "expected"),
    [
        ("2025-11-06 22:35:00", "Asia/Shanghai", "2025-11-06T14:35:00Z"),
        ("2025-11-06 22:35:00", "UTC", "2025-11-06T22:35:00Z"),
        ("2020/1/10 14:33:00", "Asia/Shanghai", "2020-01-10T06:33:00Z"),  # kc0011.rss
        ("2025年11月06日 22:35", "Asia/Shanghai", "2025-11-06T14:35:00Z"),  # feedparser: Nov 1
        ("Thu, 06 Nov 2025 22:35:00", "Asia/Shanghai", "2025-11-06T14:35:00Z"),
        ("Thu, 06 Nov 2025 22:35:00 CST", "Asia/Shanghai", "2025-11-06T14:35:00Z"),
        ("Thu, 06 Nov 2025 22:35:00 CST", "America/Chicago", "2025-11-07T04:35:00Z"),
        ("Thu, 06 Nov 2025 22:35:00 +0800", "UTC", "2025-11-06T14:35:00Z"),
        ("Thu, 06 Nov 2025 22:35:00 +0800", "America/New_York", "2025-11-06T14:35:00Z"),
        ("2025-11-06T22:35:00+08:00", "Europe/Berlin", "2025-11-06T14:35:00Z"),
        ("2025-11-06T14:35:00Z", "Asia/Shanghai", "2025-11-06T14:35:00Z"),
        ("Thu, 06 Nov 2025 14:35:00 GMT", "Asia/Shanghai", "2025-11-06T14:35:00Z"),
        ("2025-11-06", "Asia/Shanghai", "2025-11-05T16:00:00Z"),
        ("2025-11-06 22:35:00", "Not/AZone", "2025-11-06T22:35:00Z"),  # bad zone → UTC
    ],
)
def test_naive_dates_read_in_feed_zone(raw: str, tz: str, expected: str) -> None:
    assert utc(raw, tz) == expected


def test_parsed_without_raw_is_trusted() -> None:
    parsed = datetime(2025, 11, 6, 14, 35, tzinfo=UTC)
    assert to_utc(parsed, None, "Asia/Shanghai", NOW) == "2025-11-06T14:35:00Z"
    naive = datetime(2025, 11, 6, 14, 35)
    assert to_utc(naive, None, "Asia/Shanghai", NOW) == "2025-11-06T14:35:00Z"


@pytest.mark.parametrize(
    ("parsed", "raw", "tz"),
    [
        (None, "0001-01-01 00:00:00", "Asia/Shanghai"),
        (datetime(1, 1, 1), "0001-01-01T00:00:00", "Asia/Tokyo"),
        (None, "0001年01月01日 00:00", "Asia/Shanghai"),
        (datetime(1, 1, 1), "Jan 1 0001 CST", "Asia/Shanghai"),
    ],
)
def test_year_one_in_a_zone_east_of_utc_is_no_date(
    parsed: datetime | None, raw: str, tz: str
) -> None:
    # Moving 0001-01-01 00:00 wall time to UTC leaves datetime's range (OverflowError, found by
    # tests/test_fuzz.py): an implausible date, not an exception that loses the feed's items.
    assert to_utc(parsed, raw, tz, NOW) is None


# --- default_timezone_for ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.chinanews.com.cn/rss/china.xml", "Asia/Shanghai"),
        ("http://www.people.com.cn/rss/politics.xml", "Asia/Shanghai"),
        ("http://www.xinhuanet.com/politics/news_politics.xml", "Asia/Shanghai"),
        ("https://www.news.cn/rss", "Asia/Shanghai"),
        ("https://www.thepaper.cn/", "Asia/Shanghai"),
        ("https://www.caixin.com/rss", "Asia/Shanghai"),
        ("https://www.myzaker.com/rss", "Asia/Shanghai"),
        ("https://example.gov.cn/feed", "Asia/Shanghai"),
        ("https://www.zaobao.com.sg/rss", "Asia/Singapore"),
        ("https://rsshub.app/zaobao/realtime/china", "Asia/Singapore"),
        ("https://rsshub.app/thepaper/featured", "Asia/Shanghai"),
        ("https://rsshub.app/apnews/topics/world-news", "Europe/London"),
        ("https://feeds.bbci.co.uk/zhongwen/simp/rss.xml", "Europe/London"),
        ("https://cn.nytimes.com/rss/", "Europe/London"),
        ("https://example.com/people/feed", "Europe/London"),  # route names only on RSSHub
        ("https://notcaixin.com/rss", "Europe/London"),
        ("not a url", "Europe/London"),
    ],
)
def test_default_timezone_for(url: str, expected: str) -> None:
    assert default_timezone_for(url, "Europe/London") == expected


def test_default_timezone_for_self_hosted_rsshub() -> None:
    url = "http://10.0.0.5:1200/guancha/headline"
    assert default_timezone_for(url, "UTC") == "UTC"
    assert default_timezone_for(url, "UTC", rsshub_base="http://10.0.0.5:1200/") == "Asia/Shanghai"


# --- normalize_entry -----------------------------------------------------------------------

FEED = FeedRecord(
    id=7, url="https://www.solidot.org/index.rss", site_url="https://www.solidot.org/"
)


def entry(**kw: Any) -> ParsedEntry:
    base: dict[str, Any] = {
        "guid": "https://www.solidot.org/story?sid=56716",
        "link": "https://www.solidot.org/story?sid=56716&utm_source=rss",
        "title": "微软同意收购 GitHub，用户涌向 GitLab",
        "summary_html": "<p>微软宣布以 75 亿美元收购 GitHub。</p>",
        "content_html": None,
        "published_raw": "Mon, 04 Jun 2018 12:02:04 +0800",
        "published": datetime(2018, 6, 4, 4, 2, 4, tzinfo=UTC),
    }
    base.update(kw)
    return ParsedEntry(**base)


def norm(e: ParsedEntry, feed: FeedRecord = FEED, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "now": NOW,
        "feed_lang": "zh-cn",
        "feed_tz": "Asia/Shanghai",
        "cfg": CFG,
    }
    args.update(kw)
    return normalize_entry(e, feed, **args)


def test_normalize_entry_builds_item() -> None:
    item = norm(entry())
    assert item.feed_id == 7
    assert item.guid == "https://www.solidot.org/story?sid=56716"
    assert item.url == "https://www.solidot.org/story?sid=56716&utm_source=rss"
    assert item.canonical_url == "https://solidot.org/story?sid=56716"
    assert item.title == "微软同意收购 GitHub，用户涌向 GitLab"
    assert item.summary == "微软宣布以 75 亿美元收购 GitHub。"
    assert item.content_html == "<p>微软宣布以 75 亿美元收购 GitHub。</p>"
    assert item.content_text == item.summary
    assert item.lang == "zh-Hans"
    assert item.published_at == "2018-06-04T04:02:04Z"
    assert item.fetched_at == "2026-11-22T01:00:00Z"
    assert item.match_text.startswith("微软宣布以 75 亿美元收购 github")
    assert item.content_hash == content_hash(item.title, item.content_text)


def test_normalize_entry_traditional_gets_same_match_text_and_hash() -> None:
    simp = norm(entry())
    trad = norm(
        entry(
            title="微軟同意收購 GitHub，用戶湧向 GitLab",
            summary_html="<p>微軟宣佈以 75 億美元收購 GitHub。</p>",
        ),
        feed_lang="zh-TW",
    )
    assert trad.lang == "zh-Hant" and simp.lang == "zh-Hans"
    assert trad.title != simp.title  # display text is never folded
    assert trad.match_text == simp.match_text
    assert trad.content_hash == simp.content_hash


def test_normalize_entry_sanitises_and_makes_links_absolute() -> None:
    html = '<p onclick="x()">Hi <a href="/a">a</a><script>alert(1)</script></p>'
    item = norm(entry(content_html=html, link="/story?sid=1"))
    assert item.url == "https://www.solidot.org/story?sid=1"
    assert "script" not in item.content_html and "onclick" not in item.content_html
    assert 'href="https://www.solidot.org/a"' in item.content_html
    assert "alert" not in item.content_text


def test_normalize_entry_rejects_unsafe_links_and_enclosures() -> None:
    item = norm(
        entry(
            link="javascript:alert(1)",
            enclosures=(
                Enclosure(url="https://cdn.example.com/a.mp3", type="audio/mpeg", length=123),
                Enclosure(url="javascript:alert(1)"),
                Enclosure(url="/b.mp3", length=-5),
            ),
        )
    )
    assert item.url is None and item.canonical_url is None
    assert item.enclosures == (
        Enclosure(url="https://cdn.example.com/a.mp3", type="audio/mpeg", length=123),
        Enclosure(url="https://www.solidot.org/b.mp3", type=None, length=None),
    )


def test_normalize_entry_returns_none_without_title_link_or_text() -> None:
    assert norm(entry(guid="x", link=None, title=None, summary_html=None)) is None
    assert norm(entry(guid="x", link=None, title="  ", summary_html="<p> </p>")) is None


def test_normalize_entry_derives_title_from_text() -> None:
    long = "This is the first sentence of an entry that has no title at all " * 4
    item = norm(entry(title=None, summary_html=f"<p>{long}</p><p>Second</p>"), feed_lang="en")
    assert item.title.endswith("…") and len(item.title) <= 121
    assert item.title.startswith("This is the first sentence")
    assert item.lang == "en"


def test_normalize_entry_caps_fields_before_sanitising() -> None:
    cfg = ParseConfig(max_field_chars=10_000, max_title_chars=50)
    nested = "<div>" * 50_000 + "text" + "</div>" * 50_000
    start = time.perf_counter()
    item = norm(entry(title="T" * 500, content_html=nested), cfg=cfg)
    assert time.perf_counter() - start < 2.0
    assert len(item.title) == 50
    assert len(item.content_html) <= 10_000 + 100
    assert len(item.content_text) <= 10_000


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("guid", "https://www.solidot.org/story?sid=56716"),
        ("link", "https://solidot.org/story?sid=56716"),
        ("link_date", "https://solidot.org/story?sid=56716|2018-06-04T04:02:04Z"),
        ("title", "微软同意收购 github 用户涌向 gitlab"),
        ("bogus", "https://www.solidot.org/story?sid=56716"),  # unknown → guid
    ],
)
def test_id_policy(policy: str, expected: str) -> None:
    feed = FeedRecord(id=7, url=FEED.url, site_url=FEED.site_url, id_policy=policy)
    assert norm(entry(), feed).guid == expected


def test_id_01_guid_fallbacks_are_stable() -> None:
    no_guid = entry(guid=None)
    assert norm(no_guid).guid == "https://solidot.org/story?sid=56716"
    no_link = entry(guid=None, link=None)
    key = norm(no_link).guid
    assert key.startswith("sha256:") and key == norm(no_link).guid  # same on refetch
    assert key != norm(entry(guid=None, link=None, title="Other")).guid
    text_only = entry(guid=None, link=None, title=None, published_raw=None, published=None)
    assert norm(text_only).guid.startswith("sha256:")


def test_updated_used_when_published_missing() -> None:
    e = entry(published=None, published_raw=None, updated_raw="2025-11-06 22:35:00",
              updated=datetime(2025, 11, 6, 22, 35, tzinfo=UTC))  # fmt: skip
    assert norm(e).published_at == "2025-11-06T14:35:00Z"


def _real_entries(path: Path) -> list[ParsedEntry]:
    """A minimal stand-in for the parse stage (which another module owns)."""
    doc = feedparser.parse(path.read_bytes())
    out = []
    for e in doc.entries:
        pp = e.get("published_parsed")
        content = e.get("content")
        out.append(
            ParsedEntry(
                guid=e.get("id"),
                link=e.get("link"),
                title=e.get("title"),
                summary_html=e.get("summary"),
                content_html=content[0].value if content else None,
                published_raw=e.get("published"),
                published=datetime(*pp[:6], tzinfo=UTC) if pp else None,
            )
        )
    return out


@pytest.mark.parametrize(
    ("path", "feed_url", "lang", "tz", "first_date"),
    [
        ("cotox-rssutil/solidot.rss", "https://www.solidot.org/index.rss", "zh-Hans",
         "Asia/Shanghai", "2018-06-04T04:02:04Z"),
        ("rsparser/kc0011.rss", "http://www.kc0011.net/rss.xml", "zh-Hans",
         "Asia/Shanghai", "2020-01-10T06:33:00Z"),
        ("cotox-rssutil/engadget_ja-jp.rss", "https://japanese.engadget.com/rss.xml", "ja",
         "UTC", None),
        ("cotox-rssutil/engadget_en-us.rss", "https://www.engadget.com/rss.xml", "en",
         "UTC", None),
    ],
)  # fmt: skip
def test_real_feed_entries(
    path: str, feed_url: str, lang: str, tz: str, first_date: str | None
) -> None:
    if not (FEEDS / path).exists():
        pytest.skip("shared feed corpus not mounted")
    feed = FeedRecord(id=1, url=feed_url)
    items = [
        normalize_entry(e, feed, now=NOW, feed_lang=None, feed_tz=tz, cfg=CFG)
        for e in _real_entries(FEEDS / path)
    ]
    assert items and all(i is not None for i in items)
    real = [i for i in items if i is not None]
    assert len({i.guid for i in real}) == len(real)
    assert all(i.published_at is not None for i in real)
    assert all(i.canonical_url for i in real)
    langs = [i.lang for i in real]
    assert langs.count(lang) >= 0.9 * len(langs), langs
    if first_date:
        assert real[0].published_at == first_date


def test_fold_cache_gives_the_uncached_result_and_skips_long_texts() -> None:
    from aggregator.normalize import item as normalize

    texts = ["美國宣佈新關稅 ＧＤＰ 1,000.5%", "Hello, World", "x" * normalize.FOLD_CACHE_MAX_CHARS]
    for text in texts:
        assert fold_for_matching(text) == normalize._fold(text)
        assert fold_for_matching(text) == normalize._fold(text)  # second call: from the cache
    before = normalize._fold_cached.cache_info()
    long_text = "y " * normalize.FOLD_CACHE_MAX_CHARS
    assert fold_for_matching(long_text) == long_text.strip()
    assert normalize._fold_cached.cache_info() == before  # not looked up, not stored
    assert before.maxsize == normalize.FOLD_CACHE_SIZE


def test_t2s_never_changes_ascii_so_folding_may_skip_it() -> None:
    """fold_for_matching skips OpenCC for ASCII text: no t2s dictionary key (the dictionaries
    t2s.json chains, dumped with OpenCC's own opencc_dict) holds an ASCII character."""
    import json
    import subprocess

    import opencc

    from aggregator.normalize.langid import opencc_converter

    ascii_all = "".join(map(chr, range(128)))
    assert opencc_converter("t2s").convert(ascii_all) == ascii_all
    clib = Path(opencc.__file__).parent / "clib"
    tool, share = clib / "bin" / "opencc_dict", clib / "share" / "opencc"
    if not tool.exists() or not (share / "t2s.json").exists():
        pytest.skip("opencc wheel without opencc_dict / dictionaries")

    def files(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["file"]] if node.get("type") == "ocd2" else []
            return own + [f for v in node.values() for f in files(v)]
        return [f for v in node for f in files(v)] if isinstance(node, list) else []

    names = sorted(set(files(json.loads((share / "t2s.json").read_text(encoding="utf-8")))))
    assert "TSCharacters.ocd2" in names
    for name in names:
        dump = subprocess.run(
            [str(tool), "-i", str(share / name), "-o", "/dev/stdout", "-f", "ocd2", "-t", "text"],
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
        keys = [line.split("\t", 1)[0] for line in dump.splitlines() if line]
        assert keys, name
        assert not [k for k in keys if any(c.isascii() for c in k)], name


def _fold_as_before(text: str) -> str:
    """fold_for_matching as written before its shortcuts (three regex passes always)."""
    import re
    import unicodedata

    from aggregator.normalize.item import _punct_table
    from aggregator.normalize.langid import opencc_converter

    t = unicodedata.normalize("NFKC", text).casefold()
    if not t.isascii():
        t = opencc_converter("t2s").convert(t)
    t = re.sub(r"(?<=\d),(?=\d{3}\b)", "", t)
    t = re.sub(r"(?<=\d)\.(?=\d)", "\ue000", t)
    t = t.translate(_punct_table()).replace("\ue000", ".")
    return re.sub(r"\s+", " ", t).strip()


def test_fold_shortcuts_give_the_same_text() -> None:
    """Skipping the number patterns without "," / "." and splitting on str.isspace() must
    fold exactly as the three regex passes did: every whitespace and punctuation code point,
    numbers, the placeholder character itself, and random mixes of them."""
    import random
    import sys

    from aggregator.normalize.item import _fold

    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    pieces = [*spaces, "1,000", "3.14", ",", ".", "1.", ".5", "\ue000", "中国", "乾隆", "Ｆｕｌｌ",
              "ﬁ", "x", "Ä", "-", "—", "'", "2,50", "12,345,678.9", "\u200b", "\ufeff", "%"]
    rng = random.Random(16)
    cases = ["", " ", "\ue000", "a\ue000b", "1\ue0002", *spaces]
    cases += ["".join(rng.choices(pieces, k=rng.randint(1, 30))) for _ in range(5000)]
    for text in cases:
        assert _fold(text) == _fold_as_before(text), repr(text)


def test_punctuation_patterns_fold_every_bmp_character_as_the_table() -> None:
    """Non-ASCII text is folded with two regexes instead of str.translate (4x faster on
    Chinese): every BMP code point, alone and between CJK letters, must come out as the
    table says, and random mixes of every table character fold as before."""
    import random

    from aggregator.normalize.item import _fold, _punct_patterns, _punct_table

    table = _punct_table()
    dropped, spaced = _punct_patterns()
    every = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF)
    assert spaced.sub(" ", dropped.sub("", every)) == every.translate(table)
    for c in every:
        s = f"中{c}文"
        assert spaced.sub(" ", dropped.sub("", s)) == s.translate(table), hex(ord(c))
    keys = [chr(c) for c in table if not 0xD800 <= c <= 0xDFFF]
    rng = random.Random(4)
    pieces = [*keys, "中国", "乾隆", "1,000", "3.14", "\ue000", " ", "x", "Ａ"]
    for _ in range(3000):
        text = "".join(rng.choices(pieces, k=rng.randint(1, 20)))
        assert _fold(text) == _fold_as_before(text), repr(text)


def test_number_patterns_match_where_the_lookbehind_patterns_did() -> None:
    """The decimal-point and thousands patterns start with their literal now (re scans for
    it in C); they must match exactly the spans the lookbehind-first patterns matched."""
    import random
    import re

    from aggregator.normalize.item import _DECIMAL_POINT, _THOUSANDS

    before = {
        _DECIMAL_POINT: re.compile(r"(?<=\d)\.(?=\d)"),
        _THOUSANDS: re.compile(r"(?<=\d),(?=\d{3}\b)"),
    }
    pieces = ["1", "0", "9", "٣", "５", "²", ",", ".", "a", "_", " ", "中", "-", "1,000", "3.14"]
    rng = random.Random(8)
    texts = ["1,000,000", "1,2,345", "1.2.3", ",000", "1,0000", "1,000_", "x.5", "5.", ".5"]
    texts += ["".join(rng.choices(pieces, k=rng.randint(1, 25))) for _ in range(20000)]
    for text in texts:
        for now, old in before.items():
            spans = [m.span() for m in now.finditer(text)]
            assert spans == [m.span() for m in old.finditer(text)], (text, now.pattern)


def test_nfkc_shortcut_gives_unicodedatas_nfkc() -> None:
    """_nfkc (common full-width characters replaced, then NFKC's quick check) must give
    ``unicodedata.normalize("NFKC", …)``: every BMP code point alone and next to the replaced
    characters (combining marks after a replaced one, Hangul jamo, ligatures), random mixes."""
    import random
    import unicodedata

    from aggregator.normalize.item import _NFKC_COMMON, _nfkc

    common = "".join(c for c, _ in _NFKC_COMMON)
    for cp in range(0x10000):
        for s in (chr(cp), f"{common}{chr(cp)}", f"中{chr(cp)}，", f"Ａ{chr(cp)}"):
            assert _nfkc(s) == unicodedata.normalize("NFKC", s), hex(cp)
    rng = random.Random(9)
    pieces = [*common, "\u0301", "\u0308", "\u1161", "\u11a8", "가", "Ａ", "ﬁ", "①", "中文", "e",
              "\U0001d400", "\u3099", "か", " ", "1", "Ⅱ"]  # fmt: skip
    for _ in range(20000):
        s = "".join(rng.choices(pieces, k=rng.randint(1, 12)))
        assert _nfkc(s) == unicodedata.normalize("NFKC", s), repr(s)
