"""Optional machine translation: a local HTTP server speaking the LibreTranslate API on
127.0.0.1 (the network edge) fills the language no member covers; results are cached, so a
republish makes no call; a failing or hanging backend only delays that translation."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import make_config
from lxml import etree
from origin import Origin
from readerworld import build_world

from aggregator.pipeline.publish_pass import publish_outputs
from aggregator.pipeline.translate_pass import translate_pending
from aggregator.store.core import Store
from aggregator.translate import LibreTranslate, TranslateError


class FakeLibreTranslate:
    """POST /translate → ``{"translatedText": …}``; ``mode`` ok, fail or hang."""

    def __init__(self) -> None:
        self.calls: list[dict[str, str]] = []
        self.mode = "ok"
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.calls.append(body)
                if outer.mode == "fail":
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if outer.mode == "hang":
                    time.sleep(3)
                prefix = "译文：" if body["target"] == "zh" else "MT: "
                out = json.dumps({"translatedText": prefix + body["q"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError):  # the client gave up (hang test)
                    self.wfile.write(out)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"


@pytest.fixture
def lt() -> Iterator[FakeLibreTranslate]:
    f = FakeLibreTranslate()
    f.thread.start()
    yield f
    f.server.shutdown()
    f.server.server_close()


def _items(path: Path) -> dict[int, dict]:  # type: ignore[type-arg]
    doc = json.loads(path.read_text(encoding="utf-8"))
    return {it["_aggregator"]["event_id"]: it for it in doc["items"]}


def test_every_event_gets_both_languages_marked_and_cached(
    tmp_path: Path, store: Store, origin: Origin, now: datetime, lt: FakeLibreTranslate
) -> None:
    cfg = make_config(tmp_path, translate={"enabled": True, "url": lt.url, "timeout_s": 5.0})
    events = build_world(cfg, store, origin, now)
    publish_outputs(cfg, store, now)
    stats = translate_pending(cfg, store, now)
    assert stats.failed == 0 and stats.calls == len(lt.calls) > 0
    publish_outputs(cfg, store, now + timedelta(minutes=1))
    items = _items(cfg.publish_dir / "events.json")
    for it in items.values():
        ext = it["_aggregator"]
        assert ext["titles"]["en"] and ext["titles"]["zh"], ext["titles"]
        assert ext["summaries"]["en"] and ext["summaries"]["zh"], ext["summaries"]
    quake = items[events["quake"]]
    assert quake["_aggregator"]["machine_translated"] == ["titles.zh", "summaries.zh"]
    assert quake["_aggregator"]["titles"]["zh"].startswith("译文：Magnitude 6.8")
    assert quake["title"].startswith("Magnitude 6.8")  # the entry title is the member's own
    oil = items[events["oil"]]
    assert oil["_aggregator"]["machine_translated"] == ["titles.en", "summaries.en"]
    # the multi-language event needs no translator
    assert items[events["rare"]]["_aggregator"]["machine_translated"] == []
    # marked in every format
    for name in ("events.atom", "events.rss", "index.html", "digest.atom"):
        text = (cfg.publish_dir / name).read_text(encoding="utf-8")
        assert "机器翻译 · machine translation" in text, name
    assert "machine" in (cfg.publish_dir / "events.json").read_text(encoding="utf-8")
    # republish and another pass: zero calls
    before = len(lt.calls)
    publish_outputs(cfg, store, now + timedelta(minutes=2))
    again = translate_pending(cfg, store, now + timedelta(minutes=2))
    publish_outputs(cfg, store, now + timedelta(minutes=3))
    assert again.calls == 0 and len(lt.calls) == before
    assert _items(cfg.publish_dir / "events.json") == items  # nothing moved either


def test_a_translation_arriving_moves_updated(
    tmp_path: Path, store: Store, origin: Origin, now: datetime, lt: FakeLibreTranslate
) -> None:
    cfg = make_config(tmp_path, translate={"enabled": True, "url": lt.url})
    events = build_world(cfg, store, origin, now)
    publish_outputs(cfg, store, now)
    before = _items(cfg.publish_dir / "events.json")[events["quake"]]["date_modified"]
    translate_pending(cfg, store, now)
    publish_outputs(cfg, store, now + timedelta(minutes=1))
    after = _items(cfg.publish_dir / "events.json")[events["quake"]]["date_modified"]
    assert after > before


def test_failing_backend_only_delays_translation(
    tmp_path: Path, store: Store, origin: Origin, now: datetime, lt: FakeLibreTranslate
) -> None:
    cfg = make_config(tmp_path, translate={"enabled": True, "url": lt.url})
    build_world(cfg, store, origin, now)
    publish_outputs(cfg, store, now)
    lt.mode = "fail"
    stats = translate_pending(cfg, store, now)
    assert stats.failed == stats.calls == 3  # stops after three failures in a row
    publish_outputs(cfg, store, now)  # publishing still works, nothing marked
    items = _items(cfg.publish_dir / "events.json")
    assert all(it["_aggregator"]["machine_translated"] == [] for it in items.values())
    lt.mode = "ok"  # the backend is back: the next pass fills everything
    assert translate_pending(cfg, store, now).failed == 0
    publish_outputs(cfg, store, now + timedelta(minutes=1))
    items = _items(cfg.publish_dir / "events.json")
    assert all(it["_aggregator"]["titles"]["zh"] for it in items.values())


def test_hanging_backend_times_out(lt: FakeLibreTranslate) -> None:
    lt.mode = "hang"
    client = LibreTranslate(lt.url, timeout_s=0.5)
    started = time.monotonic()
    with pytest.raises(TranslateError):
        client.translate("Hello", "en", "zh")
    assert time.monotonic() - started < 2.0


def test_translation_off_by_default_makes_no_call(
    tmp_path: Path, store: Store, origin: Origin, now: datetime, lt: FakeLibreTranslate
) -> None:
    cfg = make_config(tmp_path, translate={"url": lt.url})
    build_world(cfg, store, origin, now)
    publish_outputs(cfg, store, now)
    assert translate_pending(cfg, store, now).calls == 0 and lt.calls == []
    root = etree.parse(str(cfg.publish_dir / "events.atom")).getroot()
    assert b"machine translation" not in etree.tostring(root)


def test_cli_poll_translates_after_publishing(
    tmp_path: Path, origin: Origin, now: datetime, lt: FakeLibreTranslate
) -> None:
    from conftest import run_cli
    from readerworld import FEEDS, serve_world

    serve_world(origin, now)
    (tmp_path / "config.toml").write_text(
        '[store]\npath = "db/p.db"\n[cluster]\nbackend = "none"\n'
        "[fetch]\nallow_private_networks = true\nper_host_min_gap_s = 0.0\n"
        f'[translate]\nenabled = true\nurl = "{lt.url}"\n',
        encoding="utf-8",
    )
    urls = [origin.url(p) for p in FEEDS]
    proc = run_cli(tmp_path / "config.toml", "poll", *urls, timeout=120)
    assert proc.returncode == 0, proc.stderr
    items = _items(tmp_path / "public" / "events.json")
    assert items and lt.calls
    assert all(it["_aggregator"]["titles"]["en"] and it["_aggregator"]["titles"]["zh"]
               for it in items.values())  # fmt: skip
    assert any(it["_aggregator"]["machine_translated"] for it in items.values())


def test_a_hanging_backend_does_not_block_the_event_loop(
    tmp_path: Path, store: Store, origin: Origin, now: datetime, lt: FakeLibreTranslate
) -> None:
    """The daemon runs the pass on its event loop (polls, the server): calls happen in a
    worker thread, so the loop keeps running while the backend hangs."""
    import asyncio

    from aggregator.pipeline.translate_pass import translate_pending_async

    cfg = make_config(tmp_path, translate={"enabled": True, "url": lt.url, "timeout_s": 1.0,
                                           "max_per_pass": 2})  # fmt: skip
    build_world(cfg, store, origin, now)
    publish_outputs(cfg, store, now)
    lt.mode = "hang"

    async def main() -> tuple[int, float]:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.05)

        t = asyncio.create_task(ticker())
        started = time.monotonic()
        stats = await translate_pending_async(cfg, store, now)
        elapsed = time.monotonic() - started
        done.set()
        await t
        assert stats.failed == stats.calls == 2
        return ticks, elapsed

    ticks, elapsed = asyncio.run(main())
    assert elapsed < 4.0  # two calls, each cut at timeout_s
    assert ticks >= int(elapsed / 0.05 * 0.5), (ticks, elapsed)  # the loop kept turning
