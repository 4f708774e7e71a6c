"""Events are assembled a chunk at a time (publish_pass ``ASSEMBLE_CHUNK``: their members'
stored vectors are read per chunk, not for every candidate at once, issue 16): the outputs and
the stored views are the same bytes whatever the chunk size."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import make_config
from origin import Origin
from readerworld import build_world

from aggregator.config import Config
from aggregator.pipeline import publish_pass
from aggregator.store.core import Store


def _outputs(cfg: Config) -> dict[str, bytes]:
    return {str(p.relative_to(cfg.publish_dir)): p.read_bytes()
            for p in sorted(cfg.publish_dir.rglob("*")) if p.is_file()}  # fmt: skip


def _views(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM event_views ORDER BY event_id").fetchall()


def test_chunked_assembly_publishes_the_same_bytes(
    tmp_path: Path, store: Store, origin: Origin, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = make_config(tmp_path)
    events = build_world(cfg, store, origin, now)
    assert len(set(events.values())) >= 3
    store.close()
    later = now + timedelta(minutes=5)
    got = {}
    for chunk in (1, 2, publish_pass.ASSEMBLE_CHUNK):
        run = make_config(tmp_path / f"chunk{chunk}")
        shutil.copytree(cfg.store_path.parent, run.store_path.parent)
        monkeypatch.setattr(publish_pass, "ASSEMBLE_CHUNK", chunk)
        copy = Store.open(run.store_path, run.store)
        try:
            rows = publish_pass.reader.recent_events(copy, limit=100)
            assert len(rows) > chunk or chunk == publish_pass.ASSEMBLE_CHUNK
            publish_pass.publish_outputs(run, copy, later)
            listed = publish_pass.load_events(copy, limit=100, cfg=run)
        finally:
            copy.close()
        got[chunk] = (_outputs(run), _views(run.store_path), [e.view for e in listed])
    assert got[1] == got[2] == got[publish_pass.ASSEMBLE_CHUNK]
    assert got[1][0] and got[1][1]
