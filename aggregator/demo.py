"""``aggregator demo``: serve the bundled sample feeds on 127.0.0.1 and run the real pipeline
on them (I/O: a loopback HTTP server, a store and an output folder under ``dir``).

The samples (``aggregator/samples/``, see its README) are written by us and labelled as such.
Date placeholders are filled at serve time so the demo's events are always recent. Each run
starts from an empty store: the sample server listens on a new port every time, so a kept
store would hold the previous run's feeds and items beside this run's (the same events twice).
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

from aggregator.config import from_dict

SAMPLE_FILES = {
    "wire-en.xml": ("Sample Wire", "en", "application/rss+xml"),
    "republisher-en.xml": ("Sample Republisher", "en", "application/rss+xml"),
    # Declared gb2312, really GB18030: the server, like many, sends no charset.
    "news-zh.xml": ("示例新闻", "zh-CN", "application/rss+xml"),
    "digest-zh-hant.atom": ("示例摘要（繁體）", "zh-Hant", "application/atom+xml"),
}
#: Zone of naive dates per sample feed, as a user writes it in feeds.opml (timezone=).
SAMPLE_TIMEZONES = {"news-zh.xml": "Asia/Shanghai"}
_PLACEHOLDER = re.compile(rb"%%(T|A|BJ)-(\d+)%%")
BEIJING = timedelta(hours=8)


def _now() -> datetime:
    return datetime.now(UTC)


def render_sample(data: bytes, now: datetime) -> bytes:
    """Fill ``%%T-n%%`` (RFC 822), ``%%A-n%%`` (RFC 3339) and ``%%BJ-n%%`` (naive Beijing wall
    time, as Chinese feeds write it) with ``now`` minus n minutes."""

    def sub(m: re.Match[bytes]) -> bytes:
        t = now - timedelta(minutes=int(m.group(2)))
        kind = m.group(1)
        if kind == b"T":
            return format_datetime(t, usegmt=True).encode()
        if kind == b"A":
            return t.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        return (t + BEIJING).strftime("%Y-%m-%d %H:%M:%S").encode()

    return _PLACEHOLDER.sub(sub, data)


def sample_bytes(name: str) -> bytes:
    return resources.files("aggregator.samples").joinpath(name).read_bytes()


@contextmanager
def serve_samples(now: datetime | None = None) -> Iterator[str]:
    """Serve the samples on an ephemeral 127.0.0.1 port; yields the base URL."""
    files = {n: render_sample(sample_bytes(n), now or datetime.now(UTC)) for n in SAMPLE_FILES}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.lstrip("/").split("?")[0]
            if name not in files:
                self.send_error(404)
                return
            body = files[name]
            self.send_response(200)
            self.send_header("Content-Type", SAMPLE_FILES[name][2])
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=60")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def demo_opml(base: str) -> bytes:
    from aggregator.opml import Subscription, write_opml

    subs = [
        Subscription(url=base + name, title=title, lang=lang, timezone=SAMPLE_TIMEZONES.get(name))
        for name, (title, lang, _ct) in SAMPLE_FILES.items()
    ]
    return write_opml(subs, title="aggregator demo (sample feeds)")


def run_demo(out_dir: Path, *, serve_seconds: float = 0.0) -> int:
    from aggregator.pipeline.poll import poll_and_publish, select_feeds, summary
    from aggregator.pipeline.publish_pass import load_events
    from aggregator.pipeline.subscriptions import sync_opml
    from aggregator.store.core import Store

    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("demo.db", "demo.db-wal", "demo.db-shm"):
        (out_dir / stale).unlink(missing_ok=True)
    with serve_samples() as base:
        (out_dir / "feeds.opml").write_bytes(demo_opml(base))
        cfg = from_dict(
            {
                "feeds": {"opml": "feeds.opml"},
                "store": {"path": "demo.db"},
                "publish": {"dir": "public", "title": "aggregator demo"},
                "fetch": {"allow_private_networks": True},
            },
            base_dir=out_dir,
        )
        store = Store.open(cfg.store_path, cfg.store)
        try:
            sync_opml(cfg, store, _now())
            feeds = select_feeds(cfg, store, _now(), all_feeds=True)
            print(summary(asyncio.run(poll_and_publish(cfg, store, feeds, _now))))
            events = load_events(store, limit=50)
        finally:
            store.close()
    print(f"\n{len(events)} events from {len(SAMPLE_FILES)} sample feeds (samples, not real news):")
    for e in events:
        langs = ", ".join(e.languages)
        print(f"  [{e.id}] {e.title}  — {len(e.members)} reports ({langs})")
        for m in e.members:
            print(f"        {m.source}: {m.title}")
    print(f"\noutputs: {cfg.publish_dir}/index.html, events.atom, events.rss, events.json, items.*")
    if serve_seconds > 0:
        _serve_for(cfg, serve_seconds)
    return 0


def _serve_for(cfg: object, seconds: float) -> None:
    from aggregator.config import Config
    from aggregator.serve.server import FeedServer

    assert isinstance(cfg, Config)

    async def main() -> None:
        server = FeedServer(
            cfg.server, cfg.publish_dir, health=lambda: {"ok": True}, metrics=lambda: ""
        )
        await server.start()
        print(f"serving on http://{cfg.server.host}:{server.port}/ for {seconds:g} s")
        await asyncio.sleep(seconds)
        await server.stop()

    asyncio.run(main())
