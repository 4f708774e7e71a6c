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
import concurrent.futures
import contextlib
import dataclasses
import hashlib
import logging
import multiprocessing
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aggregator.config import Config
from aggregator.dedupe import exact as dedupe
from aggregator.dedupe.exact import NearDuplicates
from aggregator.fetch.client import Fetcher
from aggregator.models import Decision, FeedRecord, FetchResult, Item, ParsedFeed
from aggregator.normalize.idpolicy import IdHistory, choose_id_policy
from aggregator.normalize.item import build_item, complete_item, default_timezone_for
from aggregator.parse.document import ParseError, entry_fingerprints, splice_known_entries
from aggregator.schedule import FeedHistory, PollOutcome, next_check
from aggregator.store.core import Store, parse_iso, utc_iso

if TYPE_CHECKING:
    from aggregator.pipeline.cluster_pass import EventBuilder

log = logging.getLogger("aggregator.pipeline.refresh")


def _parse_in_worker(
    body: bytes, url: str, headers: dict[str, str], cfg_tuple: tuple[int, int, int, float]
) -> ParsedFeed:
    from aggregator.config import ParseConfig
    from aggregator.parse.fast import parse_feed_fast

    # The lxml fast path takes well-formed plain RSS 2.0 (most news feeds) and gives the same
    # records as feedparser (test_fastparse.py, whole corpus); anything else → feedparser.
    return parse_feed_fast(body, url=url, headers=headers, cfg=ParseConfig(*cfg_tuple))


class ParsePool:
    """Runs feedparser in a worker process with a wall-clock budget. A document that blows
    the budget (or the worker's memory) kills the worker, not the daemon (PROC-03, LOAD-04)."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def _get(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["aggregator.parse.document", "aggregator.parse.fast"])
            self._pool = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=ctx)
        return self._pool

    async def parse(
        self, body: bytes, url: str, headers: dict[str, str], cfg: Config
    ) -> ParsedFeed:
        p = cfg.parse
        fut = self._get().submit(
            _parse_in_worker,
            body,
            url,
            headers,
            (p.max_entries_per_feed, p.max_field_chars, p.max_title_chars, p.timeout_s),
        )
        try:
            return await asyncio.wait_for(asyncio.wrap_future(fut), timeout=p.timeout_s)
        except TimeoutError:
            self.restart()
            raise ParseError(f"parse exceeded the {p.timeout_s:g} s budget") from None
        except concurrent.futures.process.BrokenProcessPool:
            self.restart()
            raise ParseError("parser worker died (memory or crash)") from None

    def restart(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.kill()
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


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

    def __init__(self, cfg: Config, store: Store, *, rng: random.Random | None = None) -> None:
        self.cfg = cfg
        self.store = store
        self.parser = ParsePool()
        self.rng = rng or random.Random()
        #: True inside :meth:`grouped_writes`: feeds share group transactions.
        self._grouped = False
        self._flush_timer: asyncio.TimerHandle | None = None
        self._events: EventBuilder | None = None
        self.near = (
            NearDuplicates(store) if cfg.dedupe.enabled and cfg.dedupe.near_duplicates else None
        )

    @property
    def events(self) -> EventBuilder:
        """The cluster stage, built on first use: a pass with nothing to cluster imports
        none of it (~36 ms of a 304-only ``poll --all``)."""
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
        if self._events is not None or self.store.has_unclustered_items():
            report.clustered = await self.events.cluster_pending_async(now_fn())
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
        async with Fetcher(self.cfg.fetch) as fetcher:
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
                outcome = await self.process(feed, result, now_fn())
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
            fingerprints = entry_fingerprints(result.body)
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
            log.exception("feed_url=%s store_failed", feed.url)
            out.error = f"store failed: {type(exc).__name__}: {exc}"
        log.info(
            "feed_url=%s status=%s elapsed_ms=%.0f new_items=%d updated_items=%d "
            "duplicates=%d parsed=%s error=%s",
            feed.url,
            result.status,
            result.elapsed_ms,
            out.new_items,
            out.updated_items,
            out.duplicates,
            out.parsed,
            out.error,
        )
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

    def _redirect_fields(self, feed: FeedRecord, result: FetchResult) -> dict[str, object]:
        """301/308 move the feed URL once the same target has held for
        ``PERMANENT_REDIRECT_HOLD_POLLS`` polls in a row; 302/307 never do."""
        target = result.permanent_url
        if not target or target == feed.url:
            return {"redirect_url": None, "redirect_count": 0}
        count = feed.redirect_count + 1 if feed.redirect_url == target else 1
        if count >= PERMANENT_REDIRECT_HOLD_POLLS and not self.store.feed_url_taken(target):
            log.info("feed_url=%s moved_to=%s after %d polls", feed.url, target, count)
            return {"url": target, "redirect_url": None, "redirect_count": 0}
        return {"redirect_url": target, "redirect_count": count}

    def _store_entries(
        self, feed: FeedRecord, parsed: ParsedFeed, now: datetime, out: FeedOutcome
    ) -> None:
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
            self.store.update_feed(feed.id, id_policy=policy)
            feed = dataclasses.replace(feed, id_policy=policy)
        items: list[Item] = []
        hints: list[str | None] = []
        seen: set[str] = set()
        for entry in parsed.entries:
            item = build_item(entry, feed, now=now, feed_tz=tz, cfg=self.cfg.parse)
            if item is None or item.guid in seen:  # same GUID twice in one document
                continue
            seen.add(item.guid)
            items.append(item)
            hints.append(entry.lang or feed.lang or parsed.lang)
        existing = self.store.existing_by_guid(feed.id, [i.guid for i in items])
        at = utc_iso(now)
        for item, hint in zip(items, hints, strict=True):
            old = existing.get(item.guid)
            if old is None and item.canonical_url:
                # Same feed, same article URL under a new GUID: the same item (ID-03).
                e = self.store.find_by_canonical_url(item.canonical_url)
                if e is not None and e.feed_id == feed.id:
                    old = e
            if old is not None:
                # A malformed document (truncated, mismatched tags) may have lost an entry's
                # text: it can add items but never overwrite stored ones (XML-08).
                if old.content_hash != item.content_hash and not parsed.malformed:
                    self.store.revise_item(old.id, complete_item(item, hint))
                    if self.near is not None:
                        self.near.forget(old.id)
                    out.updated_items += 1
                    if old.event_id is not None:
                        self.store.refresh_event(old.event_id, updated_at=at)
                continue
            complete_item(item, hint)
            match = (
                dedupe.find_exact_duplicate(item, self.store) if self.cfg.dedupe.enabled else None
            )
            probe = None
            if match is None and self.near is not None:
                match, probe = self.near.check(item)
            if match is not None:
                item.duplicate_of = match.original_id
            item_id = self.store.insert_item(item)
            if probe is not None and match is None and self.near is not None:
                self.near.add(item_id, probe, item.published_at or item.fetched_at)
            out.new_items += 1
            if match is not None:
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
        at = utc_iso(now)
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
        fields: dict[str, object] = {
            "last_fetched_at": at,
            "last_status": result.status,
            "next_check_at": utc_iso(decision.next_check_at),
            "interval_s": int(decision.interval_s),
            "schedule_reason": decision.reason,
            "error_count": decision.error_count,
            "first_error_at": _iso_or_none(decision.first_error_at),
            "last_error": out.error,
        }
        if not out.error:
            fields["last_success_at"] = at
            if result.ok:
                # Validators move only together with the entries they describe (DB-02).
                fields.update(
                    etag=result.etag, last_modified=result.last_modified, last_body_hash=body_hash
                )
                if parsed is not None:
                    fields["entry_fingerprints"] = (
                        " ".join(sorted(out.fingerprints)) if out.fingerprints else None
                    )
            if out.new_items:
                fields["last_new_item_at"] = at
            if parsed is not None:
                fields["title"] = feed.title or parsed.title
                fields["site_url"] = feed.site_url or parsed.site_url
                if not feed.lang and parsed.lang:
                    fields["lang"] = parsed.lang
            fields.update(self._redirect_fields(feed, result))
        if decision.disable:
            fields.update(disabled=1, disabled_reason=decision.disable_reason)
        self.store.update_feed(feed.id, **fields)
        self.store.record_fetch(
            feed.id,
            started_at=at,
            status=result.status,
            bytes=len(result.body) if result.body is not None else None,
            elapsed_ms=result.elapsed_ms,
            not_modified=int(unchanged),
            parsed=int(out.parsed),
            new_items=out.new_items,
            updated_items=out.updated_items,
            duplicates=out.duplicates,
            error=out.error,
        )
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


def _iso_or_none(dt: datetime | None) -> str | None:
    return utc_iso(dt) if dt is not None else None
