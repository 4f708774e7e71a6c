"""Tests for aggregator.publish: the output contract (DESIGN.md) and catalogue OUT-01/03/04."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from aggregator.config import PublishConfig
from aggregator.models import Event, EventMember
from aggregator.publish import (
    OUTPUT_FILES,
    PublishedItem,
    render_all,
    render_event_feeds,
    render_index_html,
    render_item_feeds,
    write_outputs,
)

NOW = datetime(2026, 11, 22, 2, 0, 0, tzinfo=UTC)
CFG = PublishConfig(title="Test Aggregator", base_url="http://127.0.0.1:8080/")
SHARED = Path(__file__).resolve().parents[3] / "shared"
ATOM_RNG = SHARED / "schemas" / "atom.rng"
CHROMIUM = Path("/usr/bin/chromium")

ATOM_NS = "{http://www.w3.org/2005/Atom}"
RFC3339_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
TAG_EVENT_RE = re.compile(r"^tag:aggregator\.localhost,2026:event/\d+$")

HOSTILE_TITLE = '<script>alert(1)</script> & "quotes" ]]> bad\x00\x1b\ud800 end'
HOSTILE_TITLE_CLEAN = '<script>alert(1)</script> & "quotes" ]]> bad end'
HOSTILE_AUTHOR = '"><img src=x onerror=alert(1)>'


def member(
    item_id: int,
    lang: str,
    source: str,
    title: str,
    url: str | None,
    published_at: str | None,
) -> EventMember:
    return EventMember(
        item_id=item_id,
        feed_id=item_id % 5 + 1,
        source=source,
        title=title,
        url=url,
        lang=lang,
        published_at=published_at,
        fetched_at="2026-11-22T01:00:00+00:00",
    )


def make_events() -> list[Event]:
    rates = Event(
        id=42,
        title="Central bank cuts interest rates by 25 basis points",
        alt_title="央行下调利率25个基点",
        first_seen_at="2026-11-21T22:00:00+00:00",
        updated_at="2026-11-22T01:30:00+00:00",
        summary="Policy makers cut rates for the second time this year.",
        members=(
            member(
                1,
                "zh",
                "新华网",
                "央行下调利率25个基点",
                "https://www.news.cn/fortune/1.htm",
                "2026-11-21T22:00:00+00:00",
            ),
            member(
                2,
                "en",
                "AP News",
                "Central bank cuts interest rates by 25 basis points",
                "https://apnews.com/article/rates-1",
                "2026-11-21T23:15:00+00:00",
            ),
            member(
                3,
                "en",
                "Fox Business",
                "Fed-style cut: what it means for your mortgage",
                "javascript:alert(1)",  # OUT-01: dropped, title kept as text
                "2026-11-22T00:10:00Z",
            ),
            member(
                4,
                "zh",
                "财新网",
                "降息落地：房贷利率将随之下行",
                "https://www.caixin.com/2026-11-22/1.html",
                "2026-11-22 01:00:00",  # naive: read as UTC
            ),
        ),
    )
    hostile = Event(
        id=7,
        title=HOSTILE_TITLE,
        alt_title=None,
        first_seen_at="2026-11-21T10:00:00+00:00",
        updated_at="2026-11-21T12:00:00+00:00",
        summary="summary with \x0b control and ]]> and <b>not bold</b>",
        members=(
            member(
                10,
                "en",
                HOSTILE_AUTHOR,
                HOSTILE_TITLE,
                " java&#x09;script:alert(1)",
                "2026-11-21T10:00:00+00:00",
            ),
            member(11, "en", "Example", "x" * 100_000, "data:text/html,x", None),
        ),
    )
    zh_only = Event(
        id=9,
        title="台风“海燕”登陆广东",
        first_seen_at="2026-11-20T08:00:00+08:00",
        updated_at="2026-11-20T09:00:00+08:00",
        members=(
            member(
                20,
                "zh",
                "中国新闻网",
                "台风“海燕”登陆广东 多地停课",
                "https://www.chinanews.com.cn/1.shtml",
                "2026-11-20T08:00:00+08:00",
            ),
        ),
    )
    return [rates, hostile, zh_only]


def make_items() -> list[PublishedItem]:
    return [
        PublishedItem(
            id=2,
            title="Central bank cuts interest rates by 25 basis points",
            url="https://apnews.com/article/rates-1",
            summary="WASHINGTON (AP) — The central bank cut rates on Friday.",
            content_html='<p>WASHINGTON (AP) — The central bank <a href="https://apnews.com/x" '
            'rel="noopener noreferrer">cut</a> rates.</p>',
            lang="en",
            published_at="2026-11-21T23:15:00+00:00",
            fetched_at="2026-11-21T23:20:00+00:00",
            source_title="AP News",
            source_url="https://apnews.com/hub/business.rss",
            author="Jane Reporter",
            duplicates=(("Yahoo News", "https://news.yahoo.com/rates-1"),),
            event_id=42,
        ),
        PublishedItem(
            id=1,
            title="央行下调利率25个基点",
            url="https://www.news.cn/fortune/1.htm",
            summary="中国人民银行宣布下调利率。",
            content_html="<p>中国人民银行宣布下调利率。</p>",
            lang="zh",
            published_at="2026-11-21T22:00:00+00:00",
            fetched_at="2026-11-21T22:05:00+00:00",
            source_title="新华网",
            source_url="http://www.news.cn/fortune/rss.xml",
            event_id=42,
        ),
        PublishedItem(
            id=66,
            title=HOSTILE_TITLE,
            url="javascript:alert(document.cookie)",
            summary="sum\x00mary ]]> <script>",
            content_html="<p>bad\x00 ]]> content \ud800</p>",
            lang="en",
            published_at=None,
            fetched_at="2026-11-21T05:00:00Z",
            source_title=HOSTILE_AUTHOR,
            source_url="vbscript:msgbox(1)",
            author=HOSTILE_AUTHOR,
        ),
        PublishedItem(
            id=67,
            title="",
            url=None,
            summary="",
            content_html="",
            lang="",
            published_at="not a date",
            fetched_at="also not a date",
            source_title="",
        ),
    ]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return render_all(make_events(), make_items(), CFG, NOW)


def _atom_schema() -> etree.RelaxNG:
    if not ATOM_RNG.is_file():
        pytest.skip(f"RFC 4287 RELAX NG schema not found at {ATOM_RNG}")
    return etree.RelaxNG(etree.parse(str(ATOM_RNG)))


def fp_parse(data: bytes) -> feedparser.FeedParserDict:
    return feedparser.parse(io.BytesIO(data))


def json_entries(data: bytes) -> list[dict[str, object]]:
    doc = json.loads(data)
    assert isinstance(doc["items"], list)
    return doc["items"]


def _strict(data: bytes) -> etree._Element:
    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    return etree.fromstring(data, parser)


# --- the file set ----------------------------------------------------------------------------


def test_render_all_returns_every_output_file(files: dict[str, bytes]) -> None:
    assert set(files) == set(OUTPUT_FILES)
    assert all(isinstance(v, bytes) and v for v in files.values())


def test_rendering_is_deterministic() -> None:
    a = render_all(make_events(), make_items(), CFG, NOW)
    b = render_all(list(reversed(make_events())), list(reversed(make_items())), CFG, NOW)
    assert a == b


# --- Atom ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["events.atom", "items.atom"])
def test_atom_validates_against_rfc4287_schema(files: dict[str, bytes], name: str) -> None:
    schema = _atom_schema()
    doc = _strict(files[name])
    assert schema.validate(doc), schema.error_log


def test_atom_empty_feeds_validate() -> None:
    schema = _atom_schema()
    empty = render_all([], [], CFG, NOW)
    for name in ("events.atom", "items.atom"):
        assert schema.validate(_strict(empty[name])), schema.error_log


def test_atom_event_entries(files: dict[str, bytes]) -> None:
    root = _strict(files["events.atom"])
    entries = root.findall(f"{ATOM_NS}entry")
    assert [e.findtext(f"{ATOM_NS}id") for e in entries] == [
        "tag:aggregator.localhost,2026:event/42",
        "tag:aggregator.localhost,2026:event/7",
        "tag:aggregator.localhost,2026:event/9",
    ]
    rates = entries[0]
    assert rates.findtext(f"{ATOM_NS}updated") == "2026-11-22T01:30:00+00:00"
    # The earliest member's link (新华网 at 22:00).
    assert rates.find(f"{ATOM_NS}link").get("href") == "https://www.news.cn/fortune/1.htm"
    title = rates.find(f"{ATOM_NS}title")
    assert title.get("type", "text") == "text"
    body = rates.findtext(f"{ATOM_NS}content")
    assert rates.find(f"{ATOM_NS}content").get("type") == "html"
    # Every member listed, grouped by language (preferred "en" first), both headlines present.
    for text in ("AP News", "Fox Business", "新华网", "财新网", "央行下调利率25个基点"):
        assert text in body
    assert body.index("English") < body.index("中文")
    assert "Fed-style cut" in body and "javascript:" not in body
    assert '<time datetime="2026-11-22T01:00:00Z">' in body  # naive date read as UTC


def test_atom_item_entries_have_source_provenance(files: dict[str, bytes]) -> None:
    root = _strict(files["items.atom"])
    entries = {e.findtext(f"{ATOM_NS}id"): e for e in root.findall(f"{ATOM_NS}entry")}
    ap = entries["tag:aggregator.localhost,2026:item/2"]
    source = ap.find(f"{ATOM_NS}source")
    assert source is not None
    assert source.findtext(f"{ATOM_NS}title") == "AP News"
    assert source.find(f"{ATOM_NS}link").get("href") == "https://apnews.com/hub/business.rss"
    assert ap.find(f"{ATOM_NS}link").get("href") == "https://apnews.com/article/rates-1"
    assert ap.findtext(f"{ATOM_NS}author/{ATOM_NS}name") == "Jane Reporter"


# --- OUT-01 / OUT-03 / OUT-04 across formats -------------------------------------------------


@pytest.mark.parametrize("name", OUTPUT_FILES)
def test_out_01_no_dangerous_scheme_anywhere(files: dict[str, bytes], name: str) -> None:
    data = files[name].decode("utf-8").lower()
    for scheme in ("javascript:", "vbscript:", "data:text"):
        assert scheme not in data, (name, scheme)
    assert "java&amp;#x09;script" not in data and "java&#x09;script" not in data


def test_out_03_titles_are_text_in_every_format(files: dict[str, bytes]) -> None:
    for name in ("events.atom", "events.rss", "items.atom", "items.rss"):
        raw = files[name]
        assert b"<script" not in raw and b"<img" not in raw, name
        parsed = feedparser.parse(io.BytesIO(raw), sanitize_html=False)
        titles = [e.title for e in parsed.entries]
        assert HOSTILE_TITLE_CLEAN in titles, (name, titles)
    for name in ("events.json", "items.json"):
        doc = json.loads(files[name])
        assert HOSTILE_TITLE_CLEAN in [i["title"] for i in doc["items"]]
        for item in doc["items"]:
            assert "<script" not in item["content_html"]
            assert "<img" not in item["content_html"]


def test_out_03_page_escapes_everything(files: dict[str, bytes]) -> None:
    page = files["index.html"].decode("utf-8")
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize("name", [n for n in OUTPUT_FILES if n != "index.html"])
def test_out_04_outputs_parse_strictly_with_bad_characters(
    files: dict[str, bytes], name: str
) -> None:
    data = files[name]
    data.decode("utf-8")  # valid UTF-8
    for bad in (b"\x00", b"\x1b", b"\x0b", "\ud800".encode("utf-8", "surrogatepass")):
        assert bad not in data
    if name.endswith(".json"):
        json.loads(data)
    else:
        _strict(data)


def test_out_04_load_09_huge_title_is_capped(files: dict[str, bytes]) -> None:
    assert len(files["events.atom"]) < 50_000
    doc = json.loads(files["events.json"])
    titles = [m["title"] for i in doc["items"] for m in i["_aggregator"]["members"]]
    assert max(len(t) for t in titles) <= 500


# --- RSS -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["events.rss", "items.rss"])
def test_rss_parses_strictly_with_required_elements(files: dict[str, bytes], name: str) -> None:
    root = _strict(files[name])
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    for required in ("title", "link", "description"):
        assert (channel.findtext(required) or "").strip(), required
    assert channel.findtext("link") == CFG.base_url
    items = channel.findall("item")
    assert items
    for item in items:
        assert item.findtext("title") or item.findtext("description")
        guid = item.find("guid")
        assert guid is not None and guid.get("isPermaLink") == "false"
        assert guid.text is not None and guid.text.startswith("tag:aggregator.localhost,2026:")
        assert item.findtext("pubDate") is None or re.search(
            r"\d{4} \d\d:\d\d:\d\d", item.findtext("pubDate") or ""
        )


def test_rss_event_guid_and_link(files: dict[str, bytes]) -> None:
    channel = _strict(files["events.rss"]).find("channel")
    assert channel is not None
    first = channel.findall("item")[0]
    assert first.findtext("guid") == "tag:aggregator.localhost,2026:event/42"
    assert first.findtext("link") == "https://www.news.cn/fortune/1.htm"


def test_rss_item_source(files: dict[str, bytes]) -> None:
    channel = _strict(files["items.rss"]).find("channel")
    assert channel is not None
    by_guid = {i.findtext("guid"): i for i in channel.findall("item")}
    source = by_guid["tag:aggregator.localhost,2026:item/2"].find("source")
    assert source is not None
    assert source.get("url") == "https://apnews.com/hub/business.rss"
    assert source.text == "AP News"


# --- feedparser reads every output -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["events", "items"])
def test_feedparser_reads_every_format_without_bozo(files: dict[str, bytes], kind: str) -> None:
    """feedparser 6.0.x has no JSON Feed reader (it treats JSON as broken XML), so JSON is
    checked with json.loads: same entry count and ids as Atom and RSS."""
    expected = len(make_events()) if kind == "events" else len(make_items())
    ids = []
    for ext in ("atom", "rss"):
        parsed = fp_parse(files[f"{kind}.{ext}"])
        assert parsed.bozo == 0, (ext, parsed.get("bozo_exception"))
        assert parsed.version == ("atom10" if ext == "atom" else "rss20")
        assert len(parsed.entries) == expected, ext
        ids.append([e.id for e in parsed.entries])
    ids.append([i["id"] for i in json_entries(files[f"{kind}.json"])])
    assert ids[0] == ids[1] == ids[2]


# --- JSON Feed 1.1 ---------------------------------------------------------------------------


def test_json_feed_1_1(files: dict[str, bytes]) -> None:
    doc = json.loads(files["events.json"])
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"] == "Test Aggregator: events"
    assert doc["feed_url"] == "http://127.0.0.1:8080/events.json"
    for item in doc["items"]:
        assert isinstance(item["id"], str) and TAG_EVENT_RE.match(item["id"])
        assert item.get("content_html") or item.get("content_text")
        assert RFC3339_RE.match(item["date_modified"])
        if "date_published" in item:
            assert RFC3339_RE.match(item["date_published"])
    rates = doc["items"][0]
    ext = rates["_aggregator"]
    assert ext["event_id"] == 42
    assert ext["alt_title"] == "央行下调利率25个基点"
    assert ext["item_count"] == 4
    assert ext["languages"] == ["en", "zh"]
    assert [m["item_id"] for m in ext["members"]] == [1, 2, 3, 4]
    assert ext["members"][2]["url"] is None  # javascript: dropped
    assert all(set(m) >= {"source", "title", "url", "lang", "published_at"} for m in ext["members"])
    assert rates["url"] == "https://www.news.cn/fortune/1.htm"
    assert "央行" in files["events.json"].decode("utf-8")  # not \u-escaped


def test_json_item_feed_extension(files: dict[str, bytes]) -> None:
    doc = json.loads(files["items.json"])
    by_id = {i["id"]: i for i in doc["items"]}
    ap = by_id["tag:aggregator.localhost,2026:item/2"]
    assert ap["_aggregator"]["source"] == {
        "title": "AP News",
        "url": "https://apnews.com/hub/business.rss",
    }
    assert ap["_aggregator"]["duplicate_count"] == 1
    assert ap["_aggregator"]["duplicates"] == [
        {"source": "Yahoo News", "url": "https://news.yahoo.com/rates-1"}
    ]
    assert ap["language"] == "en" and ap["authors"] == [{"name": "Jane Reporter"}]
    hostile = by_id["tag:aggregator.localhost,2026:item/66"]
    assert "url" not in hostile and hostile["_aggregator"]["source"]["url"] is None


# --- events grow -----------------------------------------------------------------------------


def test_growing_event_keeps_id_and_moves_updated() -> None:
    rates = make_events()[0]
    before = render_event_feeds([rates], CFG, NOW)
    joined = member(
        5,
        "en",
        "Reuters",
        "Rate cut surprises markets",
        "https://www.reuters.com/markets/1",
        "2026-11-22T01:50:00+00:00",
    )
    grown = dataclasses.replace(
        rates, members=(*rates.members, joined), updated_at="2026-11-22T01:50:00+00:00"
    )
    after = render_event_feeds([grown], CFG, NOW)
    for ext in ("atom", "rss"):
        a = fp_parse(before[f"events.{ext}"]).entries[0]
        b = fp_parse(after[f"events.{ext}"]).entries[0]
        assert a.id == b.id == "tag:aggregator.localhost,2026:event/42"
        if ext == "atom":  # RSS items carry no per-item update time
            assert b.updated_parsed > a.updated_parsed
    ja, jb = json_entries(before["events.json"])[0], json_entries(after["events.json"])[0]
    assert ja["id"] == jb["id"]
    assert str(jb["date_modified"]) > str(ja["date_modified"])
    assert b"Reuters" in after["events.atom"] and b"Reuters" not in before["events.atom"]
    doc = json.loads(after["events.json"])
    assert doc["items"][0]["date_modified"] == "2026-11-22T01:50:00Z"
    assert doc["items"][0]["_aggregator"]["item_count"] == 5


def test_max_entries_limits_feeds() -> None:
    events = [
        dataclasses.replace(make_events()[2], id=i, updated_at=f"2026-11-{i + 1:02d}T00:00:00Z")
        for i in range(1, 21)
    ]
    cfg = dataclasses.replace(CFG, max_entries=5)
    out = render_event_feeds(events, cfg, NOW)
    doc = json.loads(out["events.json"])
    assert [i["_aggregator"]["event_id"] for i in doc["items"]] == [20, 19, 18, 17, 16]
    assert len(feedparser.parse(io.BytesIO(out["events.atom"])).entries) == 5


def test_item_feeds_alone() -> None:
    out = render_item_feeds(make_items()[:2], CFG, NOW)
    assert set(out) == {"items.atom", "items.rss", "items.json"}


# --- HTML page -------------------------------------------------------------------------------


class _PageScan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_index_html_is_self_contained_and_safe() -> None:
    page = render_index_html(make_events(), make_items(), CFG, NOW).decode("utf-8")
    scan = _PageScan()
    scan.feed(page)
    tags = {t for t, _ in scan.tags}
    assert not tags & {"script", "iframe", "object", "embed", "img", "form", "base", "svg"}
    for tag, attrs in scan.tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert "src" not in attrs
        href = attrs.get("href")
        if tag == "link":
            assert attrs.get("rel") == "alternate" and href in OUTPUT_FILES
        if tag == "a" and href is not None:
            assert href.startswith(("https://", "http://", "#")) or href in OUTPUT_FILES, href
            if href.startswith("http"):
                assert attrs.get("rel") == "noopener noreferrer"
    text = "".join(scan.text)
    # Events first, then items; both languages; the alternative-language headline shown.
    assert text.index("Events") < text.index("Latest items")
    assert "央行下调利率25个基点" in text and "Central bank cuts interest rates" in text
    assert "台风“海燕”登陆广东" in text
    assert "Noto Sans CJK SC" in page and "WenQuanYi Micro Hei" in page
    assert '<html lang="en">' in page and "default-src 'none'" in page


# --- write_outputs ---------------------------------------------------------------------------


def test_write_outputs_atomic_and_creates_dir(tmp_path: Path, files: dict[str, bytes]) -> None:
    out = tmp_path / "public" / "nested"
    write_outputs(out, files)
    assert sorted(os.listdir(out)) == sorted(OUTPUT_FILES)
    assert (out / "events.atom").read_bytes() == files["events.atom"]
    old_inode = (out / "index.html").stat().st_ino
    write_outputs(out, {"index.html": b"<!DOCTYPE html><p>new</p>"})
    assert (out / "index.html").read_bytes() == b"<!DOCTYPE html><p>new</p>"
    assert (out / "index.html").stat().st_ino != old_inode  # replaced, not rewritten in place
    assert sorted(os.listdir(out)) == sorted(OUTPUT_FILES)  # no temp files left


def test_write_outputs_rejects_paths(tmp_path: Path) -> None:
    for bad in ("../evil", "a/b", "", ".."):
        with pytest.raises(ValueError):
            write_outputs(tmp_path, {bad: b"x"})
    assert os.listdir(tmp_path) == []


# --- headless Chromium screenshot ------------------------------------------------------------

SCREENSHOT_MIN_BYTES = 20_000
CHROMIUM_TIMEOUT_S = 60


@pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="chromium not installed (Debian: apt-get install -y chromium fonts-wqy-microhei)",
)
def test_index_html_screenshot_in_chromium(tmp_path: Path) -> None:
    write_outputs(tmp_path / "public", render_all(make_events(), make_items(), CFG, NOW))
    png = tmp_path / "index.png"
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={png}",
        "--window-size=1200,1600",
        (tmp_path / "public" / "index.html").as_uri(),
    ]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, timeout=CHROMIUM_TIMEOUT_S, check=False)
    assert png.exists(), proc.stderr.decode("utf-8", "replace")[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > SCREENSHOT_MIN_BYTES, len(data)
    keep = os.environ.get("AGGREGATOR_SCREENSHOT")
    if keep:  # e.g. AGGREGATOR_SCREENSHOT=/tmp/index.png to look at it
        shutil.copy(png, keep)
    assert time.monotonic() - start < CHROMIUM_TIMEOUT_S
