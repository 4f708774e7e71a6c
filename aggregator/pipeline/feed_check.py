"""``aggregator feeds check``: fetch every subscribed feed once, parse it, and say for each
one that fails what is wrong and how to fix it (I/O: network; the store is only read).

Nothing is stored: no items, no schedule or error state (a check must not push feeds into
back-off). Documents are parsed in this process, under the fetch size cap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from aggregator.config import Config
from aggregator.fetch.client import Fetcher
from aggregator.models import FeedRecord
from aggregator.parse.document import ParseError, parse_feed
from aggregator.pipeline.diagnose import advice
from aggregator.store.subscriptions import SubscribedFeed


@dataclass(frozen=True)
class FeedCheck:
    feed: SubscribedFeed
    #: None when the feed answered with a feed.
    error: str | None
    status: int | None
    entries: int = 0
    fix: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


async def check_feeds(cfg: Config, feeds: Sequence[SubscribedFeed]) -> list[FeedCheck]:
    """One unconditional GET per feed (the fetcher's limits and address guard apply)."""

    async def one(fetcher: Fetcher, f: SubscribedFeed) -> FeedCheck:
        result = await fetcher.fetch(FeedRecord(id=f.id, url=f.url))
        error = result.error
        entries = 0
        if error is None and result.body is not None:
            try:
                parsed = await asyncio.to_thread(
                    parse_feed, result.body, url=result.final_url, headers=result.headers
                )
                entries = len(parsed.entries)
                if not parsed.version and not entries:
                    error = "not a feed: no RSS, Atom or JSON Feed document"
            except ParseError as exc:
                error = f"not a feed: {exc}"
        elif error is None:
            error = f"HTTP {result.status} with no body"
        fix = (
            advice(f.url, error, bridged=f.bridged, rsshub_base=cfg.bridges.rsshub)
            if error
            else None
        )
        return FeedCheck(f, error, result.status, entries, fix)

    async with Fetcher(cfg.fetch) as fetcher:
        return list(await asyncio.gather(*(one(fetcher, f) for f in feeds)))
