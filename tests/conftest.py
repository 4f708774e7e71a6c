"""Shared fixtures: a fixed clock, a config on tmp_path, a real store, a local origin.

Tests never reach the internet: feeds come from ``origin.Origin`` on 127.0.0.1 and from
``../shared/feeds`` (the real-feed corpus; tests that need it skip when it is absent).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from origin import Origin

from aggregator.config import Config, from_dict
from aggregator.models import Item
from aggregator.serve.server import FeedServer
from aggregator.store.core import Store

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FEEDS = SHARED / "feeds"
FIXED_NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


def shared_path(*parts: str) -> Path:
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"shared data not available: {p}")
    return p


def run_cli(
    config: Path, *args: str, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m aggregator.cli --config CONFIG ARGS…`` in a child process, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "aggregator.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def make_config(tmp_path: Path, **sections: dict[str, Any]) -> Config:
    """A config for tests: loopback allowed, no per-host gap, files under tmp_path."""
    data: dict[str, dict[str, Any]] = {
        "feeds": {"opml": "feeds.opml"},
        "store": {"path": "db/test.db"},
        "publish": {"dir": "public"},
        "fetch": {"allow_private_networks": True, "per_host_min_gap_s": 0.0, "deadline_s": 10.0},
        "cluster": {"backend": "none"},
    }
    for k, v in sections.items():
        data.setdefault(k, {}).update(v)
    return from_dict(data, base_dir=tmp_path)


@pytest.fixture
def now() -> datetime:
    return FIXED_NOW


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return make_config(tmp_path)


@pytest.fixture
def store(cfg: Config) -> Iterator[Store]:
    s = Store.open(cfg.store_path, cfg.store)
    yield s
    s.close()


@pytest.fixture
def origin() -> Iterator[Origin]:
    with Origin() as o:
        yield o


@contextmanager
def serve_outputs(cfg: Config) -> Iterator[int]:
    """FeedServer on 127.0.0.1 (ephemeral port) in its own event loop thread."""
    loop = asyncio.new_event_loop()
    server = FeedServer(
        cfg.server, cfg.publish_dir, health=lambda: {"ok": True}, metrics=lambda: ""
    )
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    assert started.wait(10)
    try:
        yield server.port
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        t.join(10)
        loop.close()


def poll_one_feed(
    cfg: Config, body: bytes, lang: str, sql: str
) -> tuple[Any, list[dict[str, Any]]]:
    """One ``poll --all`` pass (its own entry point, a real store) over a single feed served
    from a local origin with ``body`` and subscribed in ``feeds.opml`` with ``lang``; the
    pass's report and the rows of ``sql`` read from the store afterwards."""
    from aggregator.cli import sync_opml
    from aggregator.opml import Subscription, write_opml
    from aggregator.pipeline.poll import poll_and_publish, select_feeds

    with Origin() as origin:
        origin.static("/f.xml", body, etag='"v1"')
        cfg.opml_path.write_bytes(
            write_opml([Subscription(url=origin.url("/f.xml"), title="F", lang=lang)])
        )
        store = Store.open(cfg.store_path, cfg.store)
        try:
            sync_opml(cfg, store)
            feeds = select_feeds(cfg, store, datetime.now().astimezone(), all_feeds=True)
            report = asyncio.run(
                poll_and_publish(cfg, store, feeds, lambda: datetime.now().astimezone())
            )
            return report, store.rows(sql)
        finally:
            store.close()


def stored_item(
    feed_id: int,
    guid: str,
    title: str,
    summary: str,
    text: str | None = None,
    at: str = "2026-11-20T12:00:00Z",
) -> Item:
    """A plain English item for store tests: no link, its text the summary unless given."""
    return Item(
        feed_id=feed_id,
        guid=guid,
        url=None,
        canonical_url=None,
        title=title,
        summary=summary,
        content_html="",
        content_text=summary if text is None else text,
        lang="en",
        published_at=at,
        fetched_at=at,
        content_hash=guid,
    )


@pytest.fixture(autouse=True)
def _no_shared_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test (nor a CLI child it starts) reads or writes the user's shared cache folder
    (``store/file_cache.shared_dir``); tests of that folder name one under tmp_path."""
    monkeypatch.setenv("AGGREGATOR_CACHE_DIR", "")


@pytest.fixture
def glossary_cache_file(tmp_path: Path) -> Iterator[Path]:
    """A store path whose cache folder the CC-CEDICT glossary goes through (yields the
    glossary cache file's path); the process-wide glossary state is restored afterwards."""
    from aggregator.cluster import cedict
    from aggregator.pipeline import model_caches
    from aggregator.store import file_cache

    store_path = tmp_path / "db" / "aggregator.db"
    model_caches.use_glossary_cache(store_path)
    cedict.glossary.cache_clear()  # as in a new process
    yield file_cache.cache_path(store_path, model_caches.GLOSSARY_CACHE_FILE)
    model_caches._glossary_cache = None
    cedict.use_cache(None)
    cedict.glossary.cache_clear()


@pytest.fixture(scope="session")
def shipped_use() -> Any:
    """The default embedding backend as the daemon builds it from its config (multilingual
    USE, the config's threads): for tests that check a decision "with the shipped model and
    weights". Loaded once per test session."""
    from aggregator.cluster.embed import UseEmbedder, make_embedder
    from aggregator.config import ClusterConfig

    emb = make_embedder(ClusterConfig(backend="use"))
    assert isinstance(emb, UseEmbedder)
    return emb
