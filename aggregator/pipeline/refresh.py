"""Pipeline: the one module where the stages meet (I/O through fetch and store).

Per feed::

    due feed ── fetch ──┬─ error ──────────────► feed error state, backoff          ┐
                        ├─ 304 / same body hash ► nothing parsed                     │ one
                        └─ 200 ── parse (worker process, time budget)                │ transaction
                                  └ normalize → same item? revise : dedupe → insert  │ per feed
                                                                                     ┘
    after the batch: cluster the new unique items (embeddings in batches) → events

Everything one feed update writes (items, decisions, the feed's validators and schedule,
the ``fetches`` row) is committed in one transaction, so a kill leaves it in full or not at
all, and ETag/Last-Modified never move ahead of the stored entries (catalogue DB-01/02).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import logging
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aggregator.config import MIB, Config
from aggregator.dedupe.sketch_id import SKETCH_ID
from aggregator.fetch.client import LARGE_BODIES_AT_ONCE, Fetcher
from aggregator.models import Decision, FeedRecord, FetchResult, ParsedFeed
from aggregator.parse.document import ParseError
from aggregator.parse.pool import ParsePool
from aggregator.parse.splice import entry_fingerprints, splice_known_entries
from aggregator.pipeline import cluster_child
from aggregator.pipeline.plan import (
    EntryAction,
    NewEntry,
    PollFacts,
    Revision,
    build_entries,
    plan_entries,
    plan_feed_state,
)
from aggregator.schedule import FeedHistory, PollOutcome, next_check
from aggregator.store.bands import sketch_setting
from aggregator.store.core import Store, parse_iso, utc_iso
from aggregator.store.status import write_failure_kind

if TYPE_CHECKING:
    from aggregator.dedupe.exact import PrefetchedLookups
    from aggregator.pipeline.cluster_pass import EventBuilder
    from aggregator.pipeline.near_duplicates import NearDuplicates, NearProbe

log = logging.getLogger("aggregator.pipeline.refresh")


@dataclass
class FeedOutcome:
    feed_id: int
    url: str
    status: int | None
    new_items: int = 0
    updated_items: int = 0
    duplicates: int = 0
    parsed: bool = False
    error: str | None = None
    elapsed_ms: float = 0.0
    host_retry_after_s: float | None = None
    #: Entry-segment fingerprints of the document parsed in this poll.
    fingerprints: frozenset[str] | None = None


@dataclass
class PollReport:
    outcomes: list[FeedOutcome] = field(default_factory=list)
    clustered: int = 0

    @property
    def new_items(self) -> int:
        return sum(o.new_items for o in self.outcomes)

    @property
    def errors(self) -> int:
        return sum(1 for o in self.outcomes if o.error)


class Pipeline:
    """Wires fetch → parse → normalize → dedupe → store (→ cluster, via ``clusterer``)."""

    def __init__(
        self,
        cfg: Config,
        store: Store,
        *,
        rng: random.Random | None = None,
        one_shot: bool = False,
    ) -> None:
        self.cfg = cfg
        self.store = store
        #: Polls once (the ``poll`` command): see :meth:`_release_refresh_memory`.
        self.one_shot = one_shot
        cap = cfg.parse.worker_memory_mb * MIB
        self.parser = ParsePool(cfg.parse.workers, memory_cap_bytes=cap)
        self.rng = rng or random.Random()
        #: True inside :meth:`grouped_writes`: feeds share group transactions.
        self._grouped = False
        self._flush_timer: asyncio.TimerHandle | None = None
        self._events: EventBuilder | None = None
        self._near: NearDuplicates | None = None
        self._near_on = cfg.dedupe.enabled and cfg.dedupe.near_duplicates
        if self._near_on and sketch_setting(store) != SKETCH_ID:
            self._build_near()  # a new store, or one whose band keys need re-indexing: now

    @property
    def near(self) -> NearDuplicates | None:
        """The near-duplicate layer (if on), built on first use: a pass in which no feed
        brings a new item imports no MinHash (numpy, rensa: ~35 ms of a 304-only
        ``poll --all``). A store whose band keys need re-indexing gets it at start."""
        if self._near is None and self._near_on:
            self._build_near()
        return self._near

    def _build_near(self) -> None:
        from aggregator.pipeline.near_duplicates import NearDuplicates

        self._near = NearDuplicates(self.store, self.cfg.dedupe.window_days, hold=True)

    def _release_refresh_memory(self, *, trim: bool) -> None:
        """Before a one-shot pass clusters, drop what only refreshing used: the near-duplicate
        layer (its record cache) and the s2t converter (language detection of Traditional
        text), and with ``trim`` (the pass stored new items) hand the freed pages back
        (``trim_malloc``): the cluster stage's objects (pymalloc's own mappings) could not
        reuse most of them (``bench/pass_memory.py``). The daemon keeps both."""
        from aggregator.daemon.memory import trim_malloc

        self._near = None
        langid = sys.modules.get("aggregator.normalize.langid")  # not imported: none built
        if langid is not None:
            langid.release_converter("s2t")
        if trim:
            trim_malloc()

    @property
    def events(self) -> EventBuilder:
        """The cluster stage, built on first use (~36 ms of imports a 304-only pass skips)."""
        if self._events is None:
            from aggregator.pipeline.cluster_pass import EventBuilder

            self._events = EventBuilder(self.cfg, self.store)
        return self._events

    def close(self) -> None:
        self.parser.close()

    # -- polling ----------------------------------------------------------------------------
    async def poll(
        self,
        feeds: Sequence[FeedRecord],
        now_fn: Callable[[], datetime],
        *,
        on_done: Callable[[FeedOutcome], None] | None = None,
        stop: asyncio.Event | None = None,
    ) -> PollReport:
        """Fetch and process ``feeds`` concurrently (bounded by the fetcher's limits); each
        feed's writes are one savepoint of a group commit at most ``store.commit_interval_ms``
        old (:meth:`grouped_writes`). Never raises for a single feed."""
        report = PollReport()
        with self.grouped_writes():
            await self._poll(feeds, now_fn, report, on_done, stop)
        if self.one_shot:
            self._release_refresh_memory(trim=report.new_items > 0)
        if self.one_shot and self._events is None and cluster_child.worth_a_child(self.store):
            report.clustered = await cluster_child.cluster_in_child(self.cfg, now_fn()) or 0
        if self._events is not None or self.store.has_unclustered_items():  # or a child failed
            report.clustered += await self.events.cluster_pending_async(now_fn())
        if self.one_shot and self._events is not None:  # publishing reuses the window's memory
            from aggregator.pipeline.model_caches import release_cluster_memory

            self._events = None
            release_cluster_memory()
        return report

    @contextlib.contextmanager
    def grouped_writes(self) -> Iterator[None]:
        """Within this block each processed feed is one savepoint of a group transaction
        committed every ``store.commit_interval_ms`` (:meth:`Store.group_unit`), and at the
        end. Feeds are only ever between awaits when the group is committed, so a cancelled
        poll commits whole feeds only."""
        self._grouped = True
        try:
            yield
        finally:
            self._grouped = False
            if self._flush_timer is not None:
                self._flush_timer.cancel()
                self._flush_timer = None
            self.store.commit_group()

    def _arm_flush_timer(self) -> None:
        """Commit an open group within ``commit_interval_ms`` even when no further feed
        finishes (one slow feed must not hold back the others' items). The callback runs
        on the loop between awaits, so never inside a feed's unit."""
        if self._flush_timer is not None or not self.store.group_open:
            return

        def flush() -> None:
            self._flush_timer = None
            self.store.commit_group()

        delay = self.cfg.store.commit_interval_ms / 1000
        self._flush_timer = asyncio.get_running_loop().call_later(delay, flush)

    async def _poll(
        self,
        feeds: Sequence[FeedRecord],
        now_fn: Callable[[], datetime],
        report: PollReport,
        on_done: Callable[[FeedOutcome], None] | None,
        stop: asyncio.Event | None,
    ) -> None:
        # Bodies over 1 MiB take turns (fetch.client.LARGE_BODIES_AT_ONCE), so fetched
        # documents never pile up in memory while they queue for the parser.
        async with Fetcher(self.cfg.fetch, large_body_slots=LARGE_BODIES_AT_ONCE) as fetcher:
            # Feeds queue here, not inside the fetcher, so that a stop requested while they
            # wait (SIGTERM) is seen before each one starts.
            gate = asyncio.Semaphore(self.cfg.fetch.concurrency)

            async def one(feed: FeedRecord) -> None:
                async with gate:
                    if stop is not None and stop.is_set():
                        return
                    await fetch_and_process(feed)

            async def fetch_and_process(feed: FeedRecord) -> None:
                result = await fetcher.fetch(feed)
                try:
                    outcome = await self.process(feed, result, now_fn())
                finally:
                    fetcher.release_body(feed.id)
                if outcome.host_retry_after_s:
                    # Retry-After applies to the whole host, not just this feed.
                    host = urlsplit(feed.url).hostname or ""
                    fetcher.block_host(host, time.monotonic() + outcome.host_retry_after_s)
                report.outcomes.append(outcome)
                if on_done:
                    on_done(outcome)

            await asyncio.gather(*(one(f) for f in interleave_hosts(feeds)))

    async def process(self, feed: FeedRecord, result: FetchResult, now: datetime) -> FeedOutcome:
        """Turn one fetch result into stored items and feed state. Never raises for bad input."""
        out = FeedOutcome(feed.id, feed.url, result.status, elapsed_ms=result.elapsed_ms)
        parsed: ParsedFeed | None = None
        body_hash = None
        if result.ok and result.body is not None:
            body_hash = hashlib.sha256(result.body).hexdigest()
            fingerprints = entry_fingerprints(result.body, self.cfg.parse.max_entries_per_feed)
            known = set((feed.entry_fingerprints or "").split())
            if body_hash == feed.last_body_hash or (fingerprints and fingerprints <= known):
                pass  # same document, or only its channel header changed: nothing to parse
            else:
                try:
                    parsed = await self._parse(result, known)
                    out.parsed = True
                    out.fingerprints = fingerprints
                except ParseError as exc:
                    out.error = str(exc)
        elif result.error or not result.not_modified:
            out.error = result.error or f"HTTP {result.status}"
        try:
            with self.store.group_unit() if self._grouped else self.store.transaction():
                if parsed is not None:
                    self._store_entries(feed, parsed, now, out)
                out.host_retry_after_s = self._update_feed_state(
                    feed, result, parsed, body_hash, now, out
                )
            if self._grouped:
                self._arm_flush_timer()
        except Exception as exc:  # a store failure for one feed must not stop the others
            if write_failure_kind(exc) is None:  # a bug: its traceback is wanted
                log.exception("feed_url=%s store_failed", feed.url)
            # else the disk refused the write (full, read-only): the line below says so, and
            # the store records it for /healthz; a traceback per feed per tick says nothing more
            out.error = f"store failed: {type(exc).__name__}: {exc}"
        log.info(
            "feed_url=%s status=%s elapsed_ms=%.0f new_items=%d updated_items=%d "
            "duplicates=%d parsed=%s error=%s",
            feed.url, result.status, result.elapsed_ms, out.new_items, out.updated_items,
            out.duplicates, out.parsed, out.error,
        )  # fmt: skip
        return out

    # -- internals ----------------------------------------------------------------------------
    async def _parse(self, result: FetchResult, known: set[str]) -> ParsedFeed:
        """Parse a fetched document, without the entries seen unchanged at the last parse
        (``splice_known_entries``); the whole body again if the cut one comes out malformed
        or unreadable, so a wrong cut can cost time but never an entry."""
        assert result.body is not None
        headers = dict(result.headers)
        body, cut = splice_known_entries(result.body, known)
        if cut:
            try:
                parsed = await self.parser.parse(body, result.final_url, headers, self.cfg)
                if not parsed.malformed:
                    return parsed
            except ParseError:
                pass
            log.info("feed_url=%s reparsing the whole document", result.feed_url)
        return await self.parser.parse(result.body, result.final_url, headers, self.cfg)

    def _redirect(
        self, feed: FeedRecord, result: FetchResult
    ) -> tuple[str | None, int, str | None]:
        """``(redirect_url, redirect_count, moved_to)``: 301/308 move the feed URL once the
        same target has held for ``PERMANENT_REDIRECT_HOLD_POLLS`` polls in a row; 302/307
        never do."""
        target = result.permanent_url
        if not target or target == feed.url:
            return None, 0, None
        count = feed.redirect_count + 1 if feed.redirect_url == target else 1
        if count >= PERMANENT_REDIRECT_HOLD_POLLS and not self.store.feed_url_taken(target):
            log.info("feed_url=%s moved_to=%s after %d polls", feed.url, target, count)
            return None, 0, target
        return target, count, None

    def _store_entries(
        self, feed: FeedRecord, parsed: ParsedFeed, now: datetime, out: FeedOutcome
    ) -> None:
        """Plan what each entry does (:mod:`.plan`), then do it."""
        # The changed-feed path imports here: a 304-only pass needs none of it (~40 ms).
        from aggregator.dedupe.exact import prefetch_lookups
        from aggregator.normalize.idpolicy import IdHistory, choose_id_policy
        from aggregator.normalize.item import default_timezone_for

        tz = feed.timezone or default_timezone_for(
            feed.url, self.cfg.feeds.default_timezone, rsshub_base=self.cfg.bridges.rsshub
        )
        # Broken GUIDs (shared by different entries, or changing on every fetch) switch the
        # feed to link / link+date / title identity; the switch is stored and sticky.
        history = IdHistory(self.store.guid_by_link(feed.id)) if feed.id_policy == "guid" else None
        policy = choose_id_policy(parsed.entries, feed.id_policy, history)
        if policy != feed.id_policy:
            log.warning(
                "feed_url=%s id_policy %s -> %s (broken GUIDs)", feed.url, feed.id_policy, policy
            )
            self.store.set_id_policy(feed.id, policy)
            feed = dataclasses.replace(feed, id_policy=policy)
        built = build_entries(parsed, feed, now=now, feed_tz=tz, cfg=self.cfg.parse)
        by_guid = self.store.existing_by_guid(feed.id, [b.item.guid for b in built])
        urls = {u for b in built if (u := b.item.canonical_url) and b.item.guid not in by_guid}
        by_url = self.store.find_by_canonical_urls(sorted(urls)) if urls else {}
        actions = plan_entries(
            built, feed_id=feed.id, by_guid=by_guid, by_url=by_url, malformed=parsed.malformed
        )
        at = utc_iso(now)
        probes = self._probes(actions)
        # The exact rules' lookups: two queries per feed rather than two per new item.
        new = [a.item for a in actions if isinstance(a, NewEntry)]
        lookups = prefetch_lookups(self.store, new if self.cfg.dedupe.enabled else [], by_url, urls)
        for action in actions:
            if isinstance(action, Revision):
                lookups.stale()
                self._revise(action, at, out)
            elif isinstance(action, NewEntry):
                self._insert_new(action, at, out, lookups, probes.get(id(action)))

    def _probes(self, actions: Sequence[EntryAction]) -> dict[int, NearProbe]:
        """Complete the new entries' items and make their near-duplicate probes, all at
        once (``NearDuplicates.make_probes``), keyed by ``id(action)``. An item found to be an
        exact duplicate never uses its probe (the same decisions as one by one)."""
        from aggregator.normalize.item import complete_item

        new = [a for a in actions if isinstance(a, NewEntry)]
        for a in new:
            complete_item(a.item, a.lang_hint)  # fills the item in place
        near = self.near if new else None
        if near is None:
            return {}
        found = near.make_probes([a.item for a in new])
        return {id(a): p for a, p in zip(new, found, strict=True)}

    def _revise(self, action: Revision, at: str, out: FeedOutcome) -> None:
        from aggregator.normalize.item import complete_item

        self.store.revise_item(action.old.id, complete_item(action.item, action.lang_hint))
        if self.near is not None:
            self.near.forget(action.old.id)
        out.updated_items += 1
        if action.old.event_id is not None:
            self.store.refresh_event(action.old.event_id, updated_at=at)

    def _insert_new(self, action: NewEntry, at: str, out: FeedOutcome, lookups: PrefetchedLookups,
                    probe: NearProbe | None = None) -> None:  # fmt: skip
        """Dedupe a new item (completed by :meth:`_probes`) against everything stored (this
        poll's items included; ``lookups``: the feed's exact lookups), insert it, and record
        the duplicate decision if any."""
        from aggregator.dedupe import exact as dedupe
        from aggregator.store.dupes import reroot_if_earlier

        item = action.item
        match = dedupe.find_exact_duplicate(item, lookups) if self.cfg.dedupe.enabled else None
        if match is None and self.near is not None:
            match, probe = self.near.check(item, probe)
        else:
            probe = None
        if match is not None:
            item.duplicate_of = match.original_id
        item_id = self.store.insert_item(item)
        if probe is not None and match is None and self.near is not None:
            self.near.add(item_id, probe, item.published_at or item.fetched_at)
        out.new_items += 1
        if match is None:
            lookups.inserted(item_id, item)
        else:
            lookups.stale()  # a duplicate's insert may re-root its group
            out.duplicates += 1
            self.store.add_decision(
                Decision(
                    item_id=item_id,
                    stage="dedupe",
                    rule=match.rule,
                    target_item_id=match.original_id,
                    score=match.score,
                    features=match.features,
                    at=at,
                )
            )
            # A copy stored first is the root until its original arrives (issue 13 item 5).
            reroot_if_earlier(self.store, item_id, match.original_id, at)

    def _update_feed_state(
        self,
        feed: FeedRecord,
        result: FetchResult,
        parsed: ParsedFeed | None,
        body_hash: str | None,
        now: datetime,
        out: FeedOutcome,
    ) -> float | None:
        """Store the feed's validators, error state and next check; returns the Retry-After
        (seconds) to apply to the feed's whole host, if any."""
        history = FeedHistory(
            entry_times=tuple(parse_iso(t) for t in self.store.recent_publish_times(feed.id) if t),
            error_count=feed.error_count,
            first_error_at=_opt_iso(feed.first_error_at),
            last_interval_s=feed.interval_s,
        )
        outcome = PollOutcome.from_fetch(
            result, parsed, new_items=out.new_items, parse_error=out.error if result.ok else None
        )
        unchanged = result.not_modified or (result.ok and parsed is None and out.error is None)
        decision = next_check(
            now, cfg=self.cfg.schedule, outcome=outcome, history=history, rng=self.rng
        )
        facts = PollFacts(
            result=result,
            parsed=parsed,
            body_hash=body_hash,
            fingerprints=out.fingerprints,
            error=out.error,
            new_items=out.new_items,
            redirect=self._redirect(feed, result) if not out.error else (None, 0, None),
        )
        self.store.save_poll_state(feed.id, plan_feed_state(feed, facts, decision, now))
        self.store.record_fetch(
            feed.id, started_at=utc_iso(now), status=result.status,
            bytes=len(result.body) if result.body is not None else None,
            elapsed_ms=result.elapsed_ms, not_modified=int(unchanged), parsed=int(out.parsed),
            new_items=out.new_items, updated_items=out.updated_items, duplicates=out.duplicates,
            error=out.error,
        )  # fmt: skip
        return decision.host_retry_after_s


#: Polls in a row that must see the same permanent (301/308) redirect before the stored feed
#: URL moves: one misconfigured deploy should not rewrite a subscription for good.
PERMANENT_REDIRECT_HOLD_POLLS = 3


def interleave_hosts(feeds: Sequence[FeedRecord]) -> list[FeedRecord]:
    """Round-robin over hosts, so one host's feeds (19 RSSHub routes in the bundled OPML)
    waiting on its per-host limit never fill the queue ahead of every other host."""
    by_host: dict[str, list[FeedRecord]] = {}
    for f in feeds:
        by_host.setdefault(urlsplit(f.url).hostname or "", []).append(f)
    queues = list(by_host.values())
    out: list[FeedRecord] = []
    for i in range(max((len(q) for q in queues), default=0)):
        out.extend(q[i] for q in queues if i < len(q))
    return out


def _opt_iso(s: object) -> datetime | None:
    return parse_iso(str(s)) if s else None
