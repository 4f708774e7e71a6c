"""Parse stage on the real-feed corpus, Chinese encodings and hostile XML.

Corpus: ../shared/feeds (3,100 documents from feed-parser test suites; see its README).
Catalogue ids (../shared/reliability-catalogue.md) are in the test names.
"""

from __future__ import annotations

import csv
import io
import time
import xml.sax
from pathlib import Path

import feedparser
import feedparser.api
import pytest
from conftest import FEEDS, shared_path

from aggregator.demo import render_sample, sample_bytes
from aggregator.parse.document import (
    EXPECTED_SAX_DRIVER,
    ParseError,
    decode_document,
    feedparser_module,
    parse_feed,
)

CORPUS_FLOOR_OK = 3000  # measured 3,047 of 3,100 documents parse; the rest are non-feeds


def corpus_rows() -> list[dict[str, str]]:
    index = shared_path("feeds", "index.tsv")
    with index.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_whole_corpus_yields_items_or_a_clear_error() -> None:
    """Every document either parses or raises ParseError with a message; nothing else
    escapes. Documents feedparser reads items from must give us items too, except the
    ones we refuse on purpose (DTD entities)."""
    ok = 0
    lost: list[str] = []
    for row in corpus_rows():
        body = (FEEDS / row["path"]).read_bytes()
        try:
            feed = parse_feed(body, url="http://127.0.0.1/" + row["path"])
        except ParseError as exc:
            assert str(exc)
            if int(row["item_count"]) > 0 and "DTD entities" not in str(exc):
                lost.append(f"{row['path']}: {exc}")
            continue
        ok += 1
        if int(row["item_count"]) > 0 and not feed.entries:
            lost.append(row["path"])
    assert ok >= CORPUS_FLOOR_OK
    assert lost == []


def test_expat_is_the_sax_driver() -> None:
    """XML-01: feedparser must never use drv_libxml2 (it resolves external entities). Every
    parse goes through ``feedparser_module()``, which pins expat (even if something else
    changed the preference since)."""
    feedparser.api.PREFERRED_XML_PARSERS = ["drv_libxml2"]
    assert feedparser_module() is feedparser
    assert feedparser.api.PREFERRED_XML_PARSERS == []
    parser = xml.sax.make_parser(feedparser.api.PREFERRED_XML_PARSERS)
    assert type(parser).__module__ == EXPECTED_SAX_DRIVER


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
    b'<rss version="2.0"><channel><title>&x;</title><item><title>&x;</title></item>'
    b"</channel></rss>"
)


def billion_laughs() -> bytes:
    ents = ['<!ENTITY l0 "ha">'] + [
        f'<!ENTITY l{i} "{"".join(f"&l{i - 1};" for _ in range(10))}">' for i in range(1, 10)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [' + "".join(ents) + "]>\n"
        '<rss version="2.0"><channel><title>&l9;</title></channel></rss>'
    ).encode()


def quadratic(prefix: bytes = b"", encoding: str = "utf-8") -> bytes:
    text = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "' + "A" * 50_000 + '">]>'
        '<rss version="2.0"><channel><title>' + "&a;" * 20_000 + "</title></channel></rss>"
    )
    return prefix + text.encode(encoding)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(XXE, id="xml_01_xxe_inline_doctype"),
        pytest.param(billion_laughs(), id="xml_03_billion_laughs"),
        pytest.param(quadratic(), id="xml_04_quadratic_blowup"),
        pytest.param(b"\xff\xfe" + quadratic(encoding="utf-16-le"), id="xml_04_utf16_bom"),
        pytest.param(b"\x01" + quadratic(), id="xml_05_error_before_doctype"),
    ],
)
def test_xml_entity_attacks_rejected_fast(body: bytes) -> None:
    started = time.monotonic()
    with pytest.raises(ParseError, match="DTD entities not allowed"):
        parse_feed(body, url="http://127.0.0.1/x")
    assert time.monotonic() - started < 0.5


def test_xml_02_external_dtd_alone_fetches_nothing() -> None:
    """An external DTD reference without entities parses; expat fetches nothing."""
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://127.0.0.1:9/evil.dtd">'
        b'<rss version="2.0"><channel><title>t</title><item><title>ok</title>'
        b"</item></channel></rss>"
    )
    feed = parse_feed(body, url="http://127.0.0.1/x")
    assert [e.title for e in feed.entries] == ["ok"]


@pytest.mark.parametrize("ref", ["&#xD800;", "&#55296;", "&#x110000;", "&#99999999999;"])
def test_xml_06_bad_character_references_never_escape(ref: str) -> None:
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>a {ref} b</title></item></channel></rss>"
    ).encode()
    try:
        feed = parse_feed(body, url="http://127.0.0.1/x")
    except ParseError:
        return
    assert all(e.title is None or "\ud800" not in e.title for e in feed.entries)


def test_xml_07_control_characters_stripped() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>a\x00b\x1bc\x0bd</title></item></channel></rss>"
    )
    feed = parse_feed(body, url="http://127.0.0.1/x")
    assert feed.entries[0].title == "abcd"
    assert feed.warning is None  # stripped before expat, so no loose-parser fallback


def test_xml_08_truncated_document_is_best_effort() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>one</title></item><item><title>tw"
    )
    feed = parse_feed(body, url="http://127.0.0.1/x")
    assert feed.entries[0].title == "one"
    assert feed.warning


def test_enc_03_html_instead_of_feed() -> None:
    body = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>"
    with pytest.raises(ParseError, match="HTML page"):
        parse_feed(body, url="http://127.0.0.1/x", headers={"Content-Type": "text/html"})


def test_enc_01_gb2312_declared_gb18030_bytes() -> None:
    """The demo sample declares gb2312 but holds GB18030-only characters (䶮, 㵘)."""
    body = render_sample(sample_bytes("news-zh.xml"), __import__("datetime").datetime.now())
    feed = parse_feed(body, url="http://127.0.0.1/news-zh.xml")
    text = " ".join((e.summary_html or "") for e in feed.entries)
    assert "王䶮" in text and "㵘水" in text
    assert "\ufffd" not in text
    assert feed.entries[0].title == "美国与中亚五国领导人会晤 寻求中国以外的稀土供应"


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("rsparser/kc0011.rss", {}, "建国35周年纪念"),  # real GB2312 forum feed
        ("rssant/encoding/chardet/gb2312:gb18030.xml", {}, "信息交换用汉字编码字符集"),
        ("rssant/encoding/chardet/big5.xml", {}, "周杰倫"),  # undeclared Big5
        ("rssant/encoding/chardet/euc-jp.xml", {}, "ゲーム三昧な正月"),
        ("rssant/encoding/chardet/shift-jis.xml", {}, "記事投稿"),
        ("rssant/encoding/chardet/koi8-r.xml", {}, "Как пережить"),
        ("rssant/encoding/chardet/utf-8.not-utf-16.xml", {}, "EKsumic"),
        ("miniflux/encoding/windows-1252-incorrect-prolog.xml", {}, "Euro €"),
        ("miniflux/encoding/utf8-incorrect-prolog.xml", {}, "Café"),
        ("miniflux/encoding/koi8r.xml", {}, "Первая новость"),
    ],
)
def test_encodings_decode_without_mojibake(
    path: str, headers: dict[str, str], expected: str
) -> None:
    body = shared_path("feeds", *path.split("/")).read_bytes()
    feed = parse_feed(body, url="http://127.0.0.1/x", headers=headers)
    text = " ".join([feed.title or ""] + [e.title or "" for e in feed.entries])
    assert expected in text
    assert "\ufffd" not in text


def test_http_charset_overrides_xml_declaration() -> None:
    """The file declares gbk; its bytes are UTF-8, as its HTTP header says (rssant mixed/)."""
    body = shared_path(
        "feeds",
        "rssant",
        "encoding",
        "mixed",
        "http_application_rss_xml_charset_overrides_encoding.xml",
    ).read_bytes()
    text, enc = decode_document(body, "application/rss+xml; charset=utf-8")
    assert enc == "utf-8" and "周杰倫" in text


def test_enc_02_latin1_label_over_utf8_bytes() -> None:
    body = (
        '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel>'
        "<title>t</title><item><title>Café 北京</title></item></channel></rss>"
    ).encode()
    text, enc = decode_document(body, None)
    assert enc == "utf-8" and "Café 北京" in text


def test_net_05_body_that_is_a_local_path_is_not_opened(tmp_path: Path) -> None:
    """feedparser opens bytes that name a file; we only ever hand it BytesIO."""
    secret = tmp_path / "secret.xml"
    secret.write_text('<rss version="2.0"><channel><title>SECRET</title></channel></rss>')
    with pytest.raises(ParseError):
        parse_feed(str(secret).encode(), url="http://127.0.0.1/x")
    # and the reference behaviour we guard against:
    assert feedparser.parse(io.BytesIO(str(secret).encode())).feed.get("title") != "SECRET"


def test_json_feed_is_read() -> None:
    body = shared_path("feeds", "rsparser").joinpath("DaringFireball.json").read_bytes()
    feed = parse_feed(
        body, url="http://127.0.0.1/x", headers={"Content-Type": "application/feed+json"}
    )
    assert feed.version.startswith("json") and len(feed.entries) > 5
    assert all(e.link for e in feed.entries)


def test_polling_hints_are_read() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/'
        b'modules/syndication/"><channel><title>t</title><ttl>30</ttl>'
        b"<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2"
        b"</sy:updateFrequency><skipHours><hour>1</hour><hour>2</hour></skipHours>"
        b"<skipDays><day>Sunday</day></skipDays></channel></rss>"
    )
    feed = parse_feed(body, url="http://127.0.0.1/x")
    assert feed.ttl_minutes == 30
    assert (feed.sy_update_period, feed.sy_update_frequency) == ("hourly", 2)
    assert feed.skip_hours == (1, 2) and feed.skip_days == ("Sunday",)


def test_entry_fingerprints_ignore_the_channel_header_only() -> None:
    from aggregator.parse.splice import entry_fingerprints

    head = b'<rss version="2.0"><channel><title>t</title><lastBuildDate>%d</lastBuildDate>'
    items = b"<item><title>a</title></item><item><title>b</title></item></channel></rss>"
    assert entry_fingerprints(head % 1 + items) == entry_fingerprints(head % 2 + items)
    assert entry_fingerprints(head % 1 + items) != entry_fingerprints(
        head % 1 + items.replace(b">b<", b">c<"))
    assert len(entry_fingerprints(head % 1 + items) or ()) == 2
    # RSS 1.0's <items> list is not an entry; JSON Feed has no segments.
    assert entry_fingerprints(b"<channel><items><rdf:Seq/></items></channel>") is None
    assert entry_fingerprints(b'{"version": "https://jsonfeed.org/version/1.1"}') is None


def _rss_doc(items: list[tuple[str, str]], tail: str = "") -> bytes:
    body = "\n  ".join(
        f'<item><guid isPermaLink="false">{g}</guid><title>{t}</title>'
        f"<description>{t} text</description></item>"
        for g, t in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Chan</title>'
        f"<link>http://example.org/</link>\n  {body}\n{tail}</channel></rss>\n"
    ).encode()


def test_splice_cuts_entries_seen_at_the_last_parse() -> None:
    from aggregator.parse.splice import entry_fingerprints, splice_known_entries

    old = [(f"g{i}", f"Story {i}") for i in range(1, 6)]
    known = set(entry_fingerprints(_rss_doc(old)) or ())
    new = _rss_doc([("g0", "Story 0"), *old], tail="<image><url>http://x/i.png</url></image>")
    body, cut = splice_known_entries(new, known)
    # g1..g4 are byte-identical segments; g5's segment changed (the tail follows it now),
    # but it is the last one: cut up to its end tag, which is known only if equal.
    assert cut >= 4
    parsed = parse_feed(body, url="http://example.org/rss")
    assert not parsed.malformed
    assert parsed.title == "Chan"
    guids = [e.guid for e in parsed.entries]
    assert guids[0] == "g0" and set(guids) <= {"g0", "g5"}
    assert b"<image>" in body and body.rstrip().endswith(b"</rss>")


def test_splice_last_entry_and_nothing_known() -> None:
    from aggregator.parse.splice import entry_fingerprints, splice_known_entries

    old = _rss_doc([("g1", "One"), ("g2", "Two")])
    known = set(entry_fingerprints(old) or ())
    assert splice_known_entries(old, set()) == (old, 0)
    same_plus = _rss_doc([("g0", "Zero"), ("g1", "One"), ("g2", "Two")])
    body, cut = splice_known_entries(same_plus, known)
    assert cut == 2  # g2 is the last segment: cut up to </item>, the trailer stays
    parsed = parse_feed(body, url="http://example.org/rss")
    assert [e.guid for e in parsed.entries] == ["g0"] and not parsed.malformed


def test_splice_never_cuts_inside_cdata() -> None:
    """A look-alike <item> inside CDATA or a comment: the segments are not entries, so
    nothing is cut (a cut there would change an entry's text)."""
    from aggregator.parse.splice import entry_fingerprints, splice_known_entries

    tricky = (
        '<item><guid isPermaLink="false">c</guid><title>Code</title>'
        "<description><![CDATA[use <item> and "
        "</item>\n<item>like this]]></description></item>"
    )
    old = _rss_doc([("g1", "One")]).replace(b"<item>", tricky.encode() + b"<item>", 1)
    known = set(entry_fingerprints(old) or ())
    new = old.replace(b"<title>One</title>", b"<title>One, edited</title>")
    assert splice_known_entries(new, known) == (new, 0)
    commented = _rss_doc([("g1", "One"), ("g2", "Two")]).replace(
        b"<item>", b"<!-- <item>old</item> --><item>", 1
    )
    assert splice_known_entries(commented, set(entry_fingerprints(commented) or ()))[1] == 0


def test_splice_a_page_that_dropped_its_oldest_entry() -> None:
    """The usual page shift: one new entry on top, the oldest gone, so an entry that was in
    the middle (followed by blank space) is now the last one (followed by the trailer)."""
    from aggregator.parse.splice import entry_fingerprints, splice_known_entries

    old = [(f"g{i}", f"Story {i}") for i in range(1, 6)]
    known = set(entry_fingerprints(_rss_doc(old)) or ())
    body, cut = splice_known_entries(_rss_doc([("g0", "Story 0"), *old[:4]]), known)
    assert cut == 4
    assert [e.guid for e in parse_feed(body, url="http://example.org/rss").entries] == ["g0"]
