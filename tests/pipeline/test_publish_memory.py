"""What a poll pass holds in memory (issue 15 item 8, issue 16 items 3 and 6): publishing holds
one rendered output at a time and replaces the outputs all together; a one-shot poll drops
what only refreshing used before it clusters. Real store, real files, real origin."""

from __future__ import annotations

import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import make_config, poll_one_feed

from aggregator.models import Item
from aggregator.pipeline.publish_pass import publish_outputs
from aggregator.publish import write_outputs
from aggregator.store.core import Store, utc_iso

#: Items of ~40 KB of HTML each: the items feeds then dominate what a publish renders.
BODY_PARAGRAPHS = 400


def _fill(store: Store, now: datetime, n: int) -> None:
    feed_id = store.add_feed("http://127.0.0.1:9/feed.xml", now=now)
    with store.transaction():
        for i in range(n):
            body = "".join(f"<p>Paragraph {k} of report {i}: grain prices rose.</p>"
                           for k in range(BODY_PARAGRAPHS))  # fmt: skip
            at = utc_iso(now - timedelta(minutes=i))
            store.insert_item(
                Item(
                    feed_id=feed_id, guid=f"g{i}", url=f"https://example.com/{i}",
                    canonical_url=f"https://example.com/{i}", title=f"Report {i}",
                    summary=f"Lead of report {i}.", content_html=body, content_text=body,
                    lang="en", published_at=at, fetched_at=at, content_hash=f"h{i}",
                )
            )  # fmt: skip


def test_publish_holds_one_rendered_file_at_a_time(tmp_path: Path, now: datetime) -> None:
    cfg = make_config(tmp_path, publish={"max_entries": 120})
    store = Store.open(cfg.store_path, cfg.store)
    try:
        _fill(store, now, 120)
        publish_outputs(cfg, store, now)  # warm: imports, caches, the first views
        tracemalloc.start()
        try:
            publish_outputs(cfg, store, now + timedelta(minutes=1))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        store.close()
    sizes = {p.name: p.stat().st_size for p in cfg.publish_dir.rglob("*") if p.is_file()}
    total, largest = sum(sizes.values()), max(sizes.values())
    assert total > 2 * largest  # the items feeds: three files of about the same size
    # Holding every rendered file at once (a dict of bytes) needs their total plus the
    # stored rows they are rendered from (about the largest file): 17.4 MB traced here before
    # the files were streamed (total 9.0, largest 3.2). One file at a time needs the rows,
    # the sanitised entries and two copies of one file (text and bytes): 11.1 MB.
    assert peak < total + largest, (peak, total, sizes)


def test_write_outputs_replaces_nothing_when_a_file_cannot_be_written(tmp_path: Path) -> None:
    """Every file is written (and synced) before any is put in place: a write that fails
    (here the topics/ folder cannot be made; in life a full disk) leaves the old outputs,
    not a mix of old and new ones, and no temp file."""
    out = tmp_path / "public"
    write_outputs(out, {"events.atom": b"old events", "items.atom": b"old items"})
    (out / "topics").write_bytes(b"a file where the folder should be")
    with pytest.raises(OSError):
        write_outputs(
            out,
            {"events.atom": b"new events", "items.atom": b"new items", "topics/a.atom": b"x"},
        )
    assert (out / "events.atom").read_bytes() == b"old events"
    assert (out / "items.atom").read_bytes() == b"old items"
    assert not [p for p in out.rglob("*.tmp")]


def test_one_shot_poll_drops_refresh_only_memory_before_clustering(tmp_path: Path) -> None:
    """``poll`` (one pass) forgets the s2t converter (26 MB, built for Traditional text) and
    the near-duplicate record cache once feeds are stored, before clustering; the daemon's
    pipeline keeps them. Real origin, real store, the pass's own entry point."""
    from aggregator.normalize.langid import built_converters

    items = "".join(
        f"<item><guid>g{i}</guid><link>http://example.org/{i}</link>"
        f"<title>國務院總理主持召開常務會議第{i}次</title>"
        f"<description>會議部署穩經濟一攬子政策措施，第{i}項。</description></item>"
        for i in range(3))  # fmt: skip
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}' \
           "</channel></rss>"
    cfg = make_config(tmp_path, dedupe={"enabled": True, "near_duplicates": True})
    report, rows = poll_one_feed(cfg, body.encode(), "zh-TW", "SELECT lang FROM items")
    langs = [r["lang"] for r in rows]
    assert report.new_items == 3 and report.clustered >= 1  # near copies: one original
    assert langs == ["zh-Hant"] * 3  # detected with s2t, which was then dropped
    assert "s2t" not in built_converters()
