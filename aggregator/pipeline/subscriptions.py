"""Subscription job: keep the store's feeds in step with ``feeds.opml``, the source of truth
(I/O: reads and rewrites the OPML file, writes the store).

Decide, then do: :func:`plan_sync` (pure) matches the file's outlines to the feed rows, then
:func:`apply_plan` writes the plan in one transaction.

- An outline whose URL is a feed's ``subscribed_url`` (or its current ``url``) refreshes that
  feed's metadata, and subscribes it again if it had been unsubscribed.
- A bridged outline (``bridge="rsshub"``) with no such feed takes over the feed with the same
  bridge route: a new ``[bridges] rsshub`` base rewrites the URL in place (one row, its items
  kept), instead of adding a second subscription beside the stale one.
- Any other outline is a new feed.
- A feed with no outline is unsubscribed: disabled and marked, its items and events kept.

A missing ``feeds.opml`` changes nothing (a typo in ``[feeds] opml`` must not unsubscribe
everything); an unreadable one is an error.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from aggregator.config import Config
from aggregator.models import Credentials
from aggregator.opml import OpmlDocument, Subscription, read_opml, write_opml
from aggregator.store.core import Store
from aggregator.store.credentials import split_credentials
from aggregator.store.subscriptions import (
    FeedFields,
    SubscribedFeed,
    insert_subscription,
    rebase_subscription,
    refresh_subscription,
    subscribed_feeds,
    unsubscribe,
)

log = logging.getLogger("aggregator.pipeline.subscriptions")


@dataclass(frozen=True)
class SyncPlan:
    add: list[Subscription] = field(default_factory=list)
    refresh: list[tuple[int, Subscription]] = field(default_factory=list)
    #: Bridged feeds moving to a new URL (feed id, new subscription, old URL).
    rebase: list[tuple[int, Subscription, str]] = field(default_factory=list)
    unsubscribe: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class SyncResult:
    added: int = 0
    rebased: int = 0
    unsubscribed: int = 0
    resubscribed: int = 0

    def __str__(self) -> str:
        return (
            f"feeds_added={self.added} feeds_rebased={self.rebased} "
            f"feeds_unsubscribed={self.unsubscribed} feeds_resubscribed={self.resubscribed}"
        )


def _route(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _same_route(feed: SubscribedFeed, sub: Subscription) -> bool:
    if feed.bridged != sub.bridge or not sub.bridge_route:
        return False
    if feed.bridge_route is not None:
        return feed.bridge_route == sub.bridge_route
    # Rows from before the store kept routes (migration 10): the route ends the URL.
    return _route(feed.subscribed_url).endswith("/" + sub.bridge_route.lstrip("/"))


def plan_sync(subs: Sequence[Subscription], feeds: Sequence[SubscribedFeed]) -> SyncPlan:
    """Match outlines to feed rows (exact URL first, then bridge route); pure."""
    plan = SyncPlan()
    by_url: dict[str, SubscribedFeed] = {}
    for f in feeds:
        by_url.setdefault(f.url, f)
        by_url[f.subscribed_url] = f
    matched: set[int] = set()
    pending: list[Subscription] = []
    seen: set[str] = set()
    for s in subs:
        if s.url in seen:
            continue
        seen.add(s.url)
        hit = by_url.get(s.url)
        if hit is not None and hit.id not in matched:
            matched.add(hit.id)
            plan.refresh.append((hit.id, s))
        else:
            pending.append(s)
    for s in pending:
        stale = next((f for f in feeds if f.id not in matched and _same_route(f, s)), None)
        if stale is not None:
            matched.add(stale.id)
            plan.rebase.append((stale.id, s, stale.subscribed_url))
        else:
            plan.add.append(s)
    plan.unsubscribe.extend(
        f.id for f in feeds if f.id not in matched and (f.subscribed or not f.disabled)
    )
    return plan


def _fields(s: Subscription) -> FeedFields:
    return FeedFields(
        title=s.title,
        site_url=s.site_url,
        lang=s.lang,
        timezone=s.timezone,
        bridged=s.bridge,
        bridge_route=s.bridge_route,
        category=s.category,
        outlet=s.outlet,
        country=s.country,
    )


def apply_plan(store: Store, plan: SyncPlan, now: datetime) -> SyncResult:
    """Write ``plan`` in one transaction."""
    before = {f.id: f for f in subscribed_feeds(store)}
    with store.transaction():
        for s in plan.add:
            insert_subscription(store, s.url, _fields(s), now)
        for fid, s in plan.refresh:
            refresh_subscription(store, fid, _fields(s), now)
        for fid, s, old in plan.rebase:
            rebase_subscription(store, fid, s.url, _fields(s), now)
            log.info("feed_id=%d rebased from=%s to=%s", fid, old, s.url)
        for fid in plan.unsubscribe:
            unsubscribe(store, fid, now)
    resubscribed = sum(
        1 for fid, _s in plan.refresh if fid in before and not before[fid].subscribed
    )
    return SyncResult(
        added=len(plan.add),
        rebased=len(plan.rebase),
        unsubscribed=sum(1 for fid in plan.unsubscribe if before[fid].subscribed),
        resubscribed=resubscribed,
    )


def sync_subscriptions(store: Store, subs: Sequence[Subscription], now: datetime) -> SyncResult:
    """Make the store's subscriptions exactly ``subs``. An outline's ``user:pass@`` goes to
    the store's credential file, never into a ``feeds`` column (issue 15 item 3): the
    subscription is matched and stored without it."""
    clean: list[Subscription] = []
    creds: dict[str, Credentials] = {}
    for s in subs:
        url, c = split_credentials(s.url)
        clean.append(dataclasses.replace(s, url=url) if c is not None else s)
        if c is not None:
            creds[url] = c
    result = apply_plan(store, plan_sync(clean, subscribed_feeds(store)), now)
    if creds:
        for f in subscribed_feeds(store):
            if f.subscribed_url in creds:
                store.credentials.set(f.id, creds[f.subscribed_url])
    return result


def sync_opml(cfg: Config, store: Store, now: datetime) -> SyncResult:
    """Make the store follow ``[feeds] opml``; a missing file changes nothing."""
    path = cfg.opml_path
    if not path.exists():
        log.warning("opml=%s missing: subscriptions left as they are", path)
        return SyncResult()
    subs = read_opml(path.read_bytes(), rsshub_base=cfg.bridges.rsshub)
    result = sync_subscriptions(store, subs, now)
    if result.added or result.rebased or result.unsubscribed or result.resubscribed:
        log.info("opml=%s %s", path, result)
    return result


# -- editing feeds.opml (the CLI's `feeds add/remove/import`) ---------------------------------
def load_document(path: Path) -> OpmlDocument:
    """The subscription file, or a new empty one if there is none yet."""
    if path.exists():
        return OpmlDocument(path.read_bytes())
    return OpmlDocument(write_opml([]))


def save_document(path: Path, doc: OpmlDocument) -> None:
    """Replace the file atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(doc.to_bytes())
    os.replace(tmp, path)


def add_to_opml(cfg: Config, subs: Sequence[Subscription]) -> list[Subscription]:
    """Append the outlines of ``subs`` not in the file yet; returns those added."""
    doc = load_document(cfg.opml_path)
    have = {s.url for s in doc.subscriptions(rsshub_base=cfg.bridges.rsshub)}
    routes = {
        (s.bridge, s.bridge_route)
        for s in doc.subscriptions(rsshub_base=cfg.bridges.rsshub)
        if s.bridge
    }
    added = []
    for s in subs:
        if s.url in have or (s.bridge and (s.bridge, s.bridge_route) in routes):
            continue
        doc.add(s)
        have.add(s.url)
        added.append(s)
    if added:
        save_document(cfg.opml_path, doc)
    return added


def remove_from_opml(cfg: Config, url: str) -> Subscription | None:
    """Remove the outline of ``url``; returns it, or None if the file has no such outline."""
    if not cfg.opml_path.exists():
        return None
    doc = load_document(cfg.opml_path)
    gone = doc.remove(url, rsshub_base=cfg.bridges.rsshub)
    if gone is not None:
        save_document(cfg.opml_path, doc)
    return gone


def export_subscriptions(store: Store) -> list[Subscription]:
    """The store's current subscriptions as OPML records (categories and bridges kept)."""
    return [
        Subscription(
            url=f.subscribed_url,
            title=f.title,
            site_url=f.site_url,
            lang=f.lang,
            timezone=f.timezone,
            bridge=f.bridged,
            bridge_route=f.bridge_route,
            category=f.category,
            outlet=f.outlet,
            country=f.country,
        )
        for f in subscribed_feeds(store, include_unsubscribed=False)
    ]
