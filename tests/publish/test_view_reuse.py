"""Stored reader views are reused when an event's members did not change (publish_pass
``_texts``, ``event_views.members_key``), and the outputs are the same bytes as when every
view is recomputed."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import make_config
from origin import Origin
from readerworld import build_world

from aggregator.config import Config
from aggregator.models import EventMember
from aggregator.pipeline import publish_pass
from aggregator.pipeline.publish_pass import publish_outputs
from aggregator.publish import view
from aggregator.store.core import Store


def _files(cfg: Config) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(cfg.publish_dir.iterdir()) if p.is_file()}


def test_reused_views_publish_the_bytes_recomputed_views_publish(
    tmp_path: Path,
    store: Store,
    origin: Origin,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = make_config(tmp_path)
    events = build_world(cfg, store, origin, now)
    calls: list[int] = []
    real = view.bilingual

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(publish_pass, "bilingual", counted)
    later = now + timedelta(minutes=5)
    publish_outputs(cfg, store, later)
    computed = len(calls)
    assert computed == len(set(events.values())) >= 3  # every event's view computed
    first = _files(cfg)
    calls.clear()
    publish_outputs(cfg, store, later)  # nothing changed: every view is reused
    assert calls == []
    reused = _files(cfg)
    # Changed view code invalidates every stored key: all recomputed, same bytes.
    monkeypatch.setattr(publish_pass, "code_fingerprint", lambda root: "changed-code")
    publish_outputs(cfg, store, later)
    assert len(calls) == computed
    recomputed = _files(cfg)
    assert {"events.json", "events.atom", "events.rss", "index.html"} <= set(reused)
    assert reused == first
    assert recomputed == reused


def _member(**kw: Any) -> EventMember:
    base = EventMember(
        item_id=1,
        feed_id=2,
        source="s",
        title="Quake hits coast",
        url="https://e.x/1",
        lang="en",
        published_at="2026-12-06T10:00:00Z",
        fetched_at="2026-12-06T10:05:00Z",
        outlet="Outlet",
        lead="A quake hit the coast.",
    )
    return dataclasses.replace(base, **kw)


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Quake hits coast!"},
        {"lead": "A quake hit the coast on Monday."},
        {"lang": "en-GB"},
        {"published_at": "2026-12-06T09:00:00Z"},
        {"fetched_at": "2026-12-06T10:06:00Z"},
        {"revised_at": "2026-12-06T11:00:00Z"},
        {"item_id": 3},
    ],
)
def test_members_key_moves_with_any_member_field(change: dict[str, Any]) -> None:
    other = _member(item_id=9, title="Coast quake", lead="The coast was hit.")
    assert view.members_key([_member(), other], {}, "code") == view.members_key(
        [_member(), other], {}, "code"
    )
    assert view.members_key([_member(), other], {}, "code") != view.members_key(
        [_member(**change), other], {}, "code"
    )
    assert view.members_key([_member()], {}, "code") != view.members_key([_member()], {}, "new")


def test_members_key_moves_with_the_vectors() -> None:
    ms = [_member(), _member(item_id=9)]
    v = {1: np.ones(4, dtype=np.float32), 9: np.zeros(4, dtype=np.float32)}
    w = {1: np.ones(4, dtype=np.float32), 9: np.full(4, 0.5, dtype=np.float32)}
    assert view.members_key(ms, v, "code") == view.members_key(ms, dict(v), "code")
    assert view.members_key(ms, v, "code") != view.members_key(ms, w, "code")
    assert view.members_key(ms, v, "code") != view.members_key(ms, {}, "code")


def test_publish_reads_the_members_vectors_in_one_query(
    tmp_path: Path, store: Store, origin: Origin, now: datetime
) -> None:
    """The members' stored vectors are read once per publish, not once per event."""
    cfg = make_config(tmp_path)
    events = build_world(cfg, store, origin, now)
    assert len(set(events.values())) >= 3
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        publish_outputs(cfg, store, now + timedelta(minutes=5))
    finally:
        store.conn.set_trace_callback(None)
    assert len([s for s in statements if "FROM item_vectors" in s]) == 1
