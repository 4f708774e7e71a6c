"""Fetch stage: ``FeedRecord`` → ``FetchResult`` over HTTP (I/O: network).

One ``httpx.AsyncClient`` for the whole run, dialling through the private-address guard
(:mod:`aggregator.fetch.netguard`). Per fetch: conditional GET, redirects followed by hand (each
hop re-checked), an overall deadline around everything, and our own bounded decoder over
``aiter_raw()`` (httpx's decoder inflates a whole network chunk before a caller can cap it:
reliability catalogue §0.4). Per host: a concurrency limit, a minimum gap between requests,
and ``Retry-After`` applied to the whole host. A per-feed problem never raises; it becomes
``FetchResult.error``.

Exception hierarchy (internal: each is turned into ``FetchResult.error`` text)::

    FetchError (Exception)
     ├── HostBackingOff        the host asked us to wait (Retry-After) and the wait is long
     └── _Refused              the URL or a redirect refused by policy (text is the error)
    response.ResponseError     body too large, bad Content-Encoding (aggregator.fetch.response)
    netguard.NetGuardError     refused address (see aggregator.fetch.netguard)
    httpx.HTTPError            transport failures (timeouts, resets, protocol errors)
    TimeoutError               the overall deadline (asyncio.timeout)
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType

import httpx

from aggregator.config import FetchConfig
from aggregator.errors import FetchError as FetchError  # re-exported: callers import it from here
from aggregator.fetch.netguard import (
    AddressPolicy,
    GuardedBackend,
    GuardedTransport,
    NetGuardError,
    ResolutionError,
    Resolver,
    check_url,
    checked_url,
)
from aggregator.fetch.response import (
    BodyTooLarge,
    BoundedDecoder,
    ResponseError,
    parse_cache_lifetime,
    parse_retry_after,
    size_text,
)
from aggregator.fetch.urlparts import origin_of as _origin
from aggregator.fetch.urlparts import raw_header as _raw_header
from aggregator.fetch.urlparts import redact as _redact
from aggregator.models import FeedRecord, FetchResult

log = logging.getLogger(__name__)

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
ACCEPT_ENCODING = "gzip, deflate"
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
PERMANENT_CODES = frozenset({301, 308})
RETRY_AFTER_CODES = frozenset({429, 503})
#: Longest in-process host block from one Retry-After (the scheduler sees the full value).
MAX_HOST_BLOCK_S = 24 * 3600.0
#: Keep-alive connections kept open; httpx slows down with very large pools (encode/httpx#3215).
POOL_KEEPALIVE_MAX = 16
KEEPALIVE_EXPIRY_S = 30.0
#: A body past this size (decoded, or announced by Content-Length) needs a large-body slot
#: before more of it is read, when the caller limits them (``large_body_slots``): 32 fetches
#: in flight with 15 MiB bodies each held ~350 MB in the daemon while they queued for the
#: parser (issue 15, bench/hostile_memory.py). Small bodies never wait.
LARGE_BODY_BYTES = 1024 * 1024
#: Large bodies held at once by the pipeline: one, so at most one parse worker works on a big
#: document (up to ``parse.worker_memory_mb``) while the others take the small ones (~40 MB).
LARGE_BODIES_AT_ONCE = 1
#: Largest unread body (error page, redirect) read to its end so its connection is reused;
#: a longer one costs more than a new connection and is dropped with it.
DRAIN_MAX_BYTES = 64 * 1024



class HostBackingOff(FetchError):
    def __init__(self, remaining_s: float) -> None:
        self.remaining_s = remaining_s
        super().__init__("host backing off (Retry-After)")


class _Host:
    """Politeness state of one host."""

    def __init__(self, concurrency: int) -> None:
        self.sem = asyncio.Semaphore(concurrency)
        self.next_start = 0.0
        self.blocked_until = 0.0


class Fetcher:
    """Fetches feeds politely and safely. ``async with Fetcher(cfg) as f: await f.fetch(feed)``.

    ``policy``/``resolver`` override the address policy and DNS (tests: a deny-listed
    loopback address, DNS rebinding). ``clock`` is a monotonic clock (seconds).
    """

    def __init__(
        self,
        cfg: FetchConfig,
        *,
        policy: AddressPolicy | None = None,
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.monotonic,
        large_body_slots: int | None = None,
    ) -> None:
        """``large_body_slots``: at most this many bodies over ``LARGE_BODY_BYTES`` held at
        once; the caller hands each back with :meth:`release_body` when done with it."""
        self.cfg = cfg
        self._large = asyncio.Semaphore(large_body_slots) if large_body_slots else None
        #: feed ids holding a large-body slot
        self._large_held: set[int] = set()
        self.policy = policy or AddressPolicy.from_config(cfg)
        self.backend = GuardedBackend(self.policy, resolver)
        self._clock = clock
        self._global = asyncio.Semaphore(cfg.concurrency)
        self._hosts: dict[str, _Host] = {}
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        cfg = self.cfg
        limits = httpx.Limits(
            max_connections=cfg.concurrency,
            max_keepalive_connections=min(cfg.concurrency, POOL_KEEPALIVE_MAX),
            keepalive_expiry=KEEPALIVE_EXPIRY_S,
        )
        # A jar that refuses every cookie: no cookie is ever stored, so none is ever sent.
        jar = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self._client = httpx.AsyncClient(
            transport=GuardedTransport(self.backend, limits=limits),
            trust_env=False,
            follow_redirects=False,
            cookies=jar,
            timeout=httpx.Timeout(
                connect=cfg.connect_timeout_s,
                read=cfg.read_timeout_s,
                write=cfg.read_timeout_s,
                pool=cfg.deadline_s,
            ),
            headers={
                "User-Agent": cfg.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # --- per-host politeness ---------------------------------------------------------------
    def _host(self, host: str) -> _Host:
        key = host.lower()
        state = self._hosts.get(key)
        if state is None:
            state = self._hosts[key] = _Host(self.cfg.per_host_concurrency)
        return state

    def host_blocked_until(self, host: str) -> float | None:
        """Monotonic time until which ``host`` is backing off, or None."""
        state = self._hosts.get(host.lower())
        if state is None or state.blocked_until <= self._clock():
            return None
        return state.blocked_until

    def block_host(self, host: str, until_monotonic: float) -> None:
        """Make later requests to ``host`` wait (short) or be skipped (long) until then."""
        state = self._host(host)
        state.blocked_until = max(state.blocked_until, until_monotonic)

    @contextlib.asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Hold a per-host slot, respect back-off and the minimum gap, then a global slot."""
        state = self._host(host)
        async with state.sem:
            now = self._clock()
            if state.blocked_until > now:
                remaining = state.blocked_until - now
                if remaining > self.cfg.per_host_min_gap_s:
                    raise HostBackingOff(remaining)
                state.next_start = max(state.next_start, state.blocked_until)
            start = max(now, state.next_start)
            state.next_start = start + self.cfg.per_host_min_gap_s
            if start > now:
                await asyncio.sleep(start - now)
            async with self._global:
                yield

    # --- memory ----------------------------------------------------------------------------
    def release_body(self, feed_id: int) -> None:
        """The caller is done with ``feed_id``'s body: its large-body slot (if any) frees."""
        if self._large is not None and feed_id in self._large_held:
            self._large_held.discard(feed_id)
            self._large.release()

    async def _large_body_slot(self, feed_id: int, deadline: asyncio.Timeout | None) -> None:
        """Wait for a large-body slot; the wait does not count against the fetch deadline
        (the slot is busy because of other feeds, not because of this server)."""
        if self._large is None or feed_id in self._large_held:
            return
        loop = asyncio.get_running_loop()
        started = loop.time()
        when = deadline.when() if deadline is not None else None
        if deadline is not None:
            deadline.reschedule(None)  # paused while waiting
        try:
            await self._large.acquire()
        finally:
            if deadline is not None and when is not None:
                deadline.reschedule(when + loop.time() - started)
        self._large_held.add(feed_id)

    # --- fetching --------------------------------------------------------------------------
    async def fetch(self, feed: FeedRecord) -> FetchResult:
        """Fetch one feed. Never raises for a per-feed problem (see ``FetchResult.error``)."""
        assert self._client is not None, "use 'async with Fetcher(cfg)'"
        # Reset when the first request gets its host slot: queueing for politeness is not
        # part of a fetch's elapsed time (nor of its deadline).
        t0 = [self._clock()]
        final = [feed.url]
        fail_status: list[int | None] = [None]

        def failed(error: str, retry_after_s: float | None = None) -> FetchResult:
            return FetchResult(
                feed_url=feed.url,
                final_url=final[0],
                status=fail_status[0],
                etag=feed.etag,
                last_modified=feed.last_modified,
                elapsed_ms=(self._clock() - t0[0]) * 1000,
                error=error,
                retry_after_s=retry_after_s,
            )

        try:
            result = await self._guarded(feed, t0, final, fail_status, failed)
        except BaseException:  # cancelled: nobody else will release its slot
            self.release_body(feed.id)
            raise
        if result.body is None:
            self.release_body(feed.id)
        if log.isEnabledFor(logging.DEBUG):  # _redact parses the URL: only when it is logged
            log.debug(
                "fetch feed_url=%s status=%s elapsed_ms=%.0f error=%s",
                _redact(feed.url),
                result.status,
                result.elapsed_ms,
                result.error,
            )
        return result

    async def _guarded(
        self,
        feed: FeedRecord,
        t0: list[float],
        final: list[str],
        fail_status: list[int | None],
        failed: Callable[..., FetchResult],
    ) -> FetchResult:
        """Run :meth:`_fetch`, turning every per-feed failure into an error result."""
        try:
            return await self._fetch(feed, t0, final, fail_status)
        except TimeoutError:
            return failed(f"deadline of {self.cfg.deadline_s:g} s exceeded")
        except HostBackingOff as exc:
            return failed(str(exc), retry_after_s=exc.remaining_s)
        except (FetchError, ResponseError) as exc:
            return failed(str(exc))
        except ResolutionError as exc:
            return failed(str(exc))
        except NetGuardError as exc:
            return failed(f"refused: {exc}")
        except httpx.ConnectTimeout:
            return failed(f"connect timeout ({self.cfg.connect_timeout_s:g} s)")
        except httpx.ReadTimeout:
            return failed(f"read timeout ({self.cfg.read_timeout_s:g} s)")
        except httpx.ConnectError as exc:
            return failed(f"connection failed: {exc}")
        except httpx.TimeoutException as exc:
            return failed(f"timeout: {type(exc).__name__}")
        except httpx.HTTPError as exc:
            return failed(f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a per-feed problem must never stop the run
            log.exception("fetch_internal_error feed_url=%s", _redact(feed.url))
            return failed(f"internal error: {type(exc).__name__}: {exc}")

    async def _fetch(
        self, feed: FeedRecord, t0: list[float], final: list[str], fail_status: list[int | None]
    ) -> FetchResult:
        assert self._client is not None
        cfg = self.cfg
        parsed, err = checked_url(feed.url, self.policy)
        if err or parsed is None:
            raise _Refused(err or "invalid URL")
        url = parsed
        first_origin = _origin(url)
        auth: tuple[str, str] | None = None
        if url.userinfo:
            auth = (url.username, url.password)
        elif feed.credentials is not None:
            # Kept apart from the URL by the store, which hands them out for their own
            # origin only (aggregator.store.credentials).
            auth = (feed.credentials.username, feed.credentials.password)
        if url.userinfo:
            url = url.copy_with(username=None, password=None)
        final[0] = str(url)  # without user:password: the redacted form
        all_permanent = True
        hops = 0
        async with asyncio.timeout(None) as deadline:
            while True:
                # Validators go back byte for byte (they were read as latin-1).
                headers: dict[bytes, bytes] = {}
                if feed.etag:
                    headers[b"If-None-Match"] = feed.etag.encode("latin-1", "replace")
                if feed.last_modified:
                    headers[b"If-Modified-Since"] = feed.last_modified.encode("latin-1", "replace")
                # Credentials only ever go back to the origin they were written for.
                hop_auth = auth if _origin(url) == first_origin else None
                request = self._client.build_request("GET", url, headers=headers)
                async with self._slot(url.host):
                    if deadline.when() is None:
                        t0[0] = self._clock()
                        deadline.reschedule(asyncio.get_running_loop().time() + cfg.deadline_s)
                    response = await self._client.send(request, stream=True, auth=hop_auth)
                    try:
                        status = response.status_code
                        fail_status[0] = status
                        if status in REDIRECT_CODES and "location" in response.headers:
                            location = response.headers["location"]
                        else:
                            return await self._finish(
                                feed, response, t0, str(url), all_permanent, deadline
                            )
                    finally:
                        await _release(response)
                hops += 1
                if hops > cfg.max_redirects:
                    raise _Refused(f"too many redirects (>{cfg.max_redirects})")
                all_permanent = all_permanent and status in PERMANENT_CODES
                try:
                    nxt = url.join(location)
                except httpx.InvalidURL as exc:
                    raise _Refused(f"invalid redirect Location: {exc}") from exc
                err = check_url(nxt, self.policy)
                if err:
                    raise _Refused(f"redirect {err}" if err.startswith("refused") else err)
                url = nxt.copy_with(username=None, password=None) if nxt.userinfo else nxt
                final[0] = _redact(str(url))

    async def _finish(
        self,
        feed: FeedRecord,
        response: httpx.Response,
        t0: list[float],
        final_url: str,
        all_permanent: bool,
        deadline: asyncio.Timeout | None = None,
    ) -> FetchResult:
        now = datetime.now(UTC)
        status = response.status_code
        base = FetchResult(
            feed_url=feed.url,
            final_url=final_url,
            status=status,
            headers=dict(response.headers.items()),
            permanent_url=final_url if all_permanent and final_url != feed.url else None,
            cache_lifetime_s=parse_cache_lifetime(response.headers, now),
            # Stored validators are echoed unless a 200 brings new ones, so a store that
            # copies them blindly never loses (or advances) them on a 304 or an error.
            etag=feed.etag,
            last_modified=feed.last_modified,
        )
        etag = _raw_header(response, b"etag")
        last_modified = _raw_header(response, b"last-modified")
        if status == 304:
            return replace(
                base,
                etag=etag or feed.etag,
                last_modified=last_modified or feed.last_modified,
                not_modified=True,
                elapsed_ms=(self._clock() - t0[0]) * 1000,
            )
        if not 200 <= status < 300:
            retry_after = None
            if status in RETRY_AFTER_CODES:
                retry_after = parse_retry_after(response.headers.get("retry-after"), now)
                if retry_after is not None:
                    block_s = min(retry_after, MAX_HOST_BLOCK_S)
                    self.block_host(response.url.host, self._clock() + block_s)
            return replace(
                base,
                error=f"HTTP {status}",
                retry_after_s=retry_after,
                elapsed_ms=(self._clock() - t0[0]) * 1000,
            )
        body = await self._read_body(response, feed.id, deadline)
        return replace(
            base,
            body=body,
            etag=etag,
            last_modified=last_modified,
            elapsed_ms=(self._clock() - t0[0]) * 1000,
        )

    async def _read_body(
        self, response: httpx.Response, feed_id: int, deadline: asyncio.Timeout | None = None
    ) -> bytes:
        cap = self.cfg.max_bytes
        decoder = BoundedDecoder(response.headers.get("content-encoding"), cap)
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            raise BodyTooLarge(f"body exceeds {size_text(cap)} (Content-Length {length})")
        if length.isdigit() and int(length) > LARGE_BODY_BYTES:
            await self._large_body_slot(feed_id, deadline)
        raw = 0
        async for chunk in response.aiter_raw():
            raw += len(chunk)
            if raw > cap:  # gzip/deflate never make a feed bigger
                raise BodyTooLarge(f"body exceeds {size_text(cap)} on the wire")
            decoder.feed(chunk)
            if decoder.size > LARGE_BODY_BYTES:
                await self._large_body_slot(feed_id, deadline)
        return decoder.finish()


async def _release(response: httpx.Response) -> None:
    """Close ``response`` so that its connection can serve the next request. httpcore puts a
    connection back in the pool only once the response was read to its end; a 304's (or a
    redirect's, or an error page's) end is never read otherwise, so every such request used
    to open a new connection (1,000 connects for 1,000 304s; bench/fetch_cost.py). A short
    body is drained; a long one is dropped with its connection."""
    try:
        if not response.is_stream_consumed and not response.is_closed:
            drained = 0
            async for chunk in response.aiter_raw():
                drained += len(chunk)
                if drained > DRAIN_MAX_BYTES:
                    break
    except httpx.HTTPError:
        pass  # the connection is dropped by aclose(); the result is already decided
    finally:
        await response.aclose()


class _Refused(FetchError):
    """A URL or redirect the policy refuses (text is the final error)."""


async def fetch_many(
    feeds: Iterable[FeedRecord],
    cfg: FetchConfig,
    on_result: Callable[[FeedRecord, FetchResult], Awaitable[None] | None] | None = None,
    *,
    fetcher: Fetcher | None = None,
) -> list[FetchResult]:
    """Fetch ``feeds`` concurrently (limits from ``cfg``); results in input order.

    ``on_result`` is called as each fetch finishes (sync or async). Pass ``fetcher`` to reuse
    an open one (and its per-host state) across calls.
    """
    feeds = list(feeds)

    async def one(f: Fetcher, feed: FeedRecord) -> FetchResult:
        result = await f.fetch(feed)
        if on_result is not None:
            maybe = on_result(feed, result)
            if maybe is not None:
                await maybe
        return result

    if fetcher is not None:  # already open: the caller owns its lifetime
        return list(await asyncio.gather(*(one(fetcher, feed) for feed in feeds)))
    async with Fetcher(cfg) as f:
        return list(await asyncio.gather(*(one(f, feed) for feed in feeds)))
