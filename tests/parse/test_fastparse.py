"""Fast RSS 2.0 path (parse.fast) against feedparser (parse.document), differential.

Corpus: ../shared/feeds (3,100 documents from feed-parser test suites; see its README).
Wherever the fast path gives a result it must equal ``parse_feed``'s, field by field, with no
normalisation: the records are compared as they are (dataclass equality). Speed ratios are
measured in bench/pipeline.py, not here.
"""

from __future__ import annotations

import csv
import dataclasses

import pytest
from conftest import FEEDS, shared_path

from aggregator.models import ParsedFeed
from aggregator.parse.document import ParseError, parse_feed
from aggregator.parse.fast import parse_feed_fast, parse_rss_fast

#: Documents the fast path took when this test was written (517 of 3,100: the corpus is mostly
#: Atom and feedparser's synthetic edge cases); a drop means a guard got stricter by mistake.
FAST_PATH_FLOOR = 480


def _first_difference(fast: ParsedFeed, ref: ParsedFeed) -> str:
    for f in dataclasses.fields(ref):
        a, b = getattr(fast, f.name), getattr(ref, f.name)
        if f.name == "entries" and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                for ef in dataclasses.fields(y):
                    if getattr(x, ef.name) != getattr(y, ef.name):
                        return (f"entries[{i}].{ef.name}: fast={getattr(x, ef.name)!r:.200} "
                                f"feedparser={getattr(y, ef.name)!r:.200}")
        elif a != b:
            return f"{f.name}: fast={a!r:.200} feedparser={b!r:.200}"
    return "equal"


def test_fast_path_equals_feedparser_on_the_whole_corpus() -> None:
    index = shared_path("feeds", "index.tsv")
    with index.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    taken = 0
    diffs: list[str] = []
    for row in rows:
        body = (FEEDS / row["path"]).read_bytes()
        url = "http://127.0.0.1/" + row["path"]
        try:
            fast = parse_rss_fast(body, url=url)
        except ParseError as exc:  # refused before parsing: feedparser's path must refuse too
            with pytest.raises(ParseError) as ref_exc:
                parse_feed(body, url=url)
            assert str(ref_exc.value) == str(exc)
            continue
        if fast is None:
            continue
        taken += 1
        ref = parse_feed(body, url=url)
        if fast != ref:
            diffs.append(f"{row['path']}: {_first_difference(fast, ref)}")
    assert diffs == []
    assert taken >= FAST_PATH_FLOOR


def _rss(items: str, head: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>'
        f"<link>http://example.org/</link>{head}{items}</channel></rss>"
    ).encode()


def test_typical_news_item_takes_the_fast_path_and_matches() -> None:
    body = _rss(
        "<item><title>Rates &amp; bonds</title><link>/a?x=1&amp;y=2</link>"
        '<guid isPermaLink="false">id-1</guid><dc:creator>AP</dc:creator>'
        "<pubDate>Thu, 19 Nov 2026 10:00:00 GMT</pubDate><category>Markets</category>"
        "<category>Markets</category><description><![CDATA[<p>Lead <a href='/b'>x</a></p>]]>"
        "</description><content:encoded><![CDATA[<p>Body</p>]]></content:encoded></item>"
        "<item><title>利率</title><guid>http://example.org/2</guid></item>",
        head="<language>zh-cn</language><ttl>30</ttl>",
    )
    fast = parse_rss_fast(body, url="http://example.org/feed")
    assert fast is not None
    assert fast == parse_feed(body, url="http://example.org/feed")
    assert fast.entries[1].link == "http://example.org/2"  # permalink GUID acts as the link


def test_gb18030_document_is_decoded_like_parse_feed() -> None:
    body = (
        '<?xml version="1.0" encoding="gb2312"?><rss version="2.0"><channel><title>新闻</title>'
        "<item><title>稀土价格上涨 𠀀</title><guid>g1</guid></item></channel></rss>"
    ).encode("gb18030")
    fast = parse_rss_fast(body, url="http://example.cn/rss")
    assert fast is not None and fast == parse_feed(body, url="http://example.cn/rss")
    assert fast.entries[0].title == "稀土价格上涨 𠀀"


def test_latin1_and_cp1252_repairs_match_feedparser() -> None:
    """The fast path skips both repairs for ASCII text and the cp1252 table for text without
    a C1 control: the table must map nothing else, and text that needs either repair (C1
    controls, UTF-8 read as Latin-1, both mixed with ASCII and Chinese) must come out as
    feedparser's."""
    from feedparser.html import _cp1252

    assert set(_cp1252) <= set(range(0x80, 0xA0))
    titles = ["\x93quoted\x94 \x85", "cafÃ©", "cafÃ© \x80100", "caf\u00e9 \u2014 ok",
              "稀土\x96价格", "plain ASCII & <b>", "Ã©\x9f"]
    esc = [t.replace("&", "&amp;").replace("<", "&lt;") for t in titles]
    items = "".join(f"<item><title>{t}</title><guid>g{i}</guid><description>{t}</description>"
                    "</item>" for i, t in enumerate(esc))
    body = _rss(items)
    fast = parse_rss_fast(body, url="http://example.org/feed")
    assert fast is not None
    assert fast == parse_feed(body, url="http://example.org/feed")
    assert fast.entries[0].title == "\u201cquoted\u201d"  # the table applied (NEL stripped)
    assert fast.entries[1].title == "café"  # and the Latin-1 repair


@pytest.mark.parametrize(
    "body",
    [
        _rss('<item><title xml:lang="en">x</title></item>'),  # xml:lang: feedparser's langstack
        _rss("<item><title>x</title><description><p>raw</p></description></item>"),
        _rss('<item><link href="http://e/"/></item>'),
        _rss("<item><itunes:summary xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd'>"
             "s</itunes:summary></item>"),
        _rss("<item><title>a &nbsp; b</title></item>"),  # undefined entity: loose parser
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>a</title></feed>',
        b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
    ],
)
def test_unusual_documents_are_left_to_feedparser(body: bytes) -> None:
    assert parse_rss_fast(body, url="http://example.org/feed") is None
    # ...and the wrapper still answers exactly as parse_feed does.
    assert parse_feed_fast(body, url="http://example.org/feed") == parse_feed(
        body, url="http://example.org/feed"
    )


def test_entity_declarations_are_refused_as_in_parse_feed() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss version="2.0"/>'
    with pytest.raises(ParseError, match="DTD entities"):
        parse_rss_fast(body, url="http://example.org/feed")


def test_markup_of_bare_inert_tags_is_what_feedparser_writes_back() -> None:
    """The fast path skips feedparser's markup rewrite for text whose only markup is bare
    tags of ``_INERT_TAGS`` and that holds no "&": on such text the rewrite must be the
    identity. Random strings of those tags, text with ">", quotes, slashes, C1 and
    non-BMP characters; and the regex must refuse what the rewrite changes."""
    import random

    from feedparser.urls import resolve_relative_uris

    from aggregator.parse.fast import _INERT_MARKUP, _INERT_TAGS

    rng = random.Random(16)
    chars = [*"abc XYZ 12 .,;:!?'\"()[]{}>/\\=-_\n\t\r", "é", "稀", "\x85", "\u2028", "\xa0",
             "😀", "\x93", "\x7f"]
    for _ in range(5000):
        parts = []
        for _ in range(rng.randint(1, 10)):
            r = rng.random()
            if r < 0.4:
                parts.append(f"<{'/' if r < 0.15 else ''}{rng.choice(_INERT_TAGS)}>")
            else:
                parts.append("".join(rng.choice(chars) for _ in range(rng.randint(0, 12))))
        text = "".join(parts)
        assert _INERT_MARKUP.fullmatch(text) is not None
        assert resolve_relative_uris(text, "http://example.org/a/", "utf-8", "text/html") == text
    for changed in ["<br>", "a<P>b", "<p class=x>", "<a href='/x'>y</a>", "a & b", "<p/>",
                    "<!x>", "<script>x</script>", "a < b", "<img src=x>",
                    # a long run before a refusal: answered at once, never backtracking
                    # through the ways of splitting the run (hung the fast path once)
                    "<p>" + "words and more words " * 2000 + "&amp"]:
        assert _INERT_MARKUP.fullmatch(changed) is None, changed


def test_references_the_rewrite_writes_back_skip_it() -> None:
    """``_Fields.inert`` also passes text with references (``&quot;``, ``&#x27;``, ``&amp;``:
    what ``html.escape`` writes): whenever it says so, feedparser's rewrite must give the text
    back unchanged. Random strings of inert tags, text and references of every kind (named,
    unknown, decimal, hex in both cases, cp1252 numbers, ``&#39;``, unterminated); and the
    references the rewrite changes must be refused."""
    import random

    from feedparser.urls import resolve_relative_uris

    from aggregator.parse.fast import _INERT_TAGS, _Fields

    fields = _Fields("http://example.org/a/")
    rng = random.Random(12)
    refs = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&nbsp;", "&AElig;", "&copy;", "&foo;",
            "&amp", "&#x27;", "&#X27;", "&#x2a;", "&#x2A;", "&#39;", "&#34;", "&#039;", "&#8212;",
            "&#150;", "&#x96;", "&#129;", "&#x10ffff;", "&#99999999;", "&#", "&#;", "&", "&a-b;",
            "&amp1;", "&#x;", "&;", "&#0;"]  # fmt: skip
    chars = [*"abc XYZ 12 .,;:!?'\"()[]{}>/\\=-_#x\n", "é", "稀", "\x85", "\xa0", "😀"]
    passed = 0
    for _ in range(6000):
        parts = []
        for _ in range(rng.randint(1, 10)):
            r = rng.random()
            if r < 0.25:
                parts.append(f"<{'/' if r < 0.1 else ''}{rng.choice(_INERT_TAGS)}>")
            elif r < 0.6:
                parts.append(rng.choice(refs))
            else:
                parts.append("".join(rng.choice(chars) for _ in range(rng.randint(0, 8))))
        text = "".join(parts)
        if fields.inert(text):
            passed += 1
            base = "http://example.org/a/"
            assert resolve_relative_uris(text, base, "utf-8", "text/html") == text
    assert passed > 1000
    for ref in refs:
        same = resolve_relative_uris(f"a{ref}b", "http://example.org/a/", "utf-8", "text/html")
        if same != f"a{ref}b":
            assert not fields.inert(f"a{ref}b"), ref
    for ok in ["He said &quot;no&quot; &amp; left", "it&#x27;s", "<p>a &lt;b&gt; &#8212; c</p>"]:
        assert fields.inert(ok), ok
