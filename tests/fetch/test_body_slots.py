"""Large bodies take turns (issue 15, item 8): with ``large_body_slots=1`` a second body
over ``LARGE_BODY_BYTES`` is not read on while the first is held, the wait does not count
against the fetch deadline, and a failed or released fetch frees the slot. Real origin on
127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import make_config
from origin import Origin, gzip_bomb

from aggregator.fetch.client import LARGE_BODY_BYTES, Fetcher
from aggregator.models import FeedRecord, FetchResult

#: The first body is held this long (seconds): longer than the fetch deadline below.
HOLD_S = 1.5
DEADLINE_S = 1.0


def test_large_bodies_take_turns_without_eating_the_deadline(
    tmp_path: Path, origin: Origin
) -> None:
    body = b"<rss>" + b"x" * (2 * LARGE_BODY_BYTES) + b"</rss>"
    for k in range(3):
        origin.static(f"/big{k}.xml", body)
    origin.static("/small.xml", b"<rss/>")
    # Per-host slots for all four: a fetch waiting for a large-body slot keeps its host slot.
    cfg = make_config(tmp_path, fetch={"deadline_s": DEADLINE_S, "per_host_concurrency": 4}).fetch
    feeds = [FeedRecord(id=k, url=origin.url(f"/big{k}.xml")) for k in range(3)]

    async def scenario() -> tuple[list[FetchResult], list[int], FetchResult]:
        async with Fetcher(cfg, large_body_slots=1) as f:
            tasks = {asyncio.create_task(f.fetch(feed)): feed.id for feed in feeds}
            done_order: list[int] = []
            results: list[FetchResult] = []
            pending = set(tasks)
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                assert len(done) == 1, "two large bodies held at once"
                (t,) = done
                results.append(t.result())
                done_order.append(tasks[t])
                # small bodies never wait, even while a large one is held
                small = await f.fetch(FeedRecord(id=99, url=origin.url("/small.xml")))
                await asyncio.sleep(HOLD_S)  # the caller still holds the body
                assert all(not p.done() for p in pending)
                f.release_body(tasks[t])
            return results, done_order, small

    results, order, small = asyncio.run(scenario())
    assert sorted(order) == [0, 1, 2]
    assert [r.error for r in results] == [None, None, None]
    assert all(r.body == body for r in results)
    assert small.error is None and small.body == b"<rss/>"


def test_failed_large_fetch_frees_its_slot(tmp_path: Path, origin: Origin) -> None:
    """A body that inflates past the byte cap (it took a slot on the way) fails, and the
    slot is free again for the next large body."""
    cap = 3 * LARGE_BODY_BYTES
    origin.encoded("/too-big.xml", gzip_bomb(tmp_path, decoded_bytes=2 * cap), "gzip")
    origin.static("/ok.xml", b"<rss>" + b"y" * (2 * LARGE_BODY_BYTES) + b"</rss>")
    cfg = make_config(tmp_path, fetch={"max_bytes": cap}).fetch

    async def scenario() -> tuple[FetchResult, FetchResult]:
        async with Fetcher(cfg, large_body_slots=1) as f:
            bad = await f.fetch(FeedRecord(id=1, url=origin.url("/too-big.xml")))
            ok = await asyncio.wait_for(f.fetch(FeedRecord(id=2, url=origin.url("/ok.xml"))), 10)
            return bad, ok

    bad, ok = asyncio.run(scenario())
    assert bad.error and "exceeds" in bad.error
    assert ok.error is None
