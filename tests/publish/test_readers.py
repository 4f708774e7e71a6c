"""A real feed reader on our published output: newsboat (Debian package) reloads the feeds
served by :class:`aggregator.serve.server.FeedServer` on 127.0.0.1; we read its SQLite cache.
Checks every entry arrives with Chinese titles intact, and that an event that grows stays
ONE entry in the reader (same GUID), not a second one. Skips when newsboat is absent
(``make system-deps`` installs it)."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from conftest import make_config, serve_outputs
from origin import Origin

from aggregator.config import Config
from aggregator.demo import SAMPLE_FILES, render_sample, sample_bytes
from aggregator.models import Item
from aggregator.pipeline.publish_pass import publish_outputs
from aggregator.pipeline.refresh import Pipeline
from aggregator.store.core import Store, utc_iso

NEWSBOAT = shutil.which("newsboat")
pytestmark = pytest.mark.skipif(
    NEWSBOAT is None, reason="newsboat not installed (Debian: apt-get install newsboat)"
)
#: newsboat -x reload finishes in well under a second on loopback; bound it anyway.
NEWSBOAT_TIMEOUT_S = 60
#: Two readers' subscription lists. newsboat keys its cache by GUID across feeds (as DESIGN.md
#: notes), and events.atom / events.rss carry the same tag: ids, so one reader subscribed to
#: both would file each entry under one of them only: each list has one format per feed.
READERS = {
    "atom-reader": ("/events.atom", "/items.rss"),
    "rss-reader": ("/events.rss", "/items.atom"),
}


def newsboat_reload(home: Path, urls: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Run ``newsboat -x reload`` with its files in ``home``; returns feed URL →
    [(guid, title)] from its cache."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "urls").write_text("\n".join(urls) + "\n", encoding="utf-8")
    (home / "config").write_text("reload-threads 1\n", encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",  # DESIGN.md: without it newsboat mangles Chinese
        "TERM": "dumb",
    }
    assert NEWSBOAT is not None
    proc = subprocess.run(
        [NEWSBOAT, "-x", "reload", "-u", str(home / "urls"), "-c", str(home / "cache.db"),
         "-C", str(home / "config")],
        env=env, capture_output=True, timeout=NEWSBOAT_TIMEOUT_S, cwd=home,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    db = sqlite3.connect(home / "cache.db")
    try:
        out: dict[str, list[tuple[str, str]]] = {u: [] for u in urls}
        for feedurl, guid, title in db.execute(
            "SELECT feedurl, guid, title FROM rss_item ORDER BY id"
        ):
            out.setdefault(feedurl, []).append((guid, title))
        return out
    finally:
        db.close()


def published(cfg: Config, name: str) -> list[tuple[str, str]]:
    doc = feedparser.parse((cfg.publish_dir / name).read_bytes())
    return [(e.id, e.title) for e in doc.entries]


def test_newsboat_reads_every_entry_and_a_growing_event_stays_one(
    tmp_path: Path, origin: Origin
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    cfg = make_config(tmp_path, server={"port": 0})
    for name, (_t, _l, ctype) in SAMPLE_FILES.items():
        origin.static(f"/{name}", render_sample(sample_bytes(name), now), content_type=ctype)
    store = Store.open(cfg.store_path, cfg.store)
    pipeline = Pipeline(cfg, store)
    try:
        feeds = [
            store.feed(store.add_feed(origin.url(f"/{n}"), now=now, title=t, lang=lang))
            for n, (t, lang, _c) in SAMPLE_FILES.items()
        ]
        report = asyncio.run(pipeline.poll(feeds, lambda: now))
        assert report.errors == 0 and report.new_items > 0
    finally:
        pipeline.close()
    publish_outputs(cfg, store, now)

    with serve_outputs(cfg) as port:

        def reload_all() -> dict[str, list[tuple[str, str]]]:
            return {
                path: entries
                for name, paths in READERS.items()
                for path, entries in zip(
                    paths,
                    newsboat_reload(
                        tmp_path / name, [f"http://127.0.0.1:{port}{p}" for p in paths]
                    ).values(),
                    strict=True,
                )
            }

        got = {p: dict(v) for p, v in reload_all().items()}
        for path, entries in got.items():
            want = dict(published(cfg, path.lstrip("/")))
            assert want, path
            # every entry, same GUIDs (our tag: ids), titles byte for byte (Chinese intact)
            assert entries == want, path
            assert all(g.startswith("tag:") for g in entries)
        titles = " ".join(t for entries in got.values() for t in entries.values())
        assert any("\u4e00" <= ch <= "\u9fff" for ch in titles), "no Chinese title arrived"

        # An event grows: a new outlet's item joins the event; `updated` moves.
        event_id, n_members = store.conn.execute(
            "SELECT e.id, COUNT(i.id) FROM events e JOIN items i ON i.event_id = e.id"
            " GROUP BY e.id ORDER BY e.id LIMIT 1"
        ).fetchone()
        later = now + timedelta(minutes=30)
        with store.transaction():
            fid = store.add_feed("http://late.example.org/feed.xml", now=later, title="Late Wire")
            rep = store.conn.execute(
                "SELECT title, lang FROM items WHERE event_id = ? ORDER BY id LIMIT 1",
                (event_id,),
            ).fetchone()
            member = Item(
                feed_id=fid, guid="late-1", url="http://late.example.org/1",
                canonical_url="http://late.example.org/1", title=rep[0] + " (Late Wire)",
                summary="", content_html="", content_text="late member", lang=rep[1],
                published_at=utc_iso(later), fetched_at=utc_iso(later), content_hash="late-1",
            )  # fmt: skip
            store.insert_item(replace(member, event_id=event_id))
            store.refresh_event(event_id, updated_at=utc_iso(later))
        publish_outputs(cfg, store, later)
        assert set(dict(published(cfg, "events.atom"))) == set(got["/events.atom"])
        got2 = reload_all()

    for path in ("/events.atom", "/events.rss"):
        guids = [g for g, _t in got2[path]]
        # still one entry per event: the grown event kept its GUID, no second entry
        assert len(guids) == len(set(guids)) == len(got[path]), path
        assert set(guids) == set(got[path]), path
    # the grown event's entry now lists the new member
    grown = next(
        e
        for e in feedparser.parse((cfg.publish_dir / "events.atom").read_bytes()).entries
        if e.id.endswith(f"/{event_id}")
    )
    assert "Late Wire" in grown.content[0].value and n_members >= 1
    store.close()
