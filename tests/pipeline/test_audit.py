"""explain / unmerge: every merge has a reason; a wrong one can be undone and stays undone."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from conftest import run_cli
from origin import Origin
from test_pipeline import rss

from aggregator.config import Config
from aggregator.pipeline.audit import AuditError, explain, unmerge
from aggregator.pipeline.refresh import Pipeline
from aggregator.store.core import Store


def setup_duplicate(cfg: Config, store: Store, origin: Origin, now: datetime) -> tuple[int, int]:
    origin.static(
        "/a.xml",
        rss(
            [("a", "https://n.example.com/s1", "Quake hits Aomori", "A magnitude 6.8 quake.")],
            "Wire",
        ),
    )
    origin.static(
        "/b.xml",
        rss(
            [
                (
                    "b",
                    "https://www.n.example.com/s1?utm_source=x",
                    "Quake hits Aomori, Japan",
                    "Republished.",
                )
            ],
            "Portal",
        ),
    )
    feeds = [store.feed(store.add_feed(origin.url(p), now=now)) for p in ("/a.xml", "/b.xml")]
    pipeline = Pipeline(cfg, store)
    try:
        asyncio.run(pipeline.poll(feeds, lambda: now))
    finally:
        pipeline.close()
    ids = [r["id"] for r in store.rows("SELECT id FROM items ORDER BY id")]
    return ids[0], ids[1]


def test_explain_names_rule_and_target(
    cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    original, dup = setup_duplicate(cfg, store, origin, now)
    text = explain(store, dup).render()
    assert f"DUPLICATE of item {original}" in text
    assert "dedupe: canonical_url" in text and "canonical_url: https://n.example.com/s1" in text
    orig_text = explain(store, original).render()
    assert "not a duplicate" in orig_text and f"{dup} (Portal)" in orig_text
    with pytest.raises(AuditError):
        explain(store, 999)


def test_unmerge_is_remembered(cfg: Config, store: Store, origin: Origin, now: datetime) -> None:
    original, dup = setup_duplicate(cfg, store, origin, now)
    assert "no longer a duplicate" in unmerge(store, dup, now)
    row = store.rows("SELECT duplicate_of, event_id FROM items WHERE id = ?", (dup,))[0]
    assert row == {"duplicate_of": None, "event_id": None}
    assert store.is_unmerged(dup, target_item_id=original)
    rules = [r["rule"] for r in store.rows("SELECT rule FROM decisions WHERE item_id = ?", (dup,))]
    assert rules == ["canonical_url", "unmerged"]
    with pytest.raises(AuditError):
        unmerge(store, original, now)  # alone in its event, nothing to undo


def test_cli_explain(
    tmp_path: Path, cfg: Config, store: Store, origin: Origin, now: datetime
) -> None:
    _original, dup = setup_duplicate(cfg, store, origin, now)
    (tmp_path / "config.toml").write_text('[store]\npath = "db/test.db"\n', encoding="utf-8")
    proc = run_cli(tmp_path / "config.toml", "explain", str(dup), timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "DUPLICATE of item" in proc.stdout
