"""Serve stage: HTTP/1.1 server for the published files, /healthz and /metrics (I/O: network).

Files in ``publish_dir`` → HTTP responses. Stdlib only (``asyncio.start_server`` and a small
parser) for a small attack surface. Only a fixed set of names is served, so there is no path
handling at all (no traversal, no listing); GET and HEAD only. Every response carries the
security headers (OUT-05); error bodies are fixed text that never echoes the request.
Bounded (OUT-07): ``max_connections`` sockets at once — a new connection at the cap evicts the
longest-idle one (waiting for a request head, e.g. slowloris), else the one stalled longest on
a slow reader (no write progress for :data:`STALLED_EVICT_AFTER_S`), or is closed if every slot
is busy; the whole request head must arrive within ``idle_timeout_s``; head ≤ 8 KiB; a
response must be taken whole within ``write_timeout_s``.

Ending a connection (issue 15: a 169 KB feed arrived as 155 KB on a slow link): the last
response is handed to the kernel in full, then the write side is shut (FIN after the data) and
whatever the client still sends is read and dropped until it closes or :data:`LINGER_S` passes
— closing with unread input would make the kernel send a RST, which discards the response
data the client has not read yet (the "lingering close" of Apache and nginx).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

__all__ = ["MAX_HEAD_BYTES", "FeedServer", "Request", "accepts_gzip", "read_request"]

from aggregator.config import ServerConfig
from aggregator.publish import extra_route
from aggregator.serve.request import (
    MAX_HEAD_BYTES,
    BadRequest,
    Request,
    accepts_gzip,
    check_host,
    etag_matches,
    read_request,
)

log = logging.getLogger(__name__)

ATOM = "application/atom+xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
JSONFEED = "application/feed+json; charset=utf-8"
HTML = "text/html; charset=utf-8"
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"

#: URL path → (file in publish_dir, media type). Nothing else on disk is reachable.
ROUTES: Mapping[str, tuple[str, str]] = {
    "/": ("index.html", HTML),
    "/index.html": ("index.html", HTML),
    "/events.atom": ("events.atom", ATOM),
    "/events.rss": ("events.rss", RSS),
    "/events.json": ("events.json", JSONFEED),
    "/items.atom": ("items.atom", ATOM),
    "/items.rss": ("items.rss", RSS),
    "/items.json": ("items.json", JSONFEED),
}

#: OUT-05: nothing loads but inline styles and https/data images (the HTML page shows
#: publisher images by URL); no forms, no <base>, no framing (clickjacking).
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
        "form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)
#: Keep-alive requests served on one connection before we close it (bounds a hogging client).
MAX_REQUESTS_PER_CONNECTION = 1000
#: Smaller bodies are sent uncompressed: gzip's ~20-byte overhead outweighs the saving.
GZIP_MIN_BYTES = 256
GZIP_LEVEL = 6
#: Readers may reuse a feed for a minute without revalidating; publish runs every ≥ 60 s.
FEED_MAX_AGE_S = 60
#: Grace for in-flight responses when stopping, seconds.
STOP_GRACE_S = 2.0
ALLOWED_METHODS = ("GET", "HEAD")
#: At the connection cap, a response whose writing has not moved for this long loses its slot
#: to a new connection: 300 slow readers otherwise kept /healthz out (30 % failed, issue 15).
STALLED_EVICT_AFTER_S = 1.0
#: An idle connection younger than this is not evicted: a request head follows the connect
#: at once (but a busy loop may not have read it yet), and evicting the newest arrivals reset
#: /healthz probes under load (bench/serve_slow_readers.py). A slowloris is evicted once this
#: old.
IDLE_EVICT_AFTER_S = 0.5
#: Connections admitted over ``max_connections`` when no slot can be freed, for monitoring
#: only: each gets one answer, /healthz or /metrics, else an immediate 503 (issue 15: 300
#: slow readers, each still taking bytes, kept every slot and /healthz probes failed).
#: bench/serve_slow_readers.py (300 readers, 100 slots, readers retrying after 1 s): 8 left
#: 3.6–7.8 % of probes failing, 64 left 1.0 % (0 % with the kernel's default send buffer).
#: They are cheap: answered at once, never lingering, evictable once idle.
MONITOR_RESERVE_CONNECTIONS = 64
MONITOR_PATHS = frozenset({"/healthz", "/metrics"})
#: Slots and reserve all taken (readers reconnecting at once after a refusal): up to
#: TRIAGE_CONNECTIONS more are read for TRIAGE_S, a /healthz or /metrics answered, the rest
#: reset (was: all reset unseen, 26.9 % of probes; bench/serve_slow_readers.py --retry-s 0).
TRIAGE_CONNECTIONS = 256
TRIAGE_S = 0.25
#: Retry-After of the 503 a reserve connection gets for anything else, seconds.
BUSY_RETRY_AFTER_S = 5
#: After the last response, how long to wait for the client to close before we do, seconds.
LINGER_S = 2.0
#: Bytes read per call while discarding input during a lingering close.
LINGER_READ_BYTES = 16 * 1024


def _reason(status: int) -> str:
    return HTTPStatus(status).phrase


class _File:
    """A published file as served: bytes, validators and the cached gzip variant."""

    __slots__ = ("body", "etag", "etag_gz", "gz", "key", "last_modified", "mtime")

    def __init__(self, body: bytes, key: tuple[int, int, int], mtime: float) -> None:
        digest = hashlib.sha256(body).hexdigest()[:32]
        self.body, self.key, self.mtime = body, key, mtime
        self.etag = f'"{digest}"'
        # A strong ETag names one representation, so the gzip variant has its own.
        self.etag_gz = f'"{digest}-gz"'
        self.gz: bytes | None = None
        self.last_modified = formatdate(mtime, usegmt=True)


def _stat_key(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _read_file(path: Path) -> _File:
    with path.open("rb") as f:
        st = os.fstat(f.fileno())
        return _File(f.read(), _stat_key(st), st.st_mtime)


class _Conn:
    __slots__ = ("closing", "idle_since", "reserve", "stalled_since", "triage", "writer")

    def __init__(self, writer: asyncio.StreamWriter, *, reserve: bool, triage: bool) -> None:
        self.writer = writer
        #: admitted over ``max_connections`` into the monitoring reserve: one request, and
        #: only MONITOR_PATHS are answered.
        self.reserve = reserve or triage
        #: no slot nor reserve left: reset unless a MONITOR_PATHS head comes in TRIAGE_S
        self.triage = triage
        #: monotonic time it started waiting for a request head; None while being served.
        self.idle_since: float | None = time.monotonic()
        #: monotonic time of the last write progress while waiting for the client to take a
        #: response; None when not waiting on the client.
        self.stalled_since: float | None = None
        #: the last response said ``Connection: close``.
        self.closing = False

    async def drain(self) -> None:
        """Wait until every byte written is in the kernel (the transport's high-water mark
        is 0), noting progress so a stalled reader can be told from a busy one."""
        transport = self.writer.transport
        self.stalled_since = time.monotonic()
        try:
            while transport.get_write_buffer_size():
                before = transport.get_write_buffer_size()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(STALLED_EVICT_AFTER_S / 4):
                        await self.writer.drain()
                if transport.get_write_buffer_size() < before:
                    self.stalled_since = time.monotonic()
        finally:
            self.stalled_since = None

    async def close_gracefully(self, reader: asyncio.StreamReader) -> None:
        """Deliver what is buffered, send FIN, read and drop input until EOF or LINGER_S.
        A reserve connection (one small answer, its slot wanted by the next) does not linger."""
        await self.drain()
        if self.writer.can_write_eof():
            try:
                self.writer.write_eof()
            except OSError:  # the client is gone (ENOTCONN after its reset)
                return
        if self.reserve:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(LINGER_S):
                while await reader.read(LINGER_READ_BYTES):
                    pass


class FeedServer:
    """The HTTP server. ``health()`` returns a JSON-able dict whose ``"ok"`` key (bool) picks
    200 or 503; ``metrics()`` returns Prometheus text exposition format."""

    def __init__(
        self,
        cfg: ServerConfig,
        publish_dir: Path,
        health: Callable[[], dict[str, Any]],
        metrics: Callable[[], str],
    ) -> None:
        self._cfg = cfg
        self._dir = Path(publish_dir)
        self._health = health
        self._metrics = metrics
        self._server: asyncio.Server | None = None
        self._conns: set[_Conn] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._files: dict[str, _File] = {}
        #: connections being triaged (no slot nor reserve left when they came)
        self._triaging = 0
        self.counters = {
            "connections": 0, "rejected": 0, "evicted": 0, "requests": 0, "write_timeouts": 0,
        }  # fmt: skip

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._on_connect, host=self._cfg.host, port=self._cfg.port, limit=MAX_HEAD_BYTES
        )
        log.info("serve_listening addresses=%s", self.addresses)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for conn in list(self._conns):
            if conn.idle_since is not None:
                conn.writer.transport.abort()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=STOP_GRACE_S)
        for conn in list(self._conns):
            conn.writer.transport.abort()
        await self._server.wait_closed()
        self._server = None

    @property
    def port(self) -> int:
        return self.addresses[0][1]

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """(host, port) of every listening socket (OUT-06)."""
        if self._server is None:
            raise RuntimeError("server not started")
        return [tuple(s.getsockname()[:2]) for s in self._server.sockets]

    @property
    def sockets(self) -> list[Any]:
        """The listening sockets (tests shrink their buffers)."""
        if self._server is None:
            raise RuntimeError("server not started")
        return list(self._server.sockets)

    @property
    def open_connections(self) -> int:
        return len(self._conns)

    # -- connections ---------------------------------------------------------------------

    def _evict_idle(self) -> bool:
        """Free a slot: the longest-idle connection, else the longest-stalled writer."""
        young = time.monotonic() - IDLE_EVICT_AFTER_S
        idle = [c for c in self._conns if (c.idle_since or young + 1) <= young]
        if idle:
            victim = min(idle, key=lambda c: c.idle_since or 0.0)
        else:
            cutoff = time.monotonic() - STALLED_EVICT_AFTER_S
            stalled = [c for c in self._conns if (c.stalled_since or cutoff + 1) <= cutoff]
            if not stalled:
                return False
            victim = min(stalled, key=lambda c: c.stalled_since or 0.0)
        self._conns.discard(victim)
        victim.writer.transport.abort()
        self.counters["evicted"] += 1
        return True

    def _admit(self) -> bool | None:
        """A slot for a new connection: False for a normal one, True for the monitoring
        reserve, None when there is none (evicting an idle or stalled one if needed)."""
        in_slots = sum(not c.reserve for c in self._conns)
        if in_slots >= self._cfg.max_connections and self._evict_idle():
            in_slots = sum(not c.reserve for c in self._conns)
        if in_slots < self._cfg.max_connections:
            return False
        in_reserve = sum(c.reserve and not c.triage for c in self._conns)
        return True if in_reserve < MONITOR_RESERVE_CONNECTIONS else None

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        reserve = self._admit()
        triage = reserve is None
        if triage and self._triaging >= TRIAGE_CONNECTIONS:
            self.counters["rejected"] += 1
            writer.transport.abort()
            return
        self.counters["connections"] += 1
        # drain() then means "all of it is in the kernel", not "under 64 KiB left in ours".
        writer.transport.set_write_buffer_limits(high=0)
        conn = _Conn(writer, reserve=bool(reserve), triage=triage)
        self._triaging += triage
        self._conns.add(conn)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve_connection(reader, conn)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            self.counters["rejected"] += triage  # its head did not come within TRIAGE_S
        except Exception:
            log.exception("serve_connection_failed")
        finally:
            self._triaging -= triage
            self._conns.discard(conn)
            if task is not None:
                self._tasks.discard(task)
            writer.transport.abort()

    async def _serve_connection(self, reader: asyncio.StreamReader, conn: _Conn) -> None:
        timeout = TRIAGE_S if conn.triage else self._cfg.idle_timeout_s
        cap = MAX_REQUESTS_PER_CONNECTION
        for n in range(1, cap + 1):
            conn.idle_since = time.monotonic()
            try:
                async with asyncio.timeout(timeout):
                    req = await read_request(reader)
                if req is not None:
                    check_host(req)
            except BadRequest as exc:
                conn.idle_since = None
                await self._write_then_close(conn, reader, exc.status)
                return
            if req is None or conn not in self._conns:
                return
            if conn.triage and req.path not in MONITOR_PATHS:
                self.counters["rejected"] += 1  # no slot for it: reset, as before triage
                return
            conn.idle_since = None
            self.counters["requests"] += 1
            # The cap's last response says so, so a pipelining client knows to resend the rest.
            keep = req.keep_alive and not req.has_body and n < cap and self._server is not None
            keep = keep and not conn.reserve
            try:
                async with asyncio.timeout(self._cfg.write_timeout_s):
                    if conn.reserve and req.path not in MONITOR_PATHS:
                        busy = [("Retry-After", str(BUSY_RETRY_AFTER_S))]
                        status = await self._send(conn, 503, busy, b"", head_only=False, keep=False)
                    else:
                        status = await self._respond(req, conn, keep)
                    if conn.closing:
                        await conn.close_gracefully(reader)
            except TimeoutError:
                self.counters["write_timeouts"] += 1
                raise
            log.debug("serve_request method=%s path=%s status=%d", req.method, req.path, status)
            if conn.closing:
                return

    async def _write_then_close(
        self, conn: _Conn, reader: asyncio.StreamReader, status: int
    ) -> None:
        try:
            async with asyncio.timeout(self._cfg.write_timeout_s):
                await self._send(conn, status, [], b"", head_only=False, keep=False)
                await conn.close_gracefully(reader)
        except TimeoutError:
            self.counters["write_timeouts"] += 1
            raise

    # -- responses -----------------------------------------------------------------------

    async def _send(
        self,
        conn: _Conn,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        head_only: bool,
        keep: bool,
        content_type: str | None = TEXT,
    ) -> int:
        if status >= 400 and not body:
            body = f"{status} {_reason(status)}\n".encode()
        lines = [f"HTTP/1.1 {status} {_reason(status)}"]
        lines.append(f"Date: {formatdate(usegmt=True)}")
        if content_type and status != 304:
            lines.append(f"Content-Type: {content_type}")
        if status != 304:
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{k}: {v}" for k, v in (*headers, *SECURITY_HEADERS)]
        lines.append("Connection: " + ("keep-alive" if keep else "close"))
        conn.closing = not keep
        conn.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if not head_only and status != 304:
            conn.writer.write(body)
        await conn.drain()
        return status

    async def _respond(self, req: Request, conn: _Conn, keep: bool) -> int:
        head = req.method == "HEAD"
        if req.method not in ALLOWED_METHODS:
            allow = [("Allow", ", ".join(ALLOWED_METHODS))]
            return await self._send(conn, 405, allow, b"", head_only=False, keep=False)
        path = req.path
        if path == "/healthz":
            return await self._respond_health(conn, head, keep)
        if path == "/metrics":
            try:
                text = self._metrics()
            except Exception:
                log.exception("serve_metrics_failed")
                return await self._send(conn, 500, [], b"", head_only=head, keep=keep)
            nostore = [("Cache-Control", "no-store")]
            return await self._send(
                conn, 200, nostore, text.encode(), head_only=head, keep=keep,
                content_type=PROMETHEUS,
            )  # fmt: skip
        route = ROUTES.get(path) or extra_route(path)  # digest, topics/<slug>
        if route is None:
            return await self._send(conn, 404, [], b"", head_only=head, keep=keep)
        f = await self._load(route[0])
        if f is None:
            return await self._send(conn, 404, [], b"", head_only=head, keep=keep)
        use_gz = accepts_gzip(req.headers.get("accept-encoding", "")) and (
            len(f.body) >= GZIP_MIN_BYTES
        )
        etag = f.etag_gz if use_gz else f.etag
        headers = [
            ("ETag", etag),
            ("Last-Modified", f.last_modified),
            ("Cache-Control", f"public, max-age={FEED_MAX_AGE_S}"),
            ("Vary", "Accept-Encoding"),
        ]
        if _not_modified(req, f):
            return await self._send(conn, 304, headers, b"", head_only=True, keep=keep)
        body = f.body
        if use_gz:
            if f.gz is None:
                f.gz = await asyncio.to_thread(gzip.compress, f.body, GZIP_LEVEL, mtime=0)
            body = f.gz
            headers.append(("Content-Encoding", "gzip"))
        return await self._send(
            conn, 200, headers, body, head_only=head, keep=keep, content_type=route[1]
        )

    async def _respond_health(self, conn: _Conn, head: bool, keep: bool) -> int:
        try:
            data = self._health()
            ok = bool(data.get("ok", False))
        except Exception:
            log.exception("serve_health_failed")
            data, ok = {"ok": False, "error": "health check failed"}, False
        body = json.dumps(data, default=str, ensure_ascii=False, sort_keys=True).encode()
        return await self._send(
            conn, 200 if ok else 503, [("Cache-Control", "no-store")], body + b"\n",
            head_only=head, keep=keep, content_type=JSON,
        )  # fmt: skip

    async def _load(self, name: str) -> _File | None:
        """The file as served, re-read only when its inode, mtime or size changed."""
        path = self._dir / name
        try:
            key = _stat_key(path.stat())
        except OSError:
            return None
        cached = self._files.get(name)
        if cached is not None and cached.key == key:
            return cached
        try:
            f = await asyncio.to_thread(_read_file, path)
        except OSError:
            return None
        self._files[name] = f
        return f


def _not_modified(req: Request, f: _File) -> bool:
    """RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only without it."""
    inm = req.headers.get("if-none-match")
    if inm is not None:
        return etag_matches(inm, (f.etag, f.etag_gz))
    ims = req.headers.get("if-modified-since")
    if ims is None:
        return False
    with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
        since = parsedate_to_datetime(ims).timestamp()
        # §13.1.3: a date later than our clock is invalid: ignore it (answer in full).
        return since <= time.time() and int(f.mtime) <= since
    return False
