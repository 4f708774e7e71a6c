"""Serve stage: HTTP/1.1 server for the published files, /healthz and /metrics (I/O: network).

Files in ``publish_dir`` → HTTP responses. Stdlib only (``asyncio.start_server`` and a small
parser) for a small attack surface. Only a fixed set of names is served, so there is no path
handling at all (no traversal, no listing); GET and HEAD only. Every response carries the
security headers (OUT-05); error bodies are fixed text that never echoes the request.
Bounded (OUT-07): ``max_connections`` sockets at once — a new connection at the cap evicts the
longest-idle one (waiting for a request head, e.g. slowloris), or is closed if every slot is
busy; the whole request head must arrive within ``idle_timeout_s``; head ≤ 8 KiB.
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
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any

from aggregator.config import ServerConfig
from aggregator.publish import extra_route

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
#: Request line plus headers, bytes. 8 KiB is what nginx/Apache accept per line by default.
MAX_HEAD_BYTES = 8 * 1024
MAX_HEADER_FIELDS = 100
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


def _reason(status: int) -> str:
    return HTTPStatus(status).phrase


class _BadRequest(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    version: str
    #: Lower-cased names; repeated fields joined with ", ".
    headers: Mapping[str, str]

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def keep_alive(self) -> bool:
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn

    @property
    def has_body(self) -> bool:
        return "transfer-encoding" in self.headers or self.headers.get(
            "content-length", "0"
        ).strip() not in ("", "0")


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one request head; ``None`` on a clean EOF before any byte."""
    total = 0
    line = b"\r\n"
    while line in (b"\r\n", b"\n"):  # RFC 9112 §2.2: ignore empty lines before a request
        try:
            line = await reader.readline()
        except ValueError as exc:  # longer than the stream limit
            raise _BadRequest(414) from exc
        if not line:
            return None
        total += len(line)
        if total > MAX_HEAD_BYTES:
            raise _BadRequest(414)
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
        raise _BadRequest(400)
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise _BadRequest(505 if version.startswith("HTTP/") else 400)
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_FIELDS + 1):
        try:
            line = await reader.readline()
        except ValueError as exc:
            raise _BadRequest(431) from exc
        total += len(line)
        if total > MAX_HEAD_BYTES:
            raise _BadRequest(431)
        if not line.endswith(b"\n"):
            raise asyncio.IncompleteReadError(line, None)
        if line in (b"\r\n", b"\n"):
            return Request(method, target, version, headers)
        name, sep, value = line.decode("latin-1").partition(":")
        if not sep or not name or name != name.strip():
            raise _BadRequest(400)
        key, value = name.lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    raise _BadRequest(431)


def accepts_gzip(accept_encoding: str) -> bool:
    """True when ``Accept-Encoding`` allows gzip (explicitly or via ``*``) with q > 0."""
    allowed: dict[str, bool] = {}
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k.lower() == "q":
                try:
                    q = float(v)
                except ValueError:
                    q = 0.0
        allowed[coding.strip().lower()] = q > 0
    return allowed.get("gzip", allowed.get("x-gzip", allowed.get("*", False)))


def _etag_matches(if_none_match: str, etags: tuple[str, ...]) -> bool:
    if if_none_match.strip() == "*":
        return True
    sent = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return any(e in sent for e in etags)


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
    __slots__ = ("idle_since", "writer")

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        #: monotonic time it started waiting for a request head; None while being served.
        self.idle_since: float | None = time.monotonic()


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
        self.counters = {"connections": 0, "rejected": 0, "evicted": 0, "requests": 0}

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
    def open_connections(self) -> int:
        return len(self._conns)

    # -- connections ---------------------------------------------------------------------

    def _evict_idle(self) -> bool:
        idle = [c for c in self._conns if c.idle_since is not None]
        if not idle:
            return False
        victim = min(idle, key=lambda c: c.idle_since or 0.0)
        self._conns.discard(victim)
        victim.writer.transport.abort()
        self.counters["evicted"] += 1
        return True

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._conns) >= self._cfg.max_connections and not self._evict_idle():
            self.counters["rejected"] += 1
            writer.transport.abort()
            return
        self.counters["connections"] += 1
        conn = _Conn(writer)
        self._conns.add(conn)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve_connection(reader, conn)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except Exception:
            log.exception("serve_connection_failed")
        finally:
            self._conns.discard(conn)
            if task is not None:
                self._tasks.discard(task)
            writer.transport.abort()

    async def _serve_connection(self, reader: asyncio.StreamReader, conn: _Conn) -> None:
        timeout = self._cfg.idle_timeout_s
        for _ in range(MAX_REQUESTS_PER_CONNECTION):
            conn.idle_since = time.monotonic()
            try:
                async with asyncio.timeout(timeout):
                    req = await read_request(reader)
            except _BadRequest as exc:
                conn.idle_since = None
                async with asyncio.timeout(timeout):
                    await self._send(conn.writer, exc.status, [], b"", head_only=False, keep=False)
                return
            if req is None or conn not in self._conns:
                return
            conn.idle_since = None
            self.counters["requests"] += 1
            keep = req.keep_alive and not req.has_body
            async with asyncio.timeout(timeout):
                status = await self._respond(req, conn.writer, keep)
            log.debug("serve_request method=%s path=%s status=%d", req.method, req.path, status)
            if not keep or self._server is None:
                return

    # -- responses -----------------------------------------------------------------------

    async def _send(
        self,
        writer: asyncio.StreamWriter,
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
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if not head_only and status != 304:
            writer.write(body)
        await writer.drain()
        return status

    async def _respond(self, req: Request, writer: asyncio.StreamWriter, keep: bool) -> int:
        head = req.method == "HEAD"
        if req.method not in ALLOWED_METHODS:
            allow = [("Allow", ", ".join(ALLOWED_METHODS))]
            return await self._send(writer, 405, allow, b"", head_only=False, keep=False)
        path = req.path
        if path == "/healthz":
            return await self._respond_health(writer, head, keep)
        if path == "/metrics":
            try:
                text = self._metrics()
            except Exception:
                log.exception("serve_metrics_failed")
                return await self._send(writer, 500, [], b"", head_only=head, keep=keep)
            nostore = [("Cache-Control", "no-store")]
            return await self._send(
                writer, 200, nostore, text.encode(), head_only=head, keep=keep,
                content_type=PROMETHEUS,
            )  # fmt: skip
        route = ROUTES.get(path) or extra_route(path)  # digest, topics/<slug>
        if route is None:
            return await self._send(writer, 404, [], b"", head_only=head, keep=keep)
        f = await self._load(route[0])
        if f is None:
            return await self._send(writer, 404, [], b"", head_only=head, keep=keep)
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
            return await self._send(writer, 304, headers, b"", head_only=True, keep=keep)
        body = f.body
        if use_gz:
            if f.gz is None:
                f.gz = await asyncio.to_thread(gzip.compress, f.body, GZIP_LEVEL, mtime=0)
            body = f.gz
            headers.append(("Content-Encoding", "gzip"))
        return await self._send(
            writer, 200, headers, body, head_only=head, keep=keep, content_type=route[1]
        )

    async def _respond_health(self, writer: asyncio.StreamWriter, head: bool, keep: bool) -> int:
        try:
            data = self._health()
            ok = bool(data.get("ok", False))
        except Exception:
            log.exception("serve_health_failed")
            data, ok = {"ok": False, "error": "health check failed"}, False
        body = json.dumps(data, default=str, ensure_ascii=False, sort_keys=True).encode()
        return await self._send(
            writer, 200 if ok else 503, [("Cache-Control", "no-store")], body + b"\n",
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
        return _etag_matches(inm, (f.etag, f.etag_gz))
    ims = req.headers.get("if-modified-since")
    if ims is None:
        return False
    with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
        return int(f.mtime) <= parsedate_to_datetime(ims).timestamp()
    return False
