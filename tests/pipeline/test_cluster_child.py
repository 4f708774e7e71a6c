"""The cluster stage of a one-shot ``poll`` in a child process (issue 16 item 6:
:mod:`aggregator.pipeline.cluster_child`): the same events and decisions as clustering
in-process; a failed child leaves the rest to the parent (nothing lost, nothing twice); a
cancelled parent kills and reaps it; a small store clusters in-process. Real child
processes, real stores, a real HTTP origin."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import make_config, poll_one_feed

from aggregator.pipeline import cluster_child
from aggregator.store.core import Store

#: Items about a few stories, in both languages: some join, some open events.
STORIES = (
    ("Earthquake strikes central Italy, dozens injured", "Rescue teams search rubble in Umbria."),
    ("Italy earthquake: rescuers search collapsed houses", "The quake hit Umbria at night."),
    ("Central bank raises interest rates again", "The bank cited persistent inflation."),
    ("意大利中部发生地震 数十人受伤", "救援队在翁布里亚搜救。"),
    ("Election results delayed in Kenya", "Officials blamed a counting system failure."),
    ("Kenya vote count delayed by system failure", "Results are expected on Friday."),
    ("央行再次加息", "央行称通胀持续。"),
    ("New species of frog found in Peru", "Biologists described it in a journal."),
)
#: Each item's event and its clustering decisions (rule, target, score, features).
SQL = (
    "SELECT i.url, i.event_id, d.stage, d.rule, d.target_item_id, d.target_event_id, d.score,"
    " d.features FROM items i LEFT JOIN decisions d ON d.item_id = i.id AND d.stage = 'cluster'"
    " ORDER BY i.url, d.id"
)


def _body() -> bytes:
    items = "".join(
        f"<item><guid>g{n}</guid><link>http://example.org/{n}</link><title>{t}</title>"
        f"<description>{d}</description></item>"
        for n, (t, d) in enumerate(STORIES))  # fmt: skip
    t, d = STORIES[0]  # the same report again under another link: a duplicate to attach
    items += (f"<item><guid>dup</guid><link>http://example.org/dup</link><title>{t}</title>"
              f"<description>{d}</description></item>")  # fmt: skip
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}'
            "</channel></rss>").encode()  # fmt: skip


def _poll(tmp_path: Path) -> tuple[Any, list[dict[str, Any]]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return poll_one_feed(make_config(tmp_path), _body(), "en", SQL)


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """Records what each cluster_in_child call returned (the real one runs)."""
    got: list[int | None] = []
    real = cluster_child.cluster_in_child

    async def spy(*a: Any, **k: Any) -> int | None:
        out = await real(*a, **k)
        got.append(out)
        return out

    monkeypatch.setattr(cluster_child, "cluster_in_child", spy)
    return got


def test_a_child_makes_the_same_events_and_decisions_as_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    got = _spy(monkeypatch)
    inproc, rows_in = _poll(tmp_path / "in")
    assert got == []  # 8 pending: below CHILD_MIN_ITEMS, clustered in-process
    monkeypatch.setattr(cluster_child, "CHILD_MIN_ITEMS", 1)
    child, rows_child = _poll(tmp_path / "child")
    assert got == [len(STORIES)]  # the child clustered every item
    assert child.clustered == inproc.clustered == len(STORIES)
    assert rows_child == rows_in
    assert len(rows_child) == len(STORIES) + 1  # one cluster decision per original
    assert all(r["event_id"] is not None for r in rows_child)  # the duplicate attached too
    dup = next(r for r in rows_child if r["url"].endswith("/dup"))
    first = next(r for r in rows_child if r["url"].endswith("/0"))
    assert dup["rule"] is None and dup["event_id"] == first["event_id"]
    assert len({r["event_id"] for r in rows_child}) < len(STORIES)  # some joined


def test_a_failed_child_leaves_the_rest_to_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _, rows_in = _poll(tmp_path / "in")
    got = _spy(monkeypatch)
    monkeypatch.setattr(cluster_child, "CHILD_MIN_ITEMS", 1)
    monkeypatch.setattr(cluster_child, "CHILD_MODULE", "aggregator.no_such_module")
    with caplog.at_level(logging.WARNING, logger="aggregator.pipeline.cluster_child"):
        report, rows = _poll(tmp_path / "failed")
    assert got == [None]
    assert "cluster_child=failed status=1" in caplog.text
    assert report.clustered == len(STORIES)
    assert rows == rows_in  # every item clustered once, as in-process


def test_a_cancelled_parent_kills_and_reaps_its_child(tmp_path: Path) -> None:
    cfg = make_config(tmp_path)
    pid_file = tmp_path / "pid"
    argv = [sys.executable, "-c",
            f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid()));"
            " time.sleep(60)"]  # fmt: skip

    async def run() -> None:
        task = asyncio.ensure_future(
            cluster_child.cluster_in_child(cfg, datetime.now().astimezone(), argv=argv)
        )
        for _ in range(200):  # the child has started
            await asyncio.sleep(0.05)
            if pid_file.exists() and pid_file.read_text():
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    started = asyncio.get_event_loop_policy().new_event_loop()
    try:
        t0 = started.time()
        started.run_until_complete(run())
        assert started.time() - t0 < 20
    finally:
        started.close()
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # killed and reaped: not even a zombie
        os.kill(pid, 0)


def test_worth_a_child_counts_pending_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = make_config(tmp_path)
    _poll(tmp_path)  # 8 originals, all clustered
    store = Store.open(cfg.store_path, cfg.store)
    try:
        monkeypatch.setattr(cluster_child, "CHILD_MIN_ITEMS", 1)
        assert not cluster_child.worth_a_child(store)  # nothing pending
        with store.transaction():
            store.conn.execute(
                "UPDATE items SET event_id = NULL WHERE url IN"
                " ('http://example.org/0', 'http://example.org/1')"
            )
        assert cluster_child.worth_a_child(store)
        monkeypatch.setattr(cluster_child, "CHILD_MIN_ITEMS", 2)
        assert cluster_child.worth_a_child(store)  # two pending
        monkeypatch.setattr(cluster_child, "CHILD_MIN_ITEMS", 3)
        assert not cluster_child.worth_a_child(store)  # a few new items: in-process
    finally:
        store.close()
