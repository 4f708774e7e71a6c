"""Decide, then do: what one feed refresh does to each entry and to the feed (pure; no I/O).

The refresh job (:mod:`aggregator.pipeline.refresh`) reads what the store knows about the
feed, asks these functions what to do, and then does it. Nothing here reads the clock, the
store or the network, so every decision can be tested on plain values:

- :func:`build_entries` — parsed entries → items under the feed's identity policy (an entry
  that cannot be an item, or repeats a GUID of the same document, is dropped here);
- :func:`plan_entries` — each item against the feed's stored items: new, a revision of a
  stored item, unchanged, or a changed entry of a malformed document (stored text kept);
- :func:`plan_feed_state` — the feed's row after the poll: validators, schedule, errors,
  title and language, redirect bookkeeping.

Whether a *new* item duplicates another feed's item is the dedupe stage's question, asked
while the plan is applied, since it depends on what the same poll has already stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from aggregator.config import ParseConfig
from aggregator.models import FeedRecord, FetchResult, Item, ParsedFeed
from aggregator.schedule import ScheduleDecision
from aggregator.store.core import utc_iso
from aggregator.store.records import ExistingItem, FeedPollState, FeedSuccessState, Validators


@dataclass(frozen=True)
class BuiltEntry:
    """One entry as an item, with the language hint its feed gives."""

    item: Item
    lang_hint: str | None


@dataclass(frozen=True)
class NewEntry:
    """Not stored yet: normalise fully, dedupe, insert."""

    item: Item
    lang_hint: str | None


@dataclass(frozen=True)
class Revision:
    """A stored item whose content changed: revise it in place."""

    old: ExistingItem
    item: Item
    lang_hint: str | None


@dataclass(frozen=True)
class Unchanged:
    """A stored item, same content: nothing to do."""

    old: ExistingItem


@dataclass(frozen=True)
class KeptStored:
    """Changed, but the document is malformed (truncated, mismatched tags) and may have lost
    the entry's text: it can add items but never overwrite stored ones (XML-08)."""

    old: ExistingItem


EntryAction = NewEntry | Revision | Unchanged | KeptStored


def build_entries(
    parsed: ParsedFeed, feed: FeedRecord, *, now: datetime, feed_tz: str, cfg: ParseConfig
) -> list[BuiltEntry]:
    """Items of a parsed document under ``feed.id_policy``; the first of two entries with
    one GUID wins (the same GUID twice in one document is one item)."""
    # Here, not at the top: a pass of 304s plans feed states only, and the normalize stack
    # (nh3, w3lib, language detection) is ~30 ms of its imports (python -X importtime).
    from aggregator.normalize.item import build_item

    out: list[BuiltEntry] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        item = build_item(entry, feed, now=now, feed_tz=feed_tz, cfg=cfg)
        if item is None or item.guid in seen:
            continue
        seen.add(item.guid)
        out.append(BuiltEntry(item, entry.lang or feed.lang or parsed.lang))
    return out


def plan_entries(
    built: Sequence[BuiltEntry],
    *,
    feed_id: int,
    by_guid: Mapping[str, ExistingItem],
    by_url: Mapping[str, ExistingItem],
    malformed: bool,
) -> list[EntryAction]:
    """What to do with each built entry. ``by_guid``: the feed's stored items with these
    GUIDs; ``by_url``: stored items by canonical URL — an entry under a new GUID whose article
    URL the same feed already stored is that item (ID-03). Within one document the same
    rule holds: an entry whose canonical URL an earlier new entry of the document has is that
    item, and the first wins (as for a repeated GUID)."""
    actions: list[EntryAction] = []
    new_urls: set[str] = set()
    for b in built:
        if b.item.canonical_url in new_urls:
            continue
        old = by_guid.get(b.item.guid)
        if old is None and b.item.canonical_url:
            same_url = by_url.get(b.item.canonical_url)
            if same_url is not None and same_url.feed_id == feed_id:
                old = same_url
        if old is None:
            actions.append(NewEntry(b.item, b.lang_hint))
            if b.item.canonical_url:
                new_urls.add(b.item.canonical_url)
        elif old.content_hash == b.item.content_hash:
            actions.append(Unchanged(old))
        elif malformed:
            actions.append(KeptStored(old))
        else:
            actions.append(Revision(old, b.item, b.lang_hint))
    return actions


@dataclass(frozen=True)
class PollFacts:
    """What one poll found out, for :func:`plan_feed_state`."""

    result: FetchResult
    parsed: ParsedFeed | None
    body_hash: str | None
    fingerprints: frozenset[str] | None
    error: str | None
    new_items: int
    #: ``(redirect_url, redirect_count, moved_to)`` from the permanent-redirect bookkeeping.
    redirect: tuple[str | None, int, str | None]


def plan_feed_state(
    feed: FeedRecord, facts: PollFacts, decision: ScheduleDecision, now: datetime
) -> FeedPollState:
    """The feed's row after this poll. Validators move only together with the entries they
    describe (DB-02): they are part of the success state, never written on an error."""
    at = utc_iso(now)
    result, parsed = facts.result, facts.parsed
    success = None
    if not facts.error:
        validators = None
        if result.ok:
            fingerprints = None
            if parsed is not None and facts.fingerprints:
                fingerprints = " ".join(sorted(facts.fingerprints))
            validators = Validators(
                result.etag, result.last_modified, facts.body_hash, fingerprints, parsed is not None
            )
        redirect_url, redirect_count, moved_to = facts.redirect
        success = FeedSuccessState(
            last_success_at=at,
            validators=validators,
            last_new_item_at=at if facts.new_items else None,
            title=(feed.title or parsed.title) if parsed is not None else None,
            site_url=(feed.site_url or parsed.site_url) if parsed is not None else None,
            lang=parsed.lang if parsed is not None and not feed.lang and parsed.lang else None,
            redirect_url=redirect_url,
            redirect_count=redirect_count,
            moved_to=moved_to,
        )
    return FeedPollState(
        last_fetched_at=at,
        last_status=result.status,
        next_check_at=utc_iso(decision.next_check_at),
        interval_s=int(decision.interval_s),
        schedule_reason=decision.reason,
        error_count=decision.error_count,
        first_error_at=utc_iso(decision.first_error_at) if decision.first_error_at else None,
        last_error=facts.error,
        success=success,
        disabled_reason=decision.disable_reason if decision.disable else None,
    )
