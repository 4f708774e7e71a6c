"""The poll pass: choose the feeds, refresh them, then publish (and translate); the job that
``poll``, the demo and the tests run once (I/O through fetch/, store/ and publish/).

The daemon runs the same stages on its own schedule (:mod:`aggregator.daemon.loop`).
Printing and progress bars are the caller's: this returns the :class:`PollReport`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from aggregator.config import Config
from aggregator.models import FeedRecord
from aggregator.pipeline.refresh import FeedOutcome, Pipeline, PollReport
from aggregator.store.core import ONE_SHOT_CACHE_MIB, Store
from aggregator.store.credentials import redact_url


def select_feeds(
    cfg: Config, store: Store, now: datetime, *, all_feeds: bool, urls: Sequence[str] = ()
) -> list[FeedRecord]:
    """The feeds of one pass: the given URLs (a URL not subscribed yet is added; its
    ``user:pass@`` goes to the credential file), else every enabled feed, else the due ones."""
    if urls:
        given = {redact_url(u): u for u in urls}
        feeds = [f for f in (store.feed(r["id"]) for r in store.feeds()) if f.url in given]
        for u in sorted(given.keys() - {f.url for f in feeds}):
            feeds.append(store.feed(store.add_feed(given[u], now=now)))
        return feeds
    if all_feeds:
        return [store.feed(r["id"]) for r in store.feeds(include_disabled=False)]
    return store.due_feeds(now, per_host_cap=cfg.schedule.per_host_due_cap)


async def poll_and_publish(
    cfg: Config,
    store: Store,
    feeds: Sequence[FeedRecord],
    clock: Callable[[], datetime],
    on_done: Callable[[FeedOutcome], None] | None = None,
) -> PollReport:
    """Refresh ``feeds``, cluster what is new, publish; then translate what a language lacks
    (after publishing: a translator never delays a poll) and publish again if it did.
    A pass that stored nothing leaves the outputs as they are (same entries; rewriting them
    cost ~0.1 s CPU and an fsync per file on every 304-only pass); ``publish`` forces it."""
    store.limit_page_cache(ONE_SHOT_CACHE_MIB)  # a pass reads most pages once
    pipeline = Pipeline(cfg, store, one_shot=True)
    try:
        report = await pipeline.poll(feeds, clock, on_done=on_done)
    finally:
        pipeline.close()
    stored = report.clustered + sum(
        o.new_items + o.updated_items + o.duplicates for o in report.outcomes
    )
    if stored or not (cfg.publish_dir / "index.html").exists():
        from aggregator.pipeline.publish_pass import publish_outputs  # ~30 ms of imports

        publish_outputs(cfg, store, clock())
    if cfg.translate.enabled:
        from aggregator.pipeline.publish_pass import publish_outputs
        from aggregator.pipeline.translate_pass import translate_pending_async

        if (await translate_pending_async(cfg, store, clock())).translated:
            publish_outputs(cfg, store, clock())
    return report


def summary(report: PollReport) -> str:
    """The one line a poll ends with (ok / not modified / failed by reason, new items)."""
    from aggregator.pipeline.diagnose import poll_summary

    return poll_summary(
        ((o.error, o.status) for o in report.outcomes),
        new_items=report.new_items,
        clustered=report.clustered,
    )
