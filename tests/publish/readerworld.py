"""A small labelled world for the reader-view tests: feeds of a few outlets on a local origin,
polled for real into a real store, then grouped into known events (the clusterer is not under
test here: events are set from the labels, as the cluster pass would store them)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape

from origin import Origin

from aggregator.config import Config
from aggregator.pipeline.refresh import Pipeline
from aggregator.store.core import Store, utc_iso


@dataclass(frozen=True)
class Report:
    story: str  # label: which event the report belongs to
    feed: str
    title: str
    lead: str
    age: timedelta  # published this long before the poll


#: feed path → (title, outlet, country, language)
FEEDS = {
    "/ap-top.xml": ("AP Top News", "AP", "US", "en"),
    "/ap-politics.xml": ("AP Politics", "AP", "US", "en"),
    "/bbc.xml": ("BBC World", "BBC", "GB", "en"),
    "/chinanews.xml": ("中新网 国际", "中新网", "CN", "zh-CN"),
    "/zaobao.xml": ("联合早报 即时", "联合早报", "SG", "zh-TW"),
}

REPORTS = [
    Report(
        "rare",
        "/ap-top.xml",
        "US courts Central Asia for rare earth supplies",
        "The United States hosted five Central Asian leaders on Thursday. Washington wants "
        "rare earth supplies beyond China for its factories. The leaders signed a minerals "
        "framework at the White House.",
        timedelta(days=7, hours=2),
    ),
    Report(
        "rare",
        "/ap-politics.xml",
        "Central Asian leaders meet Trump on critical minerals",
        "Five Central Asian presidents met the US president on Thursday to discuss critical "
        "minerals. The leaders signed a minerals framework at the White House.",
        timedelta(days=7, hours=1),
    ),
    Report(
        "rare",
        "/bbc.xml",
        "US seeks rare earth supplies from Central Asia",
        "The US is seeking rare earth supplies from Central Asia as it tries to reduce "
        "reliance on China. Kazakhstan holds large deposits of critical minerals.",
        timedelta(days=6, hours=23),
    ),
    Report(
        "rare",
        "/chinanews.xml",
        "美国与中亚五国领导人会晤 寻求稀土供应",
        "美国总统周四在白宫会见中亚五国领导人。美方希望在中国以外寻找稀土供应。"
        "双方签署了关键矿产合作框架。",
        timedelta(days=6, hours=20),
    ),
    Report(
        "rare",
        "/zaobao.xml",
        "美國與中亞峰會聚焦稀土供應",
        "美國與中亞五國領導人周四在白宮會晤，聚焦稀土供應。哈薩克擁有大量關鍵礦產。",
        timedelta(days=6, hours=19),
    ),
    Report(
        "quake",
        "/bbc.xml",
        "Magnitude 6.8 earthquake strikes off Aomori, Japan",
        "A magnitude 6.8 earthquake struck off the coast of Aomori in northern Japan. "
        "A tsunami warning was issued for the Pacific coast.",
        timedelta(hours=5),
    ),
    Report(
        "oil",
        "/chinanews.xml",
        "国内油价周五起小幅下调",
        "国家发展改革委宣布，国内汽油、柴油价格自周五起每吨分别下调约100元。",
        timedelta(hours=3),
    ),
    Report(
        "fed",
        "/ap-top.xml",
        "Fed holds interest rates steady as inflation cools",
        "The Federal Reserve held its benchmark rate steady on Wednesday. Officials said "
        "inflation is cooling but remains above target.",
        timedelta(hours=2),
    ),
    Report(
        "fed",
        "/zaobao.xml",
        "美聯儲維持利率不變",
        "美國聯邦儲備局周三宣布維持基準利率不變，稱通脹正在降溫。",
        timedelta(hours=1),
    ),
]


def rss(reports: list[tuple[int, Report]], title: str, now: datetime, lang: str) -> bytes:
    body = "".join(
        f'<item><guid isPermaLink="false">r{i}</guid>'
        f"<link>https://news.example.com/{i}</link><title>{escape(r.title)}</title>"
        f"<description>{escape(r.lead)}</description>"
        f"<pubDate>{format_datetime(now - r.age, usegmt=True)}</pubDate></item>"
        for i, r in reports
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example.com/</link>"
        f"<language>{lang}</language>{body}</channel></rss>"
    ).encode()


def serve_world(origin: Origin, now: datetime, reports: list[Report] | None = None) -> None:
    reports = REPORTS if reports is None else reports
    for path, (title, _o, _c, lang) in FEEDS.items():
        mine = [(i, r) for i, r in enumerate(reports) if r.feed == path]
        origin.static(path, rss(mine, title, now, lang))


def build_world(
    cfg: Config, store: Store, origin: Origin, now: datetime, reports: list[Report] | None = None
) -> dict[str, int]:
    """Poll the world's feeds and group its items into the labelled events; returns
    story label → event id."""
    reports = REPORTS if reports is None else reports
    serve_world(origin, now, reports)
    feeds = []
    for path, (title, outlet, country, lang) in FEEDS.items():
        fid = store.add_feed(
            origin.url(path), now=now, title=title, lang=lang, outlet=outlet, country=country
        )
        feeds.append(store.feed(fid))
    pipeline = Pipeline(cfg, store)
    try:
        asyncio.run(pipeline.poll(feeds, lambda: now))
    finally:
        pipeline.close()
    return group(store, reports, now)


def group(store: Store, reports: list[Report], now: datetime) -> dict[str, int]:
    """Set each item's event from its story label (as the cluster pass would store it)."""
    by_title = {r.title: r.story for r in reports}
    items = store.rows("SELECT id, title, fetched_at FROM items ORDER BY id")
    with store.transaction():
        store.conn.execute("UPDATE items SET event_id = NULL")
        store.conn.execute("DELETE FROM events")
        events: dict[str, int] = {}
        for it in items:
            story = by_title[it["title"]]
            if story not in events:
                events[story] = store.create_event(
                    title=it["title"], at=it["fetched_at"], representative_item_id=it["id"]
                )
            store.set_item_event(it["id"], events[story])
        for eid in events.values():
            store.refresh_event(eid, updated_at=utc_iso(now))
    return events
