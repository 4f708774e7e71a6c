"""End to end through the real stages: a local origin on 127.0.0.1, real feedparser, a real
SQLite file. Covers the schema contract, exact dedup across feeds, revisions, conditional GET,
Chinese full-text search and per-feed error isolation."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import make_config, run_cli, shared_path
from origin import Origin

from aggregator.config import Config
from aggregator.demo import SAMPLE_FILES, SAMPLE_TIMEZONES, render_sample, sample_bytes
from aggregator.models import FeedRecord
from aggregator.opml import Subscription, write_opml
from aggregator.pipeline.refresh import Pipeline, PollReport
from aggregator.store.core import Store

CONTRACT = {
    "feeds": {
        "id",
        "url",
        "title",
        "site_url",
        "lang",
        "etag",
        "last_modified",
        "next_check_at",
        "last_fetched_at",
        "last_status",
        "error_count",
        "last_error",
        "disabled",
    },
    "items": {
        "id",
        "feed_id",
        "guid",
        "url",
        "canonical_url",
        "title",
        "summary",
        "content_html",
        "content_text",
        "lang",
        "published_at",
        "fetched_at",
        "content_hash",
        "duplicate_of",
        "event_id",
    },
    "events": {"id", "title", "first_seen_at", "updated_at", "item_count", "languages", "sources"},
    "decisions": {"item_id", "rule", "score", "at"},
    "fetches": {"feed_id", "status", "bytes", "elapsed_ms", "new_items", "error"},
}


def rss(items: list[tuple[str, str, str, str]], title: str = "Feed") -> bytes:
    """RSS 2.0 from (guid, link, title, description) tuples."""
    body = "".join(
        f'<item><guid isPermaLink="false">{g}</guid><link>{ln}</link><title>{t}</title>'
        f"<description>{d}</description><pubDate>Thu, 19 Nov 2026 10:00:00 GMT</pubDate></item>"
        for g, ln, t, d in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.org/</link>{body}</channel></rss>"
    ).encode()


def poll(cfg: Config, store: Store, urls: list[str], now: datetime) -> PollReport:
    feeds = [store.feed(store.add_feed(u, now=now)) for u in urls]
    feeds = [store.feed(f.id) for f in feeds]
    pipeline = Pipeline(cfg, store)
    try:
        return asyncio.run(pipeline.poll(feeds, lambda: now))
    finally:
        pipeline.close()


def test_cli_poll_all_fills_schema_contract(tmp_path: Path, origin: Origin) -> None:
    """`aggregator --config X poll --all` against local feeds: every contract table and
    column filled, broken feeds recorded, outputs written."""
    now = datetime.now(UTC)
    for name, (_t, _l, ctype) in SAMPLE_FILES.items():
        origin.static(f"/{name}", render_sample(sample_bytes(name), now), content_type=ctype)
    origin.status("/gone.xml", 404)
    origin.static(
        "/page.html", b"<!DOCTYPE html><html><body>login</body></html>", content_type="text/html"
    )
    subs = [
        Subscription(url=origin.url(f"/{n}"), title=t, lang=lang, timezone=SAMPLE_TIMEZONES.get(n))
        for n, (t, lang, _c) in SAMPLE_FILES.items()
    ]
    subs += [Subscription(url=origin.url("/gone.xml")), Subscription(url=origin.url("/page.html"))]
    (tmp_path / "feeds.opml").write_bytes(write_opml(subs))
    (tmp_path / "config.toml").write_text(
        "[fetch]\nallow_private_networks = true\nper_host_min_gap_s = 0.0\n"
        '[cluster]\nbackend = "none"\n',
        encoding="utf-8",
    )
    proc = run_cli(tmp_path / "config.toml", "poll", "--all", timeout=180)
    assert proc.returncode == 0, proc.stderr
    db = sqlite3.connect(tmp_path / "db" / "aggregator.db")
    for table, cols in CONTRACT.items():
        have = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        assert cols <= have, f"{table} lacks {cols - have}"
    n_items, n_dups = db.execute("SELECT COUNT(*), COUNT(duplicate_of) FROM items").fetchone()
    assert n_items == 16 and n_dups >= 1
    n_events = db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    assert 0 < n_events <= n_items - n_dups
    assert db.execute("SELECT COUNT(*) FROM items WHERE event_id IS NULL").fetchone()[0] == 0
    errors = dict(db.execute("SELECT url, last_error FROM feeds WHERE error_count > 0"))
    assert errors == {
        origin.url("/gone.xml"): "HTTP 404",
        origin.url("/page.html"): "not a feed: the server sent an HTML page",
    }
    assert db.execute("SELECT COUNT(*) FROM fetches").fetchone()[0] == 6
    langs = {r[0] for r in db.execute("SELECT DISTINCT lang FROM items")}
    assert {"en", "zh-Hans", "zh-Hant"} <= langs
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Naive Beijing times in the GB18030 sample land at the right UTC instant (not 8 h ahead).
    latest = db.execute("SELECT MAX(published_at) FROM items").fetchone()[0]
    assert latest <= now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for name in (
        "events.atom",
        "events.rss",
        "events.json",
        "items.atom",
        "items.rss",
        "items.json",
        "index.html",
    ):
        assert (tmp_path / "public" / name).stat().st_size > 200


def test_exact_dedup_across_feeds_keeps_provenance(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    origin.static(
        "/a.xml",
        rss(
            [
                (
                    "a1",
                    "https://news.example.com/2026/story-1",
                    "Rare earth talks",
                    "Officials met on Thursday.",
                )
            ],
            "A",
        ),
    )
    origin.static(
        "/b.xml",
        rss(
            [
                (
                    "b1",
                    "http://www.news.example.com/2026/story-1?utm_source=rss&utm_medium=feed#x",
                    "Rare earth talks (republished)",
                    "Republished with a different intro.",
                ),
                (
                    "b2",
                    "https://b.example.net/copy",
                    "Rare earth talks",
                    "Officials met on Thursday.",
                ),
            ],
            "B",
        ),
    )
    # One after the other: concurrent polls would make either copy the original.
    assert poll(cfg, store, [origin.url("/a.xml")], now).errors == 0
    assert poll(cfg, store, [origin.url("/b.xml")], now).errors == 0
    rows = store.rows("SELECT id, feed_id, url, duplicate_of FROM items ORDER BY id")
    original = rows[0]
    assert original["duplicate_of"] is None
    dups = {r["url"]: r for r in rows[1:]}
    assert all(r["duplicate_of"] == original["id"] for r in rows[1:])
    # provenance: each duplicate keeps its own URL and feed
    assert "utm_source=rss" in next(iter(dups))
    assert {r["feed_id"] for r in rows[1:]} == {rows[1]["feed_id"]} != {original["feed_id"]}
    rules = sorted(r["rule"] for r in store.rows("SELECT rule FROM decisions WHERE stage='dedupe'"))
    assert rules == ["canonical_url", "content_hash"]


def test_revision_updates_in_place(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """rss2email's nodejs feed1→2→3: one GUID, date then body edited; one row, revised."""
    snaps = [
        shared_path("feeds", "rss2email", "nodejs", f"feed{i}.xml").read_bytes() for i in (1, 2, 3)
    ]
    url = origin.url("/nodejs.xml")
    fid = store.add_feed(url, now=now)
    pipeline = Pipeline(cfg, store)
    try:
        for i, body in enumerate(snaps):
            origin.static("/nodejs.xml", body)
            t = now + timedelta(hours=i)
            asyncio.run(pipeline.poll([store.feed(fid)], lambda t=t: t))
    finally:
        pipeline.close()
    rows = store.rows("SELECT guid, revision, content_text FROM items")
    guids = [r["guid"] for r in rows]
    assert len(guids) == len(set(guids))
    revised = [r for r in rows if r["revision"] > 1]
    assert revised and "Update 19-May-2020" in revised[0]["content_text"]


def test_refetch_adds_nothing_and_conditional_get(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """ID-01: items without GUIDs fetched three times give no new rows; ETag → 304."""
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        b"<item><title>No guid one</title><link>http://example.org/1</link></item>"
        b"<item><title>No guid two</title><description>text only</description></item>"
        b"</channel></rss>"
    )
    origin.static("/noguid.xml", body, etag='"v1"')
    url = origin.url("/noguid.xml")
    fid = store.add_feed(url, now=now)
    pipeline = Pipeline(cfg, store)
    try:
        for _ in range(3):
            asyncio.run(pipeline.poll([store.feed(fid)], lambda: now))
    finally:
        pipeline.close()
    assert store.rows("SELECT COUNT(*) AS n FROM items")[0]["n"] == 2
    fetches = store.rows("SELECT status, not_modified, parsed FROM fetches ORDER BY id")
    assert [f["status"] for f in fetches] == [200, 304, 304]
    assert [f["parsed"] for f in fetches] == [1, 0, 0]
    sent = origin.requests("/noguid.xml")[-1].headers.get("if-none-match")
    assert sent == '"v1"'


def test_unchanged_body_without_validators_is_not_parsed(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    origin.static("/plain.xml", rss([("g", "http://example.org/g", "T", "D")]))
    fid = store.add_feed(origin.url("/plain.xml"), now=now)
    pipeline = Pipeline(cfg, store)
    try:
        for _ in range(2):
            asyncio.run(pipeline.poll([store.feed(fid)], lambda: now))
    finally:
        pipeline.close()
    fetches = store.rows("SELECT status, parsed, not_modified FROM fetches ORDER BY id")
    assert [(f["status"], f["parsed"], f["not_modified"]) for f in fetches] == [
        (200, 1, 0),
        (200, 0, 1),
    ]


def test_fts_finds_two_character_chinese_words(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    origin.static(
        "/zh.xml",
        rss(
            [
                ("1", "http://example.cn/1", "美国与中亚五国谈稀土供应", "双方签署稀土开采协议。"),
                (
                    "2",
                    "http://example.cn/2",
                    "央行下调贷款市场报价利率",
                    "一年期利率下调10个基点。",
                ),
                ("3", "http://example.cn/3", "Rare earth prices climb", "Prices rose on Monday."),
            ]
        ),
    )
    poll(cfg, store, [origin.url("/zh.xml")], now)

    def titles(q: str) -> list[str]:
        return [r["title"] for r in store.search(q)]

    assert titles("稀土") == ["美国与中亚五国谈稀土供应"]  # 2 characters: fallback
    assert titles("利率") == ["央行下调贷款市场报价利率"]
    assert titles("稀土供应") == ["美国与中亚五国谈稀土供应"]  # trigram index
    assert titles("rare earth") == ["Rare earth prices climb"]
    assert titles("稀土 协议") == ["美国与中亚五国谈稀土供应"]


def test_broken_feed_does_not_stop_others(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    origin.static("/ok.xml", rss([("g", "http://example.org/ok", "Fine", "fine")]))
    origin.static("/bad.xml", b"\x00\x01 not xml at all")
    origin.status("/err.xml", 500)
    report = poll(
        cfg, store, [origin.url("/bad.xml"), origin.url("/err.xml"), origin.url("/ok.xml")], now
    )
    assert report.new_items == 1 and report.errors == 2
    feeds = {r["url"].rsplit("/", 1)[1]: r for r in store.feeds()}
    assert feeds["err.xml"]["last_error"] == "HTTP 500"
    assert feeds["bad.xml"]["last_error"].startswith("not a feed")
    assert feeds["bad.xml"]["next_check_at"] > feeds["ok.xml"]["last_fetched_at"]
    assert feeds["ok.xml"]["error_count"] == 0


def test_feed_record_round_trip(store: Store, now: datetime) -> None:
    fid = store.add_feed("http://example.org/f.xml", now=now, title="F", lang="en")
    rec = store.feed(fid)
    assert isinstance(rec, FeedRecord) and rec.title == "F" and rec.id_policy == "guid"
    assert store.add_feed("http://example.org/f.xml", now=now) == fid


def test_demo_samples_group_by_event_across_languages(tmp_path: Path, origin: Origin) -> None:
    """The real default embedder (multilingual USE) on the bundled samples: each story is one
    event across English, Simplified and Traditional Chinese, and the hard negatives — two
    earthquakes, the Fed and the ECB — stay apart."""
    now = datetime.now(UTC)
    cfg = make_config(tmp_path, cluster={"backend": "use"})
    store = Store.open(cfg.store_path, cfg.store)
    try:
        urls = []
        for name, (title, lang, ctype) in SAMPLE_FILES.items():
            origin.static(f"/{name}", render_sample(sample_bytes(name), now), content_type=ctype)
            urls.append(
                store.add_feed(
                    origin.url(f"/{name}"),
                    now=now,
                    title=title,
                    lang=lang,
                    timezone=SAMPLE_TIMEZONES.get(name),
                )
            )
        pipeline = Pipeline(cfg, store)
        try:
            asyncio.run(pipeline.poll([store.feed(i) for i in urls], lambda: now))
        finally:
            pipeline.close()
        groups = {
            frozenset(r["titles"].split("\x1f"))
            for r in store.rows(
                # All items: a duplicate follows its original's event. Which of the two Fed
                # copies is the original depends on which feed answered first.
                "SELECT group_concat(title, char(31)) AS titles FROM items GROUP BY event_id"
            )
        }
        dup_rules = {
            r["rule"] for r in store.rows("SELECT rule FROM decisions WHERE stage = 'dedupe'")
        }
    finally:
        store.close()
    expected = [
        {
            "US hosts Central Asian leaders as it seeks rare earth supplies beyond China",
            "美国与中亚五国领导人会晤 寻求中国以外的稀土供应",
            "美國與中亞五國峰會聚焦稀土供應",
        },
        {
            "Fed holds interest rates steady at 4.25% as inflation cools",
            "Fed leaves rates unchanged at 4.25% as inflation cools",
            "美联储维持利率在4.25%不变",
        },
        {"ECB cuts rates by a quarter point to 2.0%", "欧洲央行降息25个基点至2.0%"},
        {
            "Magnitude 6.8 earthquake strikes off northern Japan, tsunami advisory issued",
            "日本北部海域发生6.8级地震 气象厅发布海啸预警",
            "日本青森外海6.8級地震 發布海嘯警報",
        },
        {"Magnitude 5.9 earthquake hits eastern Turkey", "土耳其東部發生5.9級地震"},
        {"Markets rally as tech shares recover"},
        {"国内油价周五起小幅下调"},
    ]
    assert groups == {frozenset(g) for g in expected}
    # The republisher's copy of the Fed story (byline + copyright boilerplate around the
    # wire text) is a near-duplicate, not a second member.
    # "reroot" too when the later-published Fed copy answered first (its original then
    # becomes the group's root: issue 13 item 5).
    assert dup_rules - {"reroot"} == {"canonical_url", "containment"}


def _poll_n(
    cfg: Config,
    store: Store,
    fid: int,
    now: datetime,
    bodies: list[bytes],
    origin: Origin,
    path: str,
) -> None:
    pipeline = Pipeline(cfg, store)
    try:
        for i, body in enumerate(bodies):
            origin.static(path, body)
            t = now + timedelta(minutes=30 * i)
            asyncio.run(pipeline.poll([store.feed(fid)], lambda t=t: t))
    finally:
        pipeline.close()


def test_id_02_one_guid_for_every_item(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """All distinct items kept; no new rows on refetch (miniflux#4197)."""
    body = rss([("same", f"http://example.org/{i}", f"Story {i}", f"Text {i}") for i in range(5)])
    fid = store.add_feed(origin.url("/same.xml"), now=now)
    _poll_n(cfg, store, fid, now, [body, body + b" "], origin, "/same.xml")
    assert store.rows("SELECT COUNT(*) AS n FROM items")[0]["n"] == 5
    assert store.feed(fid).id_policy == "link"


def test_guids_that_change_every_fetch(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """A CMS that stamps the fetch time into the GUID: same links, new GUIDs each time."""
    bodies = [
        rss([(f"{i}-{n}", f"http://example.org/{i}", f"Story {i}", f"Text {i}") for i in range(4)])
        for n in range(3)
    ]
    fid = store.add_feed(origin.url("/stamp.xml"), now=now)
    _poll_n(cfg, store, fid, now, bodies, origin, "/stamp.xml")
    assert store.rows("SELECT COUNT(*) AS n FROM items")[0]["n"] == 4
    assert store.feed(fid).id_policy == "link"


def test_event_ids_are_never_reused(store: Store, now: datetime) -> None:
    """Event ids become tag: URIs that readers key on: a deleted event's id must not return."""
    fid = store.add_feed("http://example.org/f.xml", now=now)
    at = "2026-11-20T12:00:00Z"
    with store.transaction():
        for n in range(3):
            store.conn.execute(
                "INSERT INTO items (feed_id, guid, title, fetched_at, updated_at, content_hash)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (fid, f"g{n}", f"t{n}", at, at, f"h{n}"),
            )
        ids = [
            store.create_event(title=f"e{n}", at=at, representative_item_id=n + 1) for n in range(3)
        ]
        store.conn.execute("DELETE FROM events WHERE id = ?", (ids[-1],))
        again = store.create_event(title="new", at=at, representative_item_id=1)
    assert again > ids[-1]


def test_recluster_reassigns_with_new_ids_and_keeps_first_seen(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    from aggregator.pipeline.cluster_pass import EventBuilder

    origin.static(
        "/r.xml",
        rss(
            [
                (f"g{i}", f"http://example.org/{i}", f"Story number {i}", f"Body {i}")
                for i in range(4)
            ]
        ),
    )
    poll(cfg, store, [origin.url("/r.xml")], now)
    before = store.rows("SELECT id, first_seen_at FROM events ORDER BY id")
    later = now + timedelta(hours=5)
    n = EventBuilder(cfg, store).recluster(now - timedelta(days=2), later)
    after = store.rows("SELECT id, first_seen_at FROM events ORDER BY id")
    assert n == 4
    assert store.rows("SELECT COUNT(*) AS n FROM items WHERE event_id IS NULL")[0]["n"] == 0
    assert min(a["id"] for a in after) > max(b["id"] for b in before)
    assert {a["first_seen_at"] for a in after} == {b["first_seen_at"] for b in before}


def test_interleave_hosts_round_robin() -> None:
    from aggregator.pipeline.refresh import interleave_hosts

    feeds = [
        FeedRecord(id=i, url=u)
        for i, u in enumerate(
            ["http://a/1", "http://a/2", "http://a/3", "http://b/1", "http://c/1", "http://b/2"]
        )
    ]
    assert [f.url for f in interleave_hosts(feeds)] == [
        "http://a/1",
        "http://b/1",
        "http://c/1",
        "http://a/2",
        "http://b/2",
        "http://a/3",
    ]


def test_permanent_redirect_moves_the_url_only_after_it_held(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    origin.static("/new.xml", rss([("g", "http://example.org/g", "T", "D")]))
    origin.redirect("/old.xml", "/new.xml", code=301)
    origin.redirect("/temp.xml", "/new.xml", code=302)
    moved = store.add_feed(origin.url("/old.xml"), now=now)
    temp = store.add_feed(origin.url("/temp.xml"), now=now)
    urls = []
    pipeline = Pipeline(cfg, store)
    try:
        for i in range(3):
            t = now + timedelta(hours=i)
            asyncio.run(pipeline.poll([store.feed(moved), store.feed(temp)], lambda t=t: t))
            urls.append(store.feed(moved).url)
    finally:
        pipeline.close()
    assert urls == [origin.url("/old.xml")] * 2 + [origin.url("/new.xml")]
    assert store.feed(temp).url == origin.url("/temp.xml")


def test_channel_header_change_alone_is_not_parsed(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """<lastBuildDate> moving on every request must not cost a parse; a new or edited entry
    must still be seen."""

    def doc(build: int, items: list[tuple[str, str, str, str]]) -> bytes:
        body = rss(items)
        return body.replace(
            b"<link>http://example.org/</link>",
            f"<link>http://example.org/</link><lastBuildDate>Thu, 19 Nov 2026"
            f" 10:{build:02d}:00 GMT</lastBuildDate>".encode(),
            1,
        )

    a = ("a", "http://example.org/a", "Story A", "Text A")
    b = ("b", "http://example.org/b", "Story B", "Text B")
    bodies = [
        doc(1, [a]),
        doc(2, [a]),  # header only
        doc(3, [b, a]),  # a new entry
        doc(4, [b, ("a", "http://example.org/a", "Story A", "Text A, corrected")]),  # edited
    ]
    fid = store.add_feed(origin.url("/hdr.xml"), now=now)
    _poll_n(cfg, store, fid, now, bodies, origin, "/hdr.xml")
    fetches = store.rows(
        "SELECT parsed, not_modified, new_items, updated_items FROM fetches ORDER BY id"
    )
    assert [(f["parsed"], f["new_items"], f["updated_items"]) for f in fetches] == [
        (1, 1, 0),
        (0, 0, 0),
        (1, 1, 0),
        (1, 0, 1),
    ]
    assert fetches[1]["not_modified"] == 1


class _RecordingParser:
    """The pipeline's parser, recording the bodies it was given."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.bodies: list[bytes] = []

    async def parse(self, body: bytes, *args: Any) -> Any:
        self.bodies.append(body)
        return await self.inner.parse(body, *args)

    def close(self) -> None:
        self.inner.close()


def test_known_entries_are_cut_before_parsing(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """A page of 20 that gains 2 entries and has 1 edited is parsed for those 3 only; the
    stored result is what a whole parse gives (2 new, 1 revised, nothing else touched)."""
    old = [(f"g{i}", f"http://example.org/{i}", f"Story {i}", f"Text {i}") for i in range(20)]
    edited = [*old]
    edited[5] = ("g5", "http://example.org/5", "Story 5", "Text 5, corrected")
    new = [("n1", "http://example.org/n1", "New 1", "Fresh 1"),
           ("n2", "http://example.org/n2", "New 2", "Fresh 2")]
    fid = store.add_feed(origin.url("/cut.xml"), now=now)
    pipeline = Pipeline(cfg, store)
    rec = _RecordingParser(pipeline.parser)
    pipeline.parser = rec  # type: ignore[assignment]
    try:
        for i, body in enumerate([rss(old), rss(new + edited)]):
            origin.static("/cut.xml", body)
            t = now + timedelta(minutes=30 * i)
            asyncio.run(pipeline.poll([store.feed(fid)], lambda t=t: t))
    finally:
        pipeline.close()
    fetches = store.rows("SELECT new_items, updated_items FROM fetches ORDER BY id")
    assert [(f["new_items"], f["updated_items"]) for f in fetches] == [(20, 0), (2, 1)]
    assert len(rec.bodies) == 2
    second = rec.bodies[1]
    assert second.count(b"<item>") == 3
    assert b"Fresh 1" in second and b"Text 5, corrected" in second and b"Text 7<" not in second
    assert store.rows("SELECT COUNT(*) AS n FROM items")[0]["n"] == 22


def test_a_malformed_cut_document_is_parsed_whole(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """A document that is malformed anyway (a mismatched tag in a new entry): the cut one
    comes out malformed too, so the whole body is parsed; the new entry is still stored."""
    old = [(f"g{i}", f"http://example.org/{i}", f"Story {i}", f"Text {i}") for i in range(3)]
    fid = store.add_feed(origin.url("/bad.xml"), now=now)
    broken = rss([("n", "http://example.org/n", "New <b>bold", "Fresh"), *old])
    pipeline = Pipeline(cfg, store)
    rec = _RecordingParser(pipeline.parser)
    pipeline.parser = rec  # type: ignore[assignment]
    try:
        for i, body in enumerate([rss(old), broken]):
            origin.static("/bad.xml", body)
            t = now + timedelta(minutes=30 * i)
            asyncio.run(pipeline.poll([store.feed(fid)], lambda t=t: t))
    finally:
        pipeline.close()
    assert [len(b) for b in rec.bodies[1:]] == [len(rec.bodies[1]), len(broken)]
    assert len(rec.bodies[1]) < len(broken)
    titles = {r["title"] for r in store.rows("SELECT title FROM items")}
    assert any(t.startswith("New") for t in titles)


def test_grouped_commit_keeps_each_feed_all_or_nothing(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """Feeds of one poll share a group transaction (store.commit_interval_ms), but a feed
    whose writes fail rolls back alone: its items and its validators, nothing of the others."""
    store.conn.execute(
        "CREATE TRIGGER poison BEFORE INSERT ON items WHEN new.title = 'Poison'"
        " BEGIN SELECT RAISE(ABORT, 'poisoned'); END"
    )
    origin.static("/ok.xml", rss([("a", "http://example.org/a", "Fine", "Text A")]))
    origin.static(
        "/bad.xml",
        rss([("b", "http://example.org/b", "Good first", "B"),
             ("c", "http://example.org/c", "Poison", "C")]),
    )
    report = poll(cfg, store, [origin.url("/ok.xml"), origin.url("/bad.xml")], now)
    errors = {o.url.rsplit("/", 1)[-1]: o.error for o in report.outcomes}
    assert errors["ok.xml"] is None
    assert errors["bad.xml"] and "poisoned" in errors["bad.xml"]
    assert not store.conn.in_transaction  # the poll committed its group
    titles = {r["title"] for r in store.rows("SELECT title FROM items")}
    assert titles == {"Fine"}  # "Good first" rolled back with its feed
    hashes = {
        r["url"].rsplit("/", 1)[-1]: r["last_body_hash"]
        for r in store.rows("SELECT url, last_body_hash FROM feeds")
    }
    assert hashes["ok.xml"] and hashes["bad.xml"] is None
    other = sqlite3.connect(store.path)  # and another connection sees it committed
    assert other.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 1
    other.close()


def test_pass_with_nothing_new_loads_no_clustering_window(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """A pass with nothing to cluster (every feed 304 or unchanged) must not rebuild the
    clusterer: that is the window's rows, their vectors and entity keys, and the model."""
    from aggregator.pipeline.cluster_pass import EventBuilder

    origin.static(
        "/w.xml",
        rss([(f"g{i}", f"http://example.org/{i}", f"Story {i}", f"Body {i}") for i in range(3)]),
    )
    poll(cfg, store, [origin.url("/w.xml")], now)
    assert store.rows("SELECT COUNT(*) AS n FROM events")[0]["n"] > 0
    assert not store.has_unclustered_items()
    builder = EventBuilder(cfg, store)  # a new process: nothing in memory yet
    assert builder.cluster_pending(now + timedelta(minutes=15)) == 0
    assert builder.clusterer is None
    assert asyncio.run(builder.cluster_pending_async(now + timedelta(minutes=30))) == 0
    assert builder.clusterer is None


def test_cli_pass_that_stores_nothing_leaves_outputs_alone(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    """`poll` publishes after a pass that stored something (and when no output exists yet);
    a pass of 304s rewrites nothing, so readers' conditional GETs of our files stay 304."""
    from aggregator.cli import poll_once

    items = [(f"g{i}", f"http://example.org/{i}", f"Story {i}", f"Body {i}") for i in range(3)]
    origin.static("/o.xml", rss(items), etag='"v1"')
    store.add_feed(origin.url("/o.xml"), now=now)
    index = cfg.publish_dir / "index.html"
    asyncio.run(poll_once(cfg, store, all_feeds=True, show_progress=False))
    first = index.stat().st_mtime_ns
    index.write_text("marker", encoding="utf-8")  # would be replaced by a publish
    asyncio.run(poll_once(cfg, store, all_feeds=True, show_progress=False))
    assert origin.requests("/o.xml")[-1].headers.get("if-none-match") == '"v1"'
    assert index.read_text(encoding="utf-8") == "marker"
    origin.static("/o.xml", rss([*items, ("g9", "http://example.org/9", "New", "B")]), etag='"v2"')
    asyncio.run(poll_once(cfg, store, all_feeds=True, show_progress=False))
    assert index.read_text(encoding="utf-8") != "marker" and index.stat().st_mtime_ns >= first


def test_window_load_reads_stored_term_counts_instead_of_recomputing(
    cfg: Config, store: Store, origin: Origin, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: loading the clustering window re-segmented and re-glossed every member
    (3.4 s of a 200-feed pass). The counts are stored when an item is clustered, read back on
    load (the same counts), and dropped when the item's text is revised."""
    import json
    from collections import Counter

    from aggregator.cluster import lexical
    from aggregator.pipeline import cluster_pass
    from aggregator.pipeline.cluster_pass import EventBuilder

    stories = [(f"g{i}", f"http://example.org/{i}", f"Flood story {i} in 广东", f"Body {i} 暴雨")
               for i in range(4)]  # fmt: skip
    origin.static("/t.xml", rss(stories))
    poll(cfg, store, [origin.url("/t.xml")], now)
    rows = store.rows("SELECT item_id, terms FROM item_terms ORDER BY item_id")
    assert len(rows) == 4
    first = rows[0]
    item = store.rows("SELECT title, summary FROM items WHERE id = ?", (first["item_id"],))[0]
    expected = lexical.terms(item["title"], cluster_pass._lead(item))
    assert Counter(json.loads(first["terms"])) == expected

    # The first story comes back edited: a revision, so its stored counts go.
    stories[0] = (stories[0][0], stories[0][1], "Flood story 0 revised", "Body 0 暴雨 更新")
    origin.static("/t.xml", rss(stories))
    poll(cfg, store, [origin.url("/t.xml")], now + timedelta(minutes=20))
    assert not store.rows("SELECT 1 FROM item_terms WHERE item_id = ?", (first["item_id"],))

    calls = {"n": 0}
    real = lexical.terms

    def counting(title: str, lead: str, **kw: bool) -> Counter[str]:
        calls["n"] += 1
        return real(title, lead, **kw)

    monkeypatch.setattr(cluster_pass.lexical, "terms", counting)
    builder = EventBuilder(cfg, store)  # a new process: the window comes from the store
    clusterer = builder._load(now - timedelta(days=3))
    assert len(clusterer) == 4
    assert calls["n"] == 1  # only the revised item is segmented again, and stored
    assert store.rows("SELECT 1 FROM item_terms WHERE item_id = ?", (first["item_id"],))
    EventBuilder(cfg, store)._load(now - timedelta(days=3))
    assert calls["n"] == 1  # every member's counts now come from the store
