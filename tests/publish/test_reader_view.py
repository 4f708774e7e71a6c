"""Reader view contract (DESIGN.md, issue 14): story dates, outlets counted once everywhere,
headline and summary in both languages from members, validator-clean outputs."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path

import feedparser
from conftest import make_config
from lxml import etree
from origin import Origin
from readerworld import REPORTS, Report, build_world, group, serve_world

from aggregator.config import Config
from aggregator.pipeline.audit import explain
from aggregator.pipeline.publish_pass import publish_outputs
from aggregator.pipeline.refresh import Pipeline
from aggregator.store.core import Store, utc_iso

A = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _json(cfg: Config, name: str = "events.json") -> dict[int, dict]:  # type: ignore[type-arg]
    doc = json.loads((cfg.publish_dir / name).read_text(encoding="utf-8"))
    return {it["_aggregator"]["event_id"]: it for it in doc["items"]}


def test_event_dates_are_the_storys_own(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    cfg = make_config(tmp_path)
    events = build_world(cfg, store, origin, now)
    publish_outputs(cfg, store, now)
    items = _json(cfg)
    rare = items[events["rare"]]
    # A week-old story polled today is dated a week ago (its earliest report), not today.
    assert rare["date_published"] == utc_iso(now - timedelta(days=7, hours=2))
    assert rare["date_modified"] == utc_iso(now - timedelta(days=6, hours=19))
    # One poll made every event; none shares its timestamp with another because of that.
    stamps = [it["date_modified"] for it in items.values()]
    assert len(set(stamps)) == len(stamps), stamps
    atom = etree.parse(str(cfg.publish_dir / "events.atom")).getroot()
    updated = [e.findtext(f"{A}updated") for e in atom.iter(f"{A}entry")]
    assert len(set(updated)) == len(updated) == len(events)


def test_updated_moves_when_a_member_joins_even_an_older_one(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    cfg = make_config(tmp_path)
    first = [r for r in REPORTS if r.story != "quake"]
    events = build_world(cfg, store, origin, now, first)
    publish_outputs(cfg, store, now)
    before = _json(cfg)
    # Republishing an unchanged store moves nothing.
    publish_outputs(cfg, store, now + timedelta(minutes=5))
    assert _json(cfg) == before
    # A late report of the Fed story, dated before the story's last update, joins it.
    late = Report(
        "fed",
        "/bbc.xml",
        "Federal Reserve keeps rates on hold",
        "The Federal Reserve kept interest rates on hold on Wednesday.",
        timedelta(hours=1, minutes=30),
    )
    later = now + timedelta(hours=1)
    serve_world(origin, later, [*first, late])
    pipeline = Pipeline(cfg, store)
    try:
        asyncio.run(pipeline.poll([store.feed(f["id"]) for f in store.feeds()], lambda: later))
    finally:
        pipeline.close()
    events = group(store, [*first, late], later)
    publish_outputs(cfg, store, later)
    after = _json(cfg)
    fed_before = next(v for v in before.values() if v["title"].startswith("Fed holds"))
    fed_after = after[events["fed"]]
    assert fed_after["date_modified"] > fed_before["date_modified"]
    assert fed_after["date_published"] == fed_before["date_published"]
    assert fed_after["_aggregator"]["outlet_count"] == 3


def test_outlet_count_is_one_number_everywhere(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    cfg = make_config(tmp_path)
    events = build_world(cfg, store, origin, now)
    publish_outputs(cfg, store, now)
    rare = events["rare"]
    # AP Top News and AP Politics are one outlet: 5 reports from 4 outlets.
    stored = store.rows("SELECT outlet_count, sources FROM events WHERE id = ?", (rare,))[0]
    assert stored["outlet_count"] == 4
    assert sorted(json.loads(stored["sources"])) == ["AP", "BBC", "中新网", "联合早报"]
    item = _json(cfg)[rare]
    ext = item["_aggregator"]
    assert ext["outlet_count"] == 4 and ext["item_count"] == 5
    assert [o["name"] for o in ext["outlets"]] == ["AP", "BBC", "中新网", "联合早报"]
    assert ext["outlets"][0] == {"name": "AP", "country": "US", "languages": ["en"]}
    assert "5 reports from 4 outlets" in item["content_html"]
    # each outlet once in the body, with its reports
    assert item["content_html"].count('<span class="source">AP (US)</span>') == 1
    page = (cfg.publish_dir / "index.html").read_text(encoding="utf-8")
    assert f'id="event-{rare}"' in page and "4 outlets · 5 reports" in page
    member = store.rows("SELECT id FROM items WHERE event_id = ? LIMIT 1", (rare,))[0]["id"]
    assert "— 4 outlets," in explain(store, member).render()


def test_both_headlines_and_summaries_come_from_members(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    cfg = make_config(tmp_path)
    events = build_world(cfg, store, origin, now)
    publish_outputs(cfg, store, now)
    items = _json(cfg)
    rare = items[events["rare"]]["_aggregator"]
    en_titles = {r.title for r in REPORTS if r.story == "rare" and r.feed != "/chinanews.xml"}
    assert rare["titles"]["en"] in en_titles
    zh_titles = {r.title for r in REPORTS if r.story == "rare"} - en_titles
    assert rare["titles"]["zh"] in zh_titles
    en_sum, zh_sum = rare["summaries"]["en"], rare["summaries"]["zh"]
    assert en_sum and zh_sum and rare["machine_translated"] == []
    # extractive: every sentence comes from a member's lead; 2-3 of them, several members
    leads = " ".join(r.lead for r in REPORTS if r.story == "rare")
    sents = [s for s in en_sum.split(". ") if s]
    assert 2 <= len(sents) <= 3 and all(s.rstrip(".") in leads for s in sents)
    assert "rare earth" in en_sum and "minerals framework" in en_sum
    assert "稀土" in zh_sum
    # one-language events: that language only, nothing invented
    assert items[events["quake"]]["_aggregator"]["titles"]["zh"] is None
    assert items[events["oil"]]["_aggregator"]["titles"]["en"] is None
    # Atom/RSS/HTML show both headlines
    atom = (cfg.publish_dir / "events.atom").read_text(encoding="utf-8")
    rssdoc = (cfg.publish_dir / "events.rss").read_text(encoding="utf-8")
    page = (cfg.publish_dir / "index.html").read_text(encoding="utf-8")
    for doc in (atom, rssdoc, page):
        assert rare["titles"]["en"] in doc and rare["titles"]["zh"] in doc


def test_outputs_are_validator_clean(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    cfg = make_config(tmp_path)
    build_world(cfg, store, origin, now)
    publish_outputs(cfg, store, now)
    for name in ("events.atom", "items.atom", "digest.atom"):
        root = etree.parse(str(cfg.publish_dir / name)).getroot()
        entries = list(root.iter(f"{A}entry"))
        assert entries, name
        for e in entries:
            assert e.get(XML_LANG), (name, e.findtext(f"{A}id"))
            src = e.find(f"{A}source")
            if src is not None:
                assert src.findtext(f"{A}id") and src.findtext(f"{A}updated"), name
        if name == "items.atom":
            assert all(e.find(f"{A}source") is not None for e in entries)
            langs = {e.get(XML_LANG) for e in entries}
            assert {"en", "zh-Hans"} <= langs, langs
    for name in ("events.rss", "items.rss", "digest.rss"):
        root = etree.parse(str(cfg.publish_dir / name)).getroot()
        assert root.findtext("channel/language") == "en"
        for it in root.iter("item"):
            assert it.findtext("{http://purl.org/dc/elements/1.1/}creator"), name
        parsed = feedparser.parse((cfg.publish_dir / name).read_bytes())
        assert not parsed.bozo and parsed.entries


def test_central_member_is_not_the_outlier() -> None:
    from aggregator.models import EventMember
    from aggregator.publish.view import central_member

    def m(i: int, title: str) -> EventMember:
        return EventMember(
            item_id=i,
            feed_id=i,
            source="s",
            title=title,
            url=None,
            lang="en",
            published_at=None,
            fetched_at="2026-11-20T00:00:00Z",
        )

    members = [
        m(1, "Storm closes schools and roads across the north"),  # earliest: wins ties
        m(2, "Fed raises rates as storm closes schools across the north and roads"),
        m(3, "Storm closes roads and schools across the north of the country"),
    ]
    assert central_member(members, "en") is not None
    assert central_member(members, "en").item_id in {1, 3}
    outlier = [*members[:1], members[2], m(4, "Quarterly earnings beat forecasts at bank")]
    assert central_member(outlier, "en").item_id != 4  # type: ignore[union-attr]


def test_bundled_opml_outlets_in_feeds_list(tmp_path: Path) -> None:
    """The bundled feeds.opml names each feed's outlet: 4 AP feeds are one outlet, AP (US);
    an outline without the attribute gets the outlet of its site's registrable domain."""
    import shutil

    from conftest import REPO, run_cli

    opml = (REPO / "feeds.opml").read_text(encoding="utf-8")
    extra = (
        '<outline text="X" title="Extra" type="rss" xmlUrl="https://feeds.example.co.uk/a.xml"'
        ' htmlUrl="https://www.example.co.uk/news" language="en"/>\n  </body>'
    )
    (tmp_path / "feeds.opml").write_text(opml.replace("</body>", extra), encoding="utf-8")
    (tmp_path / "config.toml").write_text('[store]\npath = "db/t.db"\n', encoding="utf-8")
    proc = run_cli(tmp_path / "config.toml", "feeds", "list", "--json", timeout=60)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    by_outlet: dict[str, int] = {}
    for r in rows:
        by_outlet[r["outlet"]] = by_outlet.get(r["outlet"], 0) + 1
    assert by_outlet["AP (US)"] == 4 and by_outlet["中新网 (CN)"] == 4
    assert by_outlet["example.co.uk (GB)"] == 1
    assert all(r["outlet"] for r in rows)
    table = run_cli(tmp_path / "config.toml", "feeds", "list", timeout=60)
    assert table.returncode == 0 and "outlet" in table.stdout
    shutil.rmtree(tmp_path / "db")


def test_rss_description_of_an_empty_item_escapes_its_title() -> None:
    """Falsifying example of tests/test_fuzz.py::test_render_all_output_parses_strictly
    (flaky in a full run on main): an item with no body and no summary got its raw title as
    RSS <description>, which readers render as HTML."""
    from datetime import UTC

    from aggregator.config import PublishConfig
    from aggregator.publish import PublishedItem, render_item_feeds

    item = PublishedItem(id=1, title="<script>alert(1)</script>", url=None, summary="",
                         content_html="", lang="en", published_at=None,
                         fetched_at="2000-01-01T00:00:00+00:00", source_title="")  # fmt: skip
    now = datetime(2026, 11, 20, tzinfo=UTC)
    raw = render_item_feeds([item], PublishConfig(), now)["items.rss"]
    desc = etree.fromstring(raw).findtext("channel/item/description")
    assert desc is not None and "<script" not in desc.lower()
    assert "&lt;script&gt;" in desc


def test_chinese_summary_keeps_one_script() -> None:
    from aggregator.models import EventMember
    from aggregator.publish.view import bilingual

    def m(i: int, lang: str, title: str, lead: str) -> EventMember:
        return EventMember(item_id=i, feed_id=i, source="s", title=title, url=None, lang=lang,
                           published_at=f"2026-11-20T0{i}:00:00Z",
                           fetched_at="2026-11-20T09:00:00Z", lead=lead)  # fmt: skip

    members = [
        m(1, "zh-Hans", "美国寻求稀土供应",
          "美方希望在中国以外寻找稀土供应。双方签署了关键矿产合作框架。"),
        m(2, "zh-Hant", "美國與中亞峰會聚焦稀土",
          "美國與中亞五國領導人周四在白宮會晤，聚焦稀土供應。"),
    ]
    titles, summaries = bilingual(members)
    assert titles["zh"] == "美国寻求稀土供应"
    assert summaries["zh"] and "國" not in summaries["zh"] and "稀土" in summaries["zh"]


def test_renaming_a_feeds_outlet_recounts_its_events(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    """A feed added without an outlet gets a guessed one; when the OPML later names it (AP
    Politics is AP), stored counts follow and the guess without feeds goes away."""
    cfg = make_config(tmp_path)
    events = build_world(cfg, store, origin, now)
    ap_politics = next(f for f in store.feeds() if f["url"].endswith("/ap-politics.xml"))
    store.add_feed(ap_politics["url"], now=now, outlet="AP Politics Desk", country="US")
    row = store.rows("SELECT outlet_count FROM events WHERE id = ?", (events["rare"],))[0]
    assert row["outlet_count"] == 5
    store.add_feed(ap_politics["url"], now=now, outlet="AP", country="US")
    row = store.rows("SELECT outlet_count, sources FROM events WHERE id = ?", (events["rare"],))
    assert row[0]["outlet_count"] == 4 and "AP Politics Desk" not in row[0]["sources"]
    guessed = store.add_feed(origin.url("/new.xml"), now=now, title="New Feed")
    assert store.rows("SELECT o.inferred FROM feeds f JOIN outlets o ON o.id = f.outlet_id"
                      " WHERE f.id = ?", (guessed,))[0]["inferred"] == 1  # fmt: skip
    store.add_feed(origin.url("/new.xml"), now=now, outlet="BBC")
    orphans = store.rows("SELECT name FROM outlets WHERE inferred = 1 AND id NOT IN"
                         " (SELECT outlet_id FROM feeds WHERE outlet_id IS NOT NULL)")  # fmt: skip
    assert orphans == []
    publish_outputs(cfg, store, now)
    assert _json(cfg)[events["rare"]]["_aggregator"]["outlet_count"] == row[0]["outlet_count"]
